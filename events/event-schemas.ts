/**
 * The zod schema of every event's data, by type: what tests check decided events against,
 * and what future validation or documentation reads. Kept apart from the registry of versions so that
 * reading and writing events never builds them (events/event-versions.ts).
 */
import type * as z from 'zod';
import type { EventType } from './event-versions.ts';
import { resourceEventSchemas } from './resource-events.ts';
import { principalEventSchemas, tokenEventSchemas } from './principal-events.ts';
import { runEventSchemas } from './run-events.ts';
import { subdomainEventSchemas } from './subdomain-events.ts';
import { catalogObjectEventSchemas } from './catalog-object-events.ts';
import { sshKeyClaimEventSchemas, sshKeyEventSchemas } from './ssh-key-events.ts';
import { limitEventSchemas } from './limit-events.ts';

export const EVENT_SCHEMAS: Readonly<Record<EventType, z.ZodType>> = {
  ...resourceEventSchemas,
  ...principalEventSchemas,
  ...tokenEventSchemas,
  ...runEventSchemas,
  ...subdomainEventSchemas,
  ...catalogObjectEventSchemas,
  ...sshKeyEventSchemas,
  ...sshKeyClaimEventSchemas,
  ...limitEventSchemas,
};

/** The schema of an event type's data; undefined for a type the platform does not record. */
export function eventSchema(type: string): z.ZodType | undefined {
  return (EVENT_SCHEMAS as Readonly<Record<string, z.ZodType>>)[type];
}
