/**
 * Failed logins against `npm start` (issue 19, finding 11): FAILED_LOGINS_PER_MINUTE bad tokens
 * from one address answer 401, the next one 429 with Retry-After, while the admin's token, known
 * good, keeps working from the same address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer } from './support/local-server.ts';

let server: LocalServer;

beforeAll(async () => {
  server = await LocalServer.start({ env: { FAILED_LOGINS_PER_MINUTE: '2' } });
}, 90_000);

afterAll(async () => {
  await server?.dispose();
});

describe('failed logins in local mode', () => {
  it('refuses a third bad token within a minute with 429 and Retry-After, and still serves a good token', async () => {
    // Act
    const first = await server.api('GET', '/api/user', undefined, {}, `cas_${'A'.repeat(43)}`);
    const second = await server.api('GET', '/api/user', undefined, {}, `cas_${'B'.repeat(43)}`);
    const third = await server.api('GET', '/api/user', undefined, {}, `cas_${'C'.repeat(43)}`);
    const admin = await server.api('GET', '/api/user');

    // Assess
    expect([first.status, second.status]).toEqual([401, 401]);
    expect(third.status).toBe(429);
    expect(third.json.code).toBe('throttled');
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(admin.status).toBe(200);
  });
});
