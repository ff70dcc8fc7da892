/**
 * Events of subdomain claims: one stream per subdomain (`subdomain-<label>`), so two
 * resources can never both serve the same address — the claim is one conditional write.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';

export const subdomainEventSchemas = {
  /** `holder`: the resource stream whose routes use the subdomain; `resource` names it for people. */
  SubdomainClaimed: z.object({ subdomain: z.string(), holder: z.string(), resource: z.string() }),
  SubdomainReleased: z.object({ subdomain: z.string(), holder: z.string() }),
} as const;

type S = typeof subdomainEventSchemas;
export type SubdomainEvent = { [K in keyof S]: DomainEvent<K, z.infer<S[K]>> }[keyof S];
