/** Applying, listing and looking up recipes. */
import * as z from 'zod';
import type { RouteContext, RouteDefinition, RouteReply } from '../api-types.ts';
import { validate } from '../validation.ts';
import { recipeEnvelopeSchema } from '../../../shared/domain/recipe/recipe.ts';
import { RESOURCE_TYPES } from '../../../shared/domain/recipe/spec-schemas.ts';
import { dnsLabel } from '../../../shared/domain/recipe/fields.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { resolveOwnerName } from '../../../shared/domain/recipe/owner-name.ts';
import { recipeTemplate, type RecipeTemplate } from '../../../shared/domain/recipe/recipe-template.ts';
import type { RecipeResponse } from '../../../shared/app/recipe-rendering.ts';
import { queryFlag } from '../query-flag.ts';

export const listQuery = z.lazy(() => z.object({
  type: z.enum(RESOURCE_TYPES).optional(),
  owner_name: z.string().min(1).optional(),
  name: z.string().max(63).optional(),
  page_size: z.coerce.number().int().min(1).max(1000).optional(),
  next_key: z.string().optional(),
  last_key: z.string().optional().describe('alias of next_key for older Saturn clients'),
  as_template: templateFlag(),
}));

function templateFlag() {
  return queryFlag.describe('recipes without state, ids or defaults derived from the name and owner, ready to apply elsewhere');
}

const getQuery = z.lazy(() => z.object({ owner_name: z.string().min(1).optional(), as_template: templateFlag() }));

const applyQuery = z.lazy(() =>
  z.object({
    enforce_unknown: queryFlag.describe('true (default): fields the type does not know are refused; false: they are dropped and named in `warnings`'),
  }),
);

const recipeResponse = z.lazy(() => z.object({ schema_version: z.string(), type: z.enum(RESOURCE_TYPES), spec: z.record(z.string(), z.unknown()), state: z.record(z.string(), z.unknown()) }));

/** `If-Match: 3`, `"3"` or `W/"3"`: the version the client last saw. */
function expectedVersion(headers: RouteContext['headers']): number | undefined {
  const raw = headers['if-match'];
  if (raw === undefined) return undefined;
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw.trim());
  if (!m) throw new ValidationError('If-Match must be a resource version number.', [{ path: 'header.if-match', message: 'must be a version number' }]);
  return Number(m[1]);
}

function ownerName(owner: string | undefined): string | undefined {
  return owner === undefined ? undefined : resolveOwnerName(owner);
}

function asTemplateIf(template: boolean | undefined, recipe: RecipeResponse): RecipeResponse | RecipeTemplate {
  return template ? recipeTemplate(recipe) : recipe;
}

export function wantsYaml(headers: RouteContext['headers']): boolean {
  return /\b(?:application|text)\/(?:x-)?yaml\b/.test(headers.accept ?? '');
}

async function apply(context: RouteContext, createOnly: boolean): Promise<RouteReply> {
  const dropUnknownFields = validate(applyQuery, context.query, 'query').enforce_unknown === false;
  const { recipe, dropped } = await context.services.resources.apply(context.user, context.body ?? {}, {
    createOnly,
    expectedVersion: expectedVersion(context.headers),
    dropUnknownFields,
  });
  const type = recipe.type;
  const body = dropUnknownFields ? { ...recipe, warnings: dropped.map((path) => `${path}: a ${type} has no such field; it was dropped`) } : recipe;
  return { status: 201, body, yaml: wantsYaml(context.headers) };
}

export const recipeRoutes: RouteDefinition[] = [
  {
    method: 'PUT',
    path: '/api/recipes',
    summary: 'Applies a recipe: creates the resource, or updates the one with the same type, owner and name. Honours If-Match.',
    access: 'user',
    acceptsYaml: true,
    query: applyQuery,
    body: recipeEnvelopeSchema,
    response: { status: 201, schema: recipeResponse, description: 'The recipe with its resolved spec and state (and `warnings` with enforce_unknown=false).' },
    handle: (context) => apply(context, false),
  },
  {
    method: 'POST',
    path: '/api/recipes',
    summary: 'Creates a resource from a recipe; 409 when the name is taken.',
    access: 'user',
    acceptsYaml: true,
    query: applyQuery,
    body: recipeEnvelopeSchema,
    response: { status: 201, schema: recipeResponse, description: 'The new recipe with its state (and `warnings` with enforce_unknown=false).' },
    handle: (context) => apply(context, true),
  },
  {
    method: 'GET',
    path: '/api/recipes',
    summary: 'Lists the recipes the caller may see, by type, owner and name prefix, a page at a time.',
    access: 'user',
    query: listQuery,
    response: { status: 200, description: '{recipes, next_key}' },
    handle: async ({ query, user, services }) => {
      const q = validate(listQuery, query, 'query');
      const listing = { type: q.type, owner: ownerName(q.owner_name), namePrefix: q.name, pageSize: q.page_size ?? 100, cursor: q.next_key ?? q.last_key };
      if (q.as_template) {
        const page = await services.resources.list(user, listing);
        return { status: 200, body: { recipes: page.recipes.map((recipe) => recipeTemplate(recipe)), next_key: page.nextKey, next_last_key: page.nextKey } };
      }
      // Assembled from each recipe's JSON text, which is serialised once per version where it can be.
      const page = await services.resources.listAsJson(user, listing);
      const nextKey = JSON.stringify(page.nextKey);
      return { status: 200, text: { contentType: 'application/json', body: `{"recipes":[${page.recipes.join(',')}],"next_key":${nextKey},"next_last_key":${nextKey}}` } };
    },
  },
  {
    method: 'GET',
    path: '/api/recipes/{type}/{name}',
    summary: 'One recipe by type and name; the owner defaults to the caller. `Accept: application/yaml` returns YAML.',
    access: 'user',
    query: getQuery,
    response: { status: 200, schema: recipeResponse, description: 'The recipe.' },
    handle: async ({ params, query, headers, user, services }) => {
      const type = validate(z.enum(RESOURCE_TYPES), params.type, 'query');
      const name = dnsLabel.safeParse(params.name);
      const q = validate(getQuery, query, 'query');
      const owner = ownerName(q.owner_name) ?? user.username;
      if (!name.success) throw new ValidationError('The name must be a DNS label.', [{ path: 'path.name', message: 'must be a DNS label' }]);
      const recipe = await services.resources.getByName(user, type, name.data, owner);
      return { status: 200, body: asTemplateIf(q.as_template, recipe), yaml: wantsYaml(headers) };
    },
  },
];
