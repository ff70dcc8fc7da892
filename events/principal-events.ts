/**
 * Events of users, groups and API tokens. Users and groups share one namespace
 * (`principal:<name>` streams); each token has its own stream keyed by its id.
 * A token event holds only the SHA-256 hash of the token, never the token.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';

/** `full_name` and `locked` came later; events without them read as no name and unlocked. */
const userSchema = z.object({
  username: z.string(),
  email: z.string().nullable(),
  groups: z.array(z.string()),
  admin: z.boolean(),
  full_name: z.string().nullable().optional(),
  locked: z.boolean().optional(),
});

export const principalEventSchemas = {
  UserCreated: userSchema,
  /** The sign-in directory (Cognito) or an admin changed the user: the whole user as it now is. */
  UserUpdated: userSchema,
  /** The user is gone: their tokens are revoked and the name stays taken. */
  UserDeleted: z.object({ username: z.string() }),
  GroupCreated: z.object({ name: z.string() }),
} as const;

export const tokenEventSchemas = {
  /** Version 2 added `scope` and `lineage` (version 1 tokens read as `user` tokens with no lineage). */
  TokenIssued: z.object({
    token_id: z.string(),
    username: z.string(),
    /** Hex SHA-256 of the token. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    expires_at: z.string().nullable(),
    /** `user`: acts as the user; `task`: a task's SATURN_TOKEN, limited to the routes of shared/domain/identity/token-scope.ts. */
    scope: z.enum(['user', 'task']),
    /** The ids of the tokens this one was issued with, oldest first, its parent last: it dies with any of them. */
    lineage: z.array(z.string()),
  }),
  TokenRevoked: z.object({}),
  /** The token authenticated a request; recorded at most once per TOKEN_USE_RESOLUTION_MS (token-decider.ts). */
  TokenUsed: z.object({}),
} as const;

type P = typeof principalEventSchemas;
type T = typeof tokenEventSchemas;
export type PrincipalEvent = { [K in keyof P]: DomainEvent<K, z.infer<P[K]>> }[keyof P];
export type TokenEvent = { [K in keyof T]: DomainEvent<K, z.infer<T[K]>> }[keyof T];
