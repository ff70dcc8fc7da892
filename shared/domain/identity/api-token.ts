/**
 * Platform API tokens: 256 random bits, shown once, stored only as a SHA-256 hash. A token's
 * id (what `DELETE /api/tokens/{id}` names) is derived from the token by a second,
 * domain-separated hash, so a request finds its token record in one read without the store
 * ever holding the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_BYTES = 32;
const PREFIX = 'cas_';

/** Formats random bytes (the caller draws them: the domain has no randomness) as a token. */
export function formatToken(randomBytes: Uint8Array): string {
  if (randomBytes.length !== TOKEN_BYTES) throw new Error(`a token needs ${TOKEN_BYTES} random bytes`);
  return PREFIX + Buffer.from(randomBytes).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenId(token: string): string {
  return createHash('sha256').update('cassini token id\n').update(token, 'utf8').digest('hex').slice(0, 24);
}

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(tokenHash(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
