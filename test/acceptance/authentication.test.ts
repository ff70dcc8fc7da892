/**
 * Authentication and identity over HTTP against `npm start`: how tokens are presented, who
 * the caller is, users and tokens, and the admin token file. Token expiry needs a clock the
 * test controls, so it is covered in test/functions/api-expiry.test.ts.
 */
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type ApiResponse } from './support/local-server.ts';

const DAY_MS = 86_400_000;

let server: LocalServer;

beforeAll(async () => {
  server = await LocalServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

function expectUnauthenticated(response: ApiResponse): void {
  expect(response.status).toBe(401);
  expect(response.json.code).toBe('unauthenticated');
  expect(response.json.message).toMatch(/\S/);
}

/** A user created by the admin, with a token of its own. */
async function userWithToken(username: string, options: { groups?: string[]; admin?: boolean } = {}): Promise<{ token: string; tokenId: string }> {
  const created = await server.api('POST', '/api/users', { username, groups: options.groups, admin: options.admin });
  expect(created.status).toBe(201);
  const issued = await server.api('POST', `/api/users/${username}/tokens`, {});
  expect(issued.status).toBe(201);
  return { token: issued.json.token, tokenId: issued.json.token_id };
}

describe('presenting a token', () => {
  it('serves GET /api/status without a token', async () => {
    // Act
    const response = await server.api('GET', '/api/status', undefined, {}, null);

    // Assess
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('answers 401 unauthenticated to a request without a token', async () => {
    // Act
    const response = await server.api('GET', '/api/user', undefined, {}, null);

    // Assess
    expectUnauthenticated(response);
  });

  it.each([
    ['another scheme', 'Basic YWRtaW46c2VjcmV0'],
    ['a scheme without a token', 'Bearer'],
    ['two tokens', 'Bearer abc def'],
    ['a bare token', 'just-a-token'],
  ])('answers 401 to a malformed Authorization header (%s)', async (_case, header) => {
    // Act
    const response = await server.api('GET', '/api/user', undefined, { authorization: header });

    // Assess
    expectUnauthenticated(response);
  });

  it('answers 401 to a token the platform never issued', async () => {
    // Act
    const response = await server.api('GET', '/api/user', undefined, {}, `cas_${'A'.repeat(43)}`);

    // Assess
    expectUnauthenticated(response);
    expect(response.json.message).not.toMatch(/expired/i);
  });

  it.each([
    ['Bearer', 'Bearer'],
    ['token (as the sc client sends it)', 'token'],
    ['a lower-case scheme', 'bearer'],
  ])('accepts the %s scheme', async (_case, scheme) => {
    // Act
    const response = await server.api('GET', '/api/user', undefined, { authorization: `${scheme} ${server.adminToken}` });

    // Assess
    expect(response.status).toBe(200);
    expect(response.json.username).toBe('admin');
  });
});

describe('GET /api/user', () => {
  it('returns the admin user for the admin token', async () => {
    // Act
    const response = await server.api('GET', '/api/user');

    // Assess
    expect(response.status).toBe(200);
    // The contract's fields, and the usage limit that applies with its use (none here).
    expect(response.json).toEqual({ username: 'admin', email: null, groups: [], admin: true, limits_id: null, limits: null, limits_usage: null });
  });

  it('returns exactly the fields the user was created with', async () => {
    // Prepare
    await server.api('POST', '/api/users', { username: 'shape-user', email: 'shape@example.com', groups: ['shape-team', 'shape-ops'] });
    const { json: issued } = await server.api('POST', '/api/users/shape-user/tokens', {});

    // Act
    const response = await server.api('GET', '/api/user', undefined, {}, issued.token);

    // Assess
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ username: 'shape-user', email: 'shape@example.com', groups: ['shape-team', 'shape-ops'], admin: false, limits_id: null, limits: null, limits_usage: null });
  });
});

describe('POST /api/users', () => {
  it('creates a user when the admin asks, with the documented defaults', async () => {
    // Act
    const response = await server.api('POST', '/api/users', { username: 'plain-user' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.json).toEqual({ id: 'plain-user', username: 'plain-user', email: null, full_name: null, groups: [], admin: false, locked: false });
  });

  it('creates an admin user whose token sees admin rights', async () => {
    // Prepare
    const { token } = await userWithToken('second-admin', { admin: true });

    // Act
    const response = await server.api('GET', '/api/user', undefined, {}, token);

    // Assess
    expect(response.json.admin).toBe(true);
  });

  it('answers 403 forbidden to a non-admin and creates nobody', async () => {
    // Prepare
    const { token } = await userWithToken('not-an-admin');

    // Act
    const response = await server.api('POST', '/api/users', { username: 'sneaky' }, {}, token);

    // Assess
    expect(response.status).toBe(403);
    expect(response.json.code).toBe('forbidden');
    expect(response.json.message).toMatch(/\S/);
    expect((await server.api('POST', '/api/users/sneaky/tokens', {})).status).toBe(404);
  });

  it('answers 409 conflict when the name is taken by another user', async () => {
    // Prepare
    await server.api('POST', '/api/users', { username: 'taken-user', email: 'first@example.com' });

    // Act
    const response = await server.api('POST', '/api/users', { username: 'taken-user', email: 'second@example.com' });

    // Assess
    expect(response.status).toBe(409);
    expect(response.json.code).toBe('conflict');
  });
});

describe('POST /api/users/{username}/tokens', () => {
  it('issues a working token to the admin for any user, expiring in 90 days by default', async () => {
    // Prepare
    await server.api('POST', '/api/users', { username: 'token-target' });
    const before = Date.now();

    // Act
    const response = await server.api('POST', '/api/users/token-target/tokens', {});

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json).toEqual({ token: expect.any(String), token_id: expect.any(String), expires_at: expect.any(String) });
    const expiresAt = Date.parse(response.json.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 90 * DAY_MS - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS + 1000);
    const me = await server.api('GET', '/api/user', undefined, {}, response.json.token);
    expect(me.json.username).toBe('token-target');
  });

  it('honours expires_in_days', async () => {
    // Prepare
    await server.api('POST', '/api/users', { username: 'short-lived' });
    const before = Date.now();

    // Act
    const response = await server.api('POST', '/api/users/short-lived/tokens', { expires_in_days: 2 });

    // Assess
    expect(response.status).toBe(201);
    const expiresAt = Date.parse(response.json.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 2 * DAY_MS - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 2 * DAY_MS + 1000);
  });

  it('lets a user issue a token for itself', async () => {
    // Prepare
    const { token } = await userWithToken('self-issuer');

    // Act
    const response = await server.api('POST', '/api/users/self-issuer/tokens', {}, {}, token);

    // Assess
    expect(response.status).toBe(201);
    expect(response.json.token).not.toBe(token);
    expect((await server.api('GET', '/api/user', undefined, {}, response.json.token)).json.username).toBe('self-issuer');
  });

  it("answers 404 to a user asking for another user's token", async () => {
    // Prepare
    const { token } = await userWithToken('curious-user');
    await server.api('POST', '/api/users', { username: 'victim-user' });

    // Act
    const response = await server.api('POST', '/api/users/victim-user/tokens', {}, {}, token);

    // Assess
    expect(response.status).toBe(404);
    expect(response.json.code).toBe('not_found');
  });

  it('answers 404 for a user that does not exist', async () => {
    // Act
    const response = await server.api('POST', '/api/users/nobody-here/tokens', {});

    // Assess
    expect(response.status).toBe(404);
    expect(response.json.code).toBe('not_found');
  });
});

describe('DELETE /api/tokens/{token_id}', () => {
  it('revokes a token, which then gets 401', async () => {
    // Prepare
    const { token, tokenId } = await userWithToken('revoked-user');
    expect((await server.api('GET', '/api/user', undefined, {}, token)).status).toBe(200);

    // Act
    const response = await server.api('DELETE', `/api/tokens/${tokenId}`);

    // Assess
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expectUnauthenticated(await server.api('GET', '/api/user', undefined, {}, token));
  });

  it('lets a user revoke its own token and leaves its other tokens working', async () => {
    // Prepare
    const first = await userWithToken('self-revoker');
    const { json: second } = await server.api('POST', '/api/users/self-revoker/tokens', {});

    // Act
    const response = await server.api('DELETE', `/api/tokens/${first.tokenId}`, undefined, {}, second.token);

    // Assess
    expect(response.status).toBe(204);
    expectUnauthenticated(await server.api('GET', '/api/user', undefined, {}, first.token));
    expect((await server.api('GET', '/api/user', undefined, {}, second.token)).status).toBe(200);
  });

  it("answers 404 to a user revoking someone else's token, which keeps working", async () => {
    // Prepare
    const owner = await userWithToken('token-owner');
    const other = await userWithToken('token-thief');

    // Act
    const response = await server.api('DELETE', `/api/tokens/${owner.tokenId}`, undefined, {}, other.token);

    // Assess
    expect(response.status).toBe(404);
    expect(response.json.code).toBe('not_found');
    expect((await server.api('GET', '/api/user', undefined, {}, owner.token)).status).toBe(200);
  });

  it('answers 404 for a token id that does not exist', async () => {
    // Act
    const response = await server.api('DELETE', '/api/tokens/000000000000000000000000');

    // Assess
    expect(response.status).toBe(404);
  });
});

describe('the admin token file', () => {
  it('holds ADMIN_TOKEN in <DATA_DIR>/admin-token, readable only by its owner', () => {
    // Prepare
    const path = join(server.dataDir, 'admin-token');

    // Act
    const mode = statSync(path).mode & 0o777;
    const content = readFileSync(path, 'utf8');

    // Assess
    expect(mode).toBe(0o600);
    expect(content.trim()).toBe(server.adminToken);
  });
});
