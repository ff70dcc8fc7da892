/**
 * A recipe is `{schema_version, type, spec, state}`. `parseRecipe` validates one as a client
 * sent it and returns its normalized spec: absent values dropped, the owner resolved and
 * every documented default applied, so what is stored and returned is complete.
 */
import * as z from 'zod';
import { ValidationError, type FieldIssue } from '../errors.ts';
import { dropAbsent, isPlainObject } from './absent-values.ts';
import { fieldIssues } from './issues.ts';
import { RESOURCE_TYPES, specSchemas, type ResourceType } from './spec-schemas.ts';
import type { DeploymentSpec, GitRepository, JobSpec, SpecRoute, TypedSpec, WorkspaceSpec } from './spec-types.ts';
import { DEFAULT_AUTO_SHUTOFF, DEFAULT_DISK_SPACE } from './choices.ts';
import { DEFAULT_SIZE } from '../sizes.ts';
import { DEFAULT_IMAGES } from './default-images.ts';
import { principalName } from './fields.ts';
import { resolveOwnerName } from './owner-name.ts';
import { withoutUnknownFields } from './unknown-fields.ts';

export const CURRENT_SCHEMA_VERSION = '2025.10.01';
/** The oldest Saturn Cloud recipe layout accepted unchanged. */
export const OLDEST_SCHEMA_VERSION = '2023.09.01';

export const recipeEnvelopeSchema = z.lazy(() => z.strictObject({
  schema_version: z
    .string()
    .superRefine((v, ctx) => {
      if (!/^\d{4}\.\d{2}\.\d{2}$/.test(v)) ctx.addIssue({ code: 'custom', message: 'must be a date-like version such as "2025.10.01"' });
      else if (v < OLDEST_SCHEMA_VERSION) ctx.addIssue({ code: 'custom', message: `must be ${OLDEST_SCHEMA_VERSION} or newer` });
      else if (v > CURRENT_SCHEMA_VERSION) ctx.addIssue({ code: 'custom', message: `must be ${CURRENT_SCHEMA_VERSION} or older; this platform does not know newer layouts` });
    })
    .optional(),
  type: z.enum(RESOURCE_TYPES),
  spec: z.record(z.string(), z.unknown()),
  state: z.unknown().optional().describe('read-only; ignored on input'),
}));

/**
 * A recipe's type and its normalized spec (field names are the recipe's own, snake_case), and
 * the paths of the fields dropped because the type does not know them (`unknownFields: 'drop'`;
 * empty otherwise).
 */
export type ParsedRecipe = TypedSpec & { dropped: string[] };

export interface RecipeContext {
  /** The caller's username: the owner when the recipe names none. */
  caller: string;
  /** Whether the platform runs Docker-in-Docker; without it `start_dind: true` is refused. */
  dindEnabled?: boolean;
  /** `refuse` (default): an unknown field is a validation error; `drop`: it is dropped and named (Saturn's `enforce_unknown=false`). */
  unknownFields?: 'refuse' | 'drop';
}

export function parseRecipe(body: unknown, context: RecipeContext): ParsedRecipe {
  if (!isPlainObject(body)) throw new ValidationError('A recipe must be a JSON object.', [{ path: '', message: 'must be an object' }]);
  // Before any copy: copying an object by assignment turns a "__proto__" key into its prototype.
  const prototypeKeys = prototypeKeyIssues(body, '');
  if (prototypeKeys.length > 0) throw invalid(prototypeKeys);
  const { schema_version, ...rest } = body;
  const envelopeInput = { ...rest, ...(schema_version === null ? {} : { schema_version }), spec: body.spec ?? {} };
  const envelope = recipeEnvelopeSchema.safeParse(envelopeInput);
  if (!envelope.success) throw invalid(fieldIssues(envelope.error, '', envelopeInput));
  const { type } = envelope.data;
  const absentDropped = dropAbsent(envelope.data.spec);
  const given = isPlainObject(absentDropped) ? absentDropped : {};
  const { spec, dropped } = context.unknownFields === 'drop' ? withoutUnknownFields(specSchemas[type], given, 'spec') : { spec: given, dropped: [] };
  switch (type) {
    case 'workspace':
      return { type, spec: workspaceDefaults(validSpec(specSchemas.workspace, spec, context), context), dropped };
    case 'deployment':
      return { type, spec: deploymentDefaults(validSpec(specSchemas.deployment, spec, context), context), dropped };
    case 'job':
      return { type, spec: jobDefaults(validSpec(specSchemas.job, spec, context), context), dropped };
  }
}

/** The spec as its type's schema reads it, or the error naming every field to fix (schema and policy together). */
function validSpec<S extends z.ZodType>(schema: S, spec: Record<string, unknown>, context: RecipeContext): z.infer<S> {
  const result = schema.safeParse(spec);
  const issues = result.success ? [] : fieldIssues(result.error, 'spec', spec);
  issues.push(...policyIssues(spec, context));
  if (!result.success || issues.length > 0) throw invalid(issues);
  return result.data;
}

function invalid(details: FieldIssue[]): ValidationError {
  const paths = details.map((d) => d.path || '(body)').join(', ');
  return new ValidationError(`The recipe is invalid; fix these fields: ${paths}.`, details);
}

/** Paths of `__proto__` keys, which are never fields of ours but vanish from any copy made by assignment. */
function prototypeKeyIssues(value: unknown, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: Array<[unknown, string]> = [[value, path]];
  while (stack.length > 0) {
    const [node, at] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    for (const [key, child] of Object.entries(node)) {
      const childPath = Array.isArray(node) ? `${at}[${key}]` : at ? `${at}.${key}` : key;
      if (key === '__proto__') issues.push({ path: childPath, message: 'unknown field' });
      else stack.push([child, childPath]);
    }
  }
  return issues;
}

function policyIssues(spec: Record<string, unknown>, context: RecipeContext): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (spec.start_dind === true && !context.dindEnabled) {
    issues.push({ path: 'spec.start_dind', message: 'Docker-in-Docker is not enabled on this platform; remove start_dind or set it to false' });
  }
  if (typeof spec.owner === 'string' && !principalName.safeParse(resolveOwnerName(spec.owner)).success) {
    issues.push({ path: 'spec.owner', message: 'must be a user or group name (a DNS label), optionally prefixed by "<org>/"' });
  }
  return issues;
}

type SpecInput<T extends ResourceType> = z.infer<(typeof specSchemas)[T]>;

/** What every type defaults the same way: the owner (the caller), the size, each repository's path and restart behaviour. */
function commonDefaults<S extends SpecInput<ResourceType>>({ git_repositories, ...spec }: S, context: RecipeContext) {
  return {
    ...spec,
    owner: resolveOwnerName(spec.owner ?? context.caller),
    instance_type: spec.instance_type ?? DEFAULT_SIZE,
    ...(git_repositories ? { git_repositories: git_repositories.map(gitDefaults) } : {}),
  };
}

/** Each route's visibility, `owner` unless given: nothing is public unless its owner says so. */
function routesDefaults(routes: SpecInput<'workspace' | 'deployment'>['routes']): { routes?: SpecRoute[] } {
  return routes ? { routes: routes.map((route) => ({ visibility: 'owner', ...route })) } : {};
}

function workspaceDefaults({ routes, ...spec }: SpecInput<'workspace'>, context: RecipeContext): WorkspaceSpec {
  const ide = spec.ide ?? 'jupyter';
  return {
    ...commonDefaults(spec, context),
    ...routesDefaults(routes),
    ide,
    image: spec.image ?? DEFAULT_IMAGES[ide],
    auto_shutoff: spec.auto_shutoff ?? DEFAULT_AUTO_SHUTOFF,
    disk_space: spec.disk_space ?? DEFAULT_DISK_SPACE,
  };
}

function deploymentDefaults({ routes, ...spec }: SpecInput<'deployment'>, context: RecipeContext): DeploymentSpec {
  const common = commonDefaults(spec, context);
  return {
    ...common,
    ...routesDefaults(routes),
    image: spec.image ?? DEFAULT_IMAGES.command,
    scale: spec.scale ?? 1,
    healthcheck: spec.healthcheck ?? '/',
    subdomain: spec.subdomain ?? defaultSubdomain(spec.name, common.owner),
  };
}

function jobDefaults(spec: SpecInput<'job'>, context: RecipeContext): JobSpec {
  return {
    ...commonDefaults(spec, context),
    image: spec.image ?? DEFAULT_IMAGES.command,
    scale: spec.scale ?? 1,
    concurrency_policy: spec.concurrency_policy ?? 'Allow',
    retries: spec.retries ?? 0,
    schedule_timezone: spec.schedule_timezone ?? 'UTC',
  };
}

function gitDefaults(repo: NonNullable<SpecInput<ResourceType>['git_repositories']>[number]): GitRepository {
  const repoName = repo.url.replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).pop() || 'repo';
  return {
    ...repo,
    path: repo.path ?? `/home/jovyan/workspace/${repoName}`,
    ...(repo.reference !== undefined ? { reference_type: repo.reference_type ?? 'branch' } : {}),
    on_restart: repo.on_restart ?? 'preserve changes',
  };
}

/** `<name>-<owner>`, cut to a DNS label's 63 characters when both are long. */
export function defaultSubdomain(name: string, owner: string): string {
  return `${name}-${owner}`.slice(0, 63).replace(/-+$/, '');
}
