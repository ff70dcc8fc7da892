/**
 * Usage limits in Saturn's shape (`/api/limits`, admin only), and a group's limit through our
 * extension `PATCH /api/groups/{name}` `{"limits_id"}` (a user's is `limits_id` of
 * `PATCH /api/users/{id}`, user-routes.ts, as Saturn's client sets it).
 */
import * as z from 'zod';
import type { RouteContext, RouteDefinition } from '../api-types.ts';
import { validate } from '../validation.ts';
import { RESOURCE_TYPES } from '../../../shared/domain/recipe/spec-schemas.ts';
import { principalName } from '../../../shared/domain/recipe/fields.ts';
import type { UsageLimit, UsageLimitSettings } from '../../../shared/domain/limits/usage-limits.ts';

const MAX_COUNT = 1_000_000;
const count = (what: string) => z.number().int().min(0).max(MAX_COUNT).nullish().describe(what);
const NO_OBJECT_STORAGE = 'Cassini has no object storage to limit; leave this null';

/** Every setting, each optional: a PATCH changes the ones it sends (Saturn's client sends them all). */
const settingsShape = {
  name: z.string().trim().min(1).max(100),
  is_default: z.boolean(),
  instance_sizes: z.array(z.string().min(1).max(100)).max(100).nullish().describe('sizes allowed; null: any'),
  resource_types: z.array(z.enum(RESOURCE_TYPES)).max(3).nullish().describe('resource types allowed; null: any'),
  num_instances: count('instances running at once, counting replicas, ranks and Dask workers'),
  auto_shutoff: count('the longest auto_shutoff a workspace may have, in hours'),
  storage_in_gb: count("a workspace's largest disk_space, in GB"),
  num_shared_folders: count('shared folders one resource may attach'),
  object_storage_bytes: z.null().optional().describe(NO_OBJECT_STORAGE),
  object_storage_count: z.null().optional().describe(NO_OBJECT_STORAGE),
  hours_per_day: count('instance-hours per UTC day'),
  hours_per_month: count('instance-hours per UTC month'),
  hours_forever: count('instance-hours in all'),
};

export const createLimitBody = z.lazy(() => z.strictObject({ org_id: z.string().min(1).max(200), ...settingsShape, is_default: settingsShape.is_default.default(false) }));
export const patchLimitBody = z.lazy(() => z.strictObject({ ...z.object(settingsShape).partial().shape }));
export const limitsIdBody = z.lazy(() => z.strictObject({ limits_id: z.string().min(1).max(100).nullable().describe('the usage limit to apply; null: none of its own') }));
const listQuery = z.lazy(() => z.strictObject({ org_id: z.string().optional(), page_size: z.string().optional(), next_key: z.string().optional() }));

const limitResponse = z.lazy(() =>
  z.object({
    id: z.string(),
    created_at: z.string(),
    org_id: z.string(),
    ...z.object(settingsShape).required().shape,
  }),
);

type SettingsInput = Partial<Record<keyof typeof settingsShape, unknown>>;

/** Settings from a body over the limit's current ones; absent fields keep theirs, null lifts a limit. */
function settingsFrom(input: SettingsInput, current?: UsageLimitSettings): UsageLimitSettings {
  const pick = <K extends keyof UsageLimitSettings>(key: K): UsageLimitSettings[K] =>
    (input[key] === undefined ? (current?.[key] ?? null) : input[key]) as UsageLimitSettings[K];
  return {
    name: pick('name'),
    is_default: pick('is_default') ?? false,
    instance_sizes: pick('instance_sizes'),
    resource_types: pick('resource_types'),
    num_instances: pick('num_instances'),
    auto_shutoff: pick('auto_shutoff'),
    storage_in_gb: pick('storage_in_gb'),
    num_shared_folders: pick('num_shared_folders'),
    hours_per_day: pick('hours_per_day'),
    hours_per_month: pick('hours_per_month'),
    hours_forever: pick('hours_forever'),
  };
}

/** Exactly Saturn's UsageLimit fields: its client builds a dataclass from them and refuses any other. */
export function limitBody(limit: UsageLimit) {
  return {
    id: limit.id,
    created_at: limit.created_at,
    org_id: limit.org_id,
    name: limit.name,
    is_default: limit.is_default,
    instance_sizes: limit.instance_sizes,
    resource_types: limit.resource_types,
    num_instances: limit.num_instances,
    auto_shutoff: limit.auto_shutoff,
    storage_in_gb: limit.storage_in_gb,
    num_shared_folders: limit.num_shared_folders,
    object_storage_bytes: null,
    object_storage_count: null,
    hours_per_day: limit.hours_per_day,
    hours_per_month: limit.hours_per_month,
    hours_forever: limit.hours_forever,
  };
}

async function assign(context: RouteContext, kind: 'user' | 'group', name: string) {
  const input = validate(limitsIdBody, context.body ?? {}, 'body');
  await context.services.limits.assign(context.user, { kind, name }, input.limits_id);
  return input.limits_id;
}

export const limitRoutes: RouteDefinition[] = [
  {
    method: 'POST',
    path: '/api/limits',
    summary: 'Creates a usage limit (admin). is_default applies it to everyone without one of their own.',
    access: 'user',
    body: createLimitBody,
    response: { status: 201, schema: limitResponse, description: 'The limit.' },
    handle: async ({ user, body, services }) => {
      const input = validate(createLimitBody, body ?? {}, 'body');
      const limit = await services.limits.create(user, input.org_id, settingsFrom(input));
      return { status: 201, body: limitBody(limit) };
    },
  },
  {
    method: 'GET',
    path: '/api/limits',
    summary: 'Every usage limit (admin), oldest first, in one page.',
    access: 'user',
    query: listQuery,
    response: { status: 200, description: '{"usage_limits": [...], "next_key": null}' },
    handle: async ({ user, query, services }) => {
      const input = validate(listQuery, query, 'query');
      const limits = await services.limits.list(user, input.org_id);
      return { status: 200, body: { usage_limits: limits.map(limitBody), next_key: null } };
    },
  },
  {
    method: 'GET',
    path: '/api/limits/{id}',
    summary: 'One usage limit (admin).',
    access: 'user',
    response: { status: 200, schema: limitResponse, description: 'The limit.' },
    handle: async ({ user, params, services }) => ({ status: 200, body: limitBody(await services.limits.get(user, params.id!)) }),
  },
  {
    method: 'PATCH',
    path: '/api/limits/{id}',
    summary: 'Changes a usage limit (admin): the fields sent; null lifts that limit.',
    access: 'user',
    body: patchLimitBody,
    response: { status: 200, schema: limitResponse, description: 'The limit as it now is.' },
    handle: async ({ user, params, body, services }) => {
      const input = validate(patchLimitBody, body ?? {}, 'body');
      const current = await services.limits.get(user, params.id!);
      return { status: 200, body: limitBody(await services.limits.change(user, params.id!, settingsFrom(input, current))) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/limits/{id}',
    summary: 'Deletes a usage limit (admin); those it was given to fall back to their group\'s or the default.',
    access: 'user',
    response: { status: 204, description: 'Deleted.' },
    handle: async ({ user, params, services }) => {
      await services.limits.delete(user, params.id!);
      return { status: 204 };
    },
  },
  {
    method: 'PATCH',
    path: '/api/groups/{name}',
    summary: "Extension: changes a group (admin). Here: `limits_id`, the usage limit of what the group owns and of members without one of their own.",
    access: 'user',
    body: limitsIdBody,
    response: { status: 200, description: 'The group with its limits_id.' },
    handle: async (context) => {
      const name = validate(principalName, context.params.name, 'query');
      return { status: 200, body: { name, limits_id: await assign(context, 'group', name) } };
    },
  },
];
