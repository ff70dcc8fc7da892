/**
 * Revocation stays immediate with authentication from memory (issue 13): on the local platform
 * (`startLocalPlatform`, the wiring of `npm start`, with a data directory), a token that was
 * just used through the proxy and the API is revoked, and the very next proxied and API requests
 * with it are refused; a viewer removed from a deployment is refused on the very next proxied
 * request; and after a restart of the control plane (a clean stop, so the start reads no
 * history), what was revoked stays refused while what was not still works.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform.ts';

const ADMIN = 'revocation-test-admin-token';
const BACKEND = `require('node:http').createServer((req, res) => res.end('hello from the app')).listen(Number(process.env.PORT), '127.0.0.1');`;
let dataDir: string;
let platform: LocalPlatform;

function start(): Promise<LocalPlatform> {
  return startLocalPlatform({ dataDir, port: 0, stopGraceMs: 1_000 });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cassini-revocation-'));
  // Tasks run as users of their own under root: they must be able to reach their trees.
  chmodSync(dataDir, 0o755);
  platform = await start();
  await platform.services.identity.bootstrapAdmin(ADMIN);
});

afterAll(async () => {
  await platform?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are read field by field
async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** A request through the proxy to `host` (fetch will not send a Host header of our choosing). */
function proxied(host: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: platform.port, path: '/', headers: { host, authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

function deployment(viewers: string[]) {
  return { type: 'deployment', spec: { name: 'shared-app', command: `"${process.execPath}" -e "${BACKEND}"`, viewers } };
}

describe('revocation with authentication from memory', () => {
  let host: string;
  let bobFirst: { token: string; token_id: string };
  let bobSecond: { token: string; token_id: string };

  beforeAll(async () => {
    expect((await api('POST', '/api/users', ADMIN, { username: 'bob', groups: [] })).status).toBe(201);
    bobFirst = (await api('POST', '/api/users/bob/tokens', ADMIN, {})).json;
    bobSecond = (await api('POST', '/api/users/bob/tokens', ADMIN, {})).json;
    const applied = await api('PUT', '/api/recipes', ADMIN, deployment(['bob']));
    expect(applied.status).toBe(201);
    host = new URL(applied.json.state.url).host;
    expect((await api('POST', `/api/deployments/${applied.json.state.id}/start`, ADMIN)).status).toBe(200);
    // A replica started as a process of its own, then health-checked: seconds on a busy machine.
    await vi.waitFor(async () => expect(await proxied(host, bobFirst.token), 'the viewer reaches the running deployment').toBe(200), { timeout: 30_000, interval: 100 });
  });

  it('refuses a revoked token on the very next proxied and API requests', async () => {
    // Prepare: the token was just used on both paths
    expect(await proxied(host, bobFirst.token)).toBe(200);
    expect((await api('GET', '/api/user', bobFirst.token)).status).toBe(200);

    // Act
    expect((await api('DELETE', `/api/tokens/${bobFirst.token_id}`, ADMIN)).status).toBe(204);

    // Assess
    expect(await proxied(host, bobFirst.token)).toBe(401);
    expect((await api('GET', '/api/user', bobFirst.token)).status).toBe(401);
  });

  it('refuses a removed viewer on the very next proxied request', async () => {
    // Prepare
    expect(await proxied(host, bobSecond.token)).toBe(200);

    // Act
    expect((await api('PUT', '/api/recipes', ADMIN, deployment([]))).status).toBe(201);

    // Assess
    expect(await proxied(host, bobSecond.token)).toBe(403);
  });

  it('after a restart, keeps refusing what was revoked and accepts what was not', async () => {
    // Act: a clean stop leaves the mark that spares the next start the history; that start takes it
    await platform.close();
    expect(existsSync(join(dataDir, 'clean-stop.json'))).toBe(true);
    platform = await start();
    expect(existsSync(join(dataDir, 'clean-stop.json'))).toBe(false);

    // Assess
    expect((await api('GET', '/api/user', bobFirst.token)).status).toBe(401);
    expect((await api('GET', '/api/user', bobSecond.token)).json).toMatchObject({ username: 'bob' });
    expect((await api('GET', '/api/user', ADMIN)).json).toMatchObject({ username: 'admin', admin: true });
  });
});
