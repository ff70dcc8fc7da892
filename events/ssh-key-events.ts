/**
 * Users' SSH public keys. Each user's keys are one `ssh-keys-<username>` stream, what the API
 * lists and changes; each key is also claimed by one user in a `ssh-key-<hash>` stream keyed by
 * the key itself, so the same public key can belong to one user only and an SSH login finds its
 * user with one read. Public keys are not secrets; the events hold them whole.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';

export const sshKeyEventSchemas = {
  SshKeyAdded: z.object({ key_id: z.string(), name: z.string(), fingerprint: z.string(), public_key: z.string() }),
  SshKeyRemoved: z.object({ key_id: z.string() }),
} as const;

export const sshKeyClaimEventSchemas = {
  SshKeyClaimed: z.object({ username: z.string(), key_id: z.string() }),
  SshKeyReleased: z.object({ username: z.string(), key_id: z.string() }),
} as const;

type K = typeof sshKeyEventSchemas;
type C = typeof sshKeyClaimEventSchemas;
export type SshKeyEvent = { [T in keyof K]: DomainEvent<T, z.infer<K[T]>> }[keyof K];
export type SshKeyClaimEvent = { [T in keyof C]: DomainEvent<T, z.infer<C[T]>> }[keyof C];
