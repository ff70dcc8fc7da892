/**
 * Token lineage against `npm start` (issue 19, finding 10), across a crash: a token issued with
 * another expires no later than it, is listed by `GET /api/tokens`, and dies with its parent,
 * whether the parent is revoked before the control plane is killed or after it comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type Json } from './support/local-server.ts';

let server: LocalServer;

beforeAll(async () => {
  server = await LocalServer.start();
  const created = await server.api('POST', '/api/users', { username: 'lou' });
  expect(created.status, created.text).toBe(201);
}, 90_000);

afterAll(async () => {
  await server?.dispose();
});

async function issueWith(token: string, days: number): Promise<{ token: string; id: string; expiresAt: string }> {
  const issued = await server.api('POST', '/api/users/lou/tokens', { expires_in_days: days }, {}, token);
  expect(issued.status, issued.text).toBe(201);
  return { token: issued.json.token, id: issued.json.token_id, expiresAt: issued.json.expires_at };
}

describe('tokens issued with tokens, across a crash', () => {
  it('cuts a child to its parent\'s expiry, lists both, and kills the children of a parent revoked before or after the crash', async () => {
    // Prepare: lou's week-long token issues two children asking for a year
    const parent = await issueWith(server.adminToken, 7);
    const before = await issueWith(parent.token, 365);
    const otherParent = await issueWith(server.adminToken, 7);
    const after = await issueWith(otherParent.token, 365);
    const listed = await server.api('GET', '/api/tokens', undefined, {}, parent.token);
    expect((await server.api('DELETE', `/api/tokens/${parent.id}`, undefined, {}, otherParent.token)).status).toBe(204);

    // Act
    await server.stop('SIGKILL');
    await server.restart();
    const revokedBefore = await server.api('GET', '/api/user', undefined, {}, before.token);
    const aliveAfter = await server.api('GET', '/api/user', undefined, {}, after.token);
    expect((await server.api('DELETE', `/api/tokens/${otherParent.id}`)).status).toBe(204);
    const revokedAfter = await server.api('GET', '/api/user', undefined, {}, after.token);

    // Assess
    expect(before.expiresAt).toBe(parent.expiresAt);
    expect(listed.status).toBe(200);
    expect(listed.json.tokens.map((t: Json) => t.id)).toEqual(expect.arrayContaining([parent.id, before.id, otherParent.id, after.id]));
    expect(listed.json.tokens.find((t: Json) => t.id === before.id).origin.parent_token_id).toBe(parent.id);
    expect(listed.text).not.toContain(before.token);
    expect(revokedBefore.status).toBe(401);
    expect(aliveAfter.status).toBe(200);
    expect(revokedAfter.status).toBe(401);
  }, 90_000);
});
