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

/** A spec after normalization. Field names are the recipe's own (snake_case). */
export type NormalizedSpec = Record<string, unknown> & { name: string; owner: string };

export interface ParsedRecipe {
  type: ResourceType;
  spec: NormalizedSpec;
  /** Paths of the fields dropped because the type does not know them (`unknownFields: 'drop'`); empty otherwise. */
  dropped: string[];
}

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
  const given = dropAbsent(envelope.data.spec) as Record<string, unknown>;
  const { spec, dropped } = context.unknownFields === 'drop' ? withoutUnknownFields(specSchemas[type], given, 'spec') : { spec: given, dropped: [] };
  const result = specSchemas[type].safeParse(spec);
  const issues = result.success ? [] : fieldIssues(result.error, 'spec', spec);
  issues.push(...policyIssues(spec, context));
  if (!result.success || issues.length > 0) throw invalid(issues);
  return { type, spec: applyDefaults(type, result.data as Record<string, unknown>, context), dropped };
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

function applyDefaults(type: ResourceType, spec: Record<string, unknown>, context: RecipeContext): NormalizedSpec {
  const owner = resolveOwnerName(typeof spec.owner === 'string' ? spec.owner : context.caller);
  const out: Record<string, unknown> = { ...spec, owner, instance_type: spec.instance_type ?? DEFAULT_SIZE };
  if (Array.isArray(spec.git_repositories)) out.git_repositories = spec.git_repositories.map(gitDefaults);
  if (Array.isArray(spec.routes)) out.routes = spec.routes.map((r: Record<string, unknown>) => ({ visibility: 'owner', ...r }));
  switch (type) {
    case 'workspace': {
      const ide = (spec.ide as 'jupyter' | 'rstudio' | undefined) ?? 'jupyter';
      Object.assign(out, {
        ide,
        image: spec.image ?? DEFAULT_IMAGES[ide],
        auto_shutoff: spec.auto_shutoff ?? DEFAULT_AUTO_SHUTOFF,
        disk_space: spec.disk_space ?? DEFAULT_DISK_SPACE,
      });
      break;
    }
    case 'deployment':
      Object.assign(out, {
        image: spec.image ?? DEFAULT_IMAGES.command,
        scale: spec.scale ?? 1,
        healthcheck: spec.healthcheck ?? '/',
        subdomain: spec.subdomain ?? defaultSubdomain(spec.name as string, owner),
      });
      break;
    case 'job':
      Object.assign(out, {
        image: spec.image ?? DEFAULT_IMAGES.command,
        scale: spec.scale ?? 1,
        concurrency_policy: spec.concurrency_policy ?? 'Allow',
        retries: spec.retries ?? 0,
        schedule_timezone: spec.schedule_timezone ?? 'UTC',
      });
      break;
  }
  return out as NormalizedSpec;
}

function gitDefaults(repo: Record<string, unknown>): Record<string, unknown> {
  const url = String(repo.url);
  const repoName = url.replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).pop() || 'repo';
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
