import { describe, expect, it } from 'vitest';
import { authCacheSeconds, DEFAULT_AUTH_CACHE_SECONDS, MAX_AUTH_CACHE_SECONDS } from '../../../functions/api/auth-cache-settings.ts';

describe('authCacheSeconds', () => {
  it('defaults to a few seconds', () => {
    expect(authCacheSeconds(undefined)).toBe(DEFAULT_AUTH_CACHE_SECONDS);
    expect(authCacheSeconds('')).toBe(DEFAULT_AUTH_CACHE_SECONDS);
    expect(DEFAULT_AUTH_CACHE_SECONDS).toBeLessThanOrEqual(MAX_AUTH_CACHE_SECONDS);
  });

  it('takes 0 (read on every request) up to the maximum', () => {
    expect(authCacheSeconds('0')).toBe(0);
    expect(authCacheSeconds('2.5')).toBe(2.5);
    expect(authCacheSeconds(String(MAX_AUTH_CACHE_SECONDS))).toBe(MAX_AUTH_CACHE_SECONDS);
  });

  it('refuses what would make a revocation wait unboundedly, naming the setting', () => {
    for (const value of ['-1', '61', 'forever', 'Infinity']) expect(() => authCacheSeconds(value)).toThrow(/AUTH_CACHE_SECONDS must be a number of seconds from 0 to 60/);
  });
});
