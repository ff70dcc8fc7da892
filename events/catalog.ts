/**
 * The event catalog: every event the system records, with its current schema version and
 * the upcasters that read older versions. Stored events carry their version; reading goes
 * through `upcast`, so deciders and projections only ever see the current shape.
 */
import type * as z from 'zod';
import { resourceEventSchemas } from './resource-events.ts';
import { principalEventSchemas, tokenEventSchemas } from './principal-events.ts';
import { runEventSchemas } from './run-events.ts';
import { subdomainEventSchemas } from './subdomain-events.ts';
import { catalogObjectEventSchemas } from './catalog-object-events.ts';

export interface CatalogEntry {
  /** The version new events are written with. */
  version: number;
  schema: z.ZodType;
  /** `upcasters[n]` turns data of version n into version n + 1. */
  upcasters: Record<number, (data: unknown) => unknown>;
}

function current(schemas: Record<string, z.ZodType>): Record<string, CatalogEntry> {
  return Object.fromEntries(Object.entries(schemas).map(([type, schema]) => [type, { version: 1, schema, upcasters: {} }]));
}

export const EVENT_CATALOG: Readonly<Record<string, CatalogEntry>> = {
  ...current(resourceEventSchemas),
  ...current(principalEventSchemas),
  ...current(tokenEventSchemas),
  ...current(runEventSchemas),
  ...current(subdomainEventSchemas),
  ...current(catalogObjectEventSchemas),
};

export class UnknownEventError extends Error {}

export function catalogEntry(type: string, catalog = EVENT_CATALOG): CatalogEntry {
  const entry = catalog[type];
  if (!entry) throw new UnknownEventError(`event type ${type} is not in the catalog`);
  return entry;
}

/** Brings stored data of `version` up to the catalog's current version. */
export function upcast(type: string, version: number, data: unknown, catalog = EVENT_CATALOG): unknown {
  const entry = catalogEntry(type, catalog);
  let value = data;
  for (let v = version; v < entry.version; v++) {
    const step = entry.upcasters[v];
    if (!step) throw new UnknownEventError(`no upcaster for ${type} from version ${v}`);
    value = step(value);
  }
  return value;
}
