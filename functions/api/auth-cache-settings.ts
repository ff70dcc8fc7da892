/**
 * How long a warm API Lambda trusts the tokens and users it holds in memory
 * (shared/app/stream-state-cache.ts). Its own appends (a revocation it served) are seen at
 * once; those of other instances within this many seconds: the bound on how long a token
 * revoked elsewhere, or a user changed elsewhere, can still be used against one warm instance.
 * The authorizer caches nothing (infra/aws/constructs/api.ts) and never decides platform
 * tokens, so this is the only staleness there is. AUTH_CACHE_SECONDS on the function; 0 reads
 * the store on every request.
 */
export const DEFAULT_AUTH_CACHE_SECONDS = 5;
/** A revocation must not wait longer than this on any instance. */
export const MAX_AUTH_CACHE_SECONDS = 60;

export function authCacheSeconds(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_AUTH_CACHE_SECONDS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_AUTH_CACHE_SECONDS) {
    throw new Error(`AUTH_CACHE_SECONDS must be a number of seconds from 0 to ${MAX_AUTH_CACHE_SECONDS} (got "${value}").`);
  }
  return seconds;
}
