/**
 * Events of subdomain claims: one stream per subdomain (`subdomain-<label>`), so two
 * resources can never both serve the same address — the claim is one conditional write.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';

export const subdomainEventSchemas = {
  /**
   * `holder`: the resource stream whose routes use the subdomain; `resource` names it for people.
   * `holder_version`: the version of the holder's stream the claim was decided on; the holder's
   * own write, if it lands, is the next one. Absent in claims recorded before it existed.
   */
  SubdomainClaimed: z.object({ subdomain: z.string(), holder: z.string(), resource: z.string(), holder_version: z.number().int().min(0).optional() }),
  SubdomainReleased: z.object({ subdomain: z.string(), holder: z.string() }),
} as const;

type S = typeof subdomainEventSchemas;
export type SubdomainEvent = { [K in keyof S]: DomainEvent<K, z.infer<S[K]>> }[keyof S];
