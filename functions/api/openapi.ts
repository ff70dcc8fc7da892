/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas that
 * validate requests, so the document cannot drift from what the API accepts.
 */
import * as z from 'zod';
import type { RouteDefinition } from './api-types.ts';
import { specSchemas } from '../../shared/domain/recipe/spec-schemas.ts';

const errorSchema = z.lazy(() => z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}));

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function queryParameters(schema: z.ZodType | undefined): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: s }));
}

function pathParameters(path: string): unknown[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
}

const ERROR_RESPONSES = {
  '400': 'validation_error or invalid_json',
  '401': 'unauthenticated',
  '403': 'forbidden',
  '404': 'not_found',
  '409': 'conflict',
  '413': 'payload_too_large',
  '415': 'unsupported_media_type',
  '429': 'throttled',
};

export function openApiDocument(routes: readonly RouteDefinition[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      summary: route.summary,
      parameters: [...pathParameters(route.path), ...queryParameters(route.query)],
      responses: {
        [String(route.response?.status ?? 200)]: {
          description: route.response?.description ?? 'OK',
          ...(route.response?.schema ? { content: { 'application/json': { schema: jsonSchema(route.response.schema) } } } : {}),
        },
        ...Object.fromEntries(
          Object.entries(ERROR_RESPONSES).map(([status, description]) => [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
        ),
      },
      ...(route.access === 'public' ? { security: [] } : {}),
    };
    if (route.body) {
      const content: Record<string, unknown> = { 'application/json': { schema: jsonSchema(route.body) } };
      if (route.acceptsYaml) content['application/yaml'] = { schema: jsonSchema(route.body) };
      operation.requestBody = { required: true, content };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cassini API', version, description: 'Workspaces, deployments and jobs on your own AWS account; Saturn Cloud compatible paths.' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, token: { type: 'apiKey', in: 'header', name: 'Authorization', description: '"token <token>"' } },
      schemas: {
        Error: jsonSchema(errorSchema),
        WorkspaceSpec: jsonSchema(specSchemas.workspace),
        DeploymentSpec: jsonSchema(specSchemas.deployment),
        JobSpec: jsonSchema(specSchemas.job),
      },
    },
    security: [{ bearer: [] }, { token: [] }],
  };
}
