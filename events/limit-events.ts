/**
 * Events of the usage limits (Saturn's `/api/limits`) and of who they apply to. One stream,
 * `usage-limits`, holds every limit and assignment of the installation: a start reads one head
 * to find the limit that applies, and a limit's name and the single default stay unique.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';

/** A limit's settings in Saturn's fields; null: no limit of that kind. */
export const usageLimitSettingsSchema = z.object({
  name: z.string(),
  is_default: z.boolean(),
  instance_sizes: z.array(z.string()).nullable(),
  resource_types: z.array(z.enum(['workspace', 'deployment', 'job'])).nullable(),
  num_instances: z.number().int().nullable(),
  /** The longest auto_shutoff a workspace may have, in hours. */
  auto_shutoff: z.number().int().nullable(),
  storage_in_gb: z.number().int().nullable(),
  num_shared_folders: z.number().int().nullable(),
  hours_per_day: z.number().int().nullable(),
  hours_per_month: z.number().int().nullable(),
  hours_forever: z.number().int().nullable(),
});

export const limitEventSchemas = {
  UsageLimitCreated: usageLimitSettingsSchema.extend({ id: z.string(), org_id: z.string() }),
  /** The limit's settings as they now are (a PATCH sends them all). */
  UsageLimitChanged: usageLimitSettingsSchema.extend({ id: z.string() }),
  UsageLimitDeleted: z.object({ id: z.string() }),
  /** A user or group now has this limit (`limits_id`), or none of its own (null). */
  UsageLimitAssigned: z.object({ principal: z.string(), limits_id: z.string().nullable() }),
} as const;

type Schemas = typeof limitEventSchemas;
export type LimitEvent = { [K in keyof Schemas]: DomainEvent<K, z.infer<Schemas[K]>> }[keyof Schemas];
