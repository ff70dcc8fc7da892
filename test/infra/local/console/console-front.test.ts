/**
 * The console's front door on a real loopback server, in front of a stand-in API handler that
 * knows one token: sign-in into the session cookie, the cookie standing in for the
 * Authorization header, and the cross-site request forgery rules around it; and the static
 * files, of which only the build's own can be named.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { consoleFront } from '../../../../infra/local/console/console-front.ts';
import { httpAdapter } from '../../../../infra/local/http-adapter.ts';
import { assetFile } from '../../../../infra/local/console/console-assets.ts';

const GOOD = 'cas_good-token';
let seen: APIGatewayProxyEventV2[] = [];
let building = false;
let server: Server;
let origin: string;

async function handler(event: APIGatewayProxyEventV2) {
  seen.push(event);
  if (event.headers.authorization !== `Bearer ${GOOD}`) return { statusCode: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'unauthenticated', message: 'The API token is not valid.' }) };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ann', email: null, groups: [], admin: false }) };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  const distDir = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(distDir, 'assets'));
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>Cassini</title>');
  writeFileSync(join(distDir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(distDir, 'secret.txt'), 'not to be served');
  const api = httpAdapter(handler as never, { maxBodyBytes: 1024, tooLargeMessage: 'too large' });
  server = createServer(consoleFront({ api, handler: handler as never, distDir: join(distDir), building: () => building, isAppAddress: (url) => url.hostname.endsWith('.localhost') && url.port === '8080' }));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

beforeEach(() => {
  seen = [];
  building = false;
});

describe('console sign-in', () => {
  it('asks the API who the token belongs to and keeps the token in an HttpOnly, SameSite=Strict cookie', async () => {
    const reply = await send('POST', '/console/session', { ...json, origin }, JSON.stringify({ token: GOOD }));

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ username: 'ann', email: null, groups: [], admin: false });
    expect(reply.text).not.toContain(GOOD);
    expect(reply.headers['set-cookie']).toEqual([`cassini_session=${GOOD}; Path=/; HttpOnly; SameSite=Strict`]);
    expect(seen.map((e) => [e.requestContext.http.method, e.rawPath, e.headers.authorization])).toEqual([['GET', '/api/user', `Bearer ${GOOD}`]]);
  });

  it('passes on the API refusal of a bad token, and sets no cookie', async () => {
    const reply = await send('POST', '/console/session', { ...json, origin }, JSON.stringify({ token: 'cas_wrong' }));

    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text).code).toBe('unauthenticated');
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a body without a token, naming the field', async () => {
    const reply = await send('POST', '/console/session', { ...json, origin }, '{"tok": 1}');

    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'validation_error', details: [{ path: 'token' }] });
    expect(seen).toEqual([]);
  });

  it.each([
    ['another origin', { origin: 'http://evil-bob.localhost:8080' }],
    ['no Origin at all', {}],
    ['a cross-site fetch', { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'cross-site' }],
  ])('refuses a sign-in from %s (login forgery) without asking the API', async (_, headers) => {
    const reply = await send('POST', '/console/session', { ...json, ...headers }, JSON.stringify({ token: GOOD }));

    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text).code).toBe('forbidden');
    expect(reply.headers['set-cookie']).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('signs out by clearing the cookie', async () => {
    const reply = await send('DELETE', '/console/session', { origin });

    expect(reply.status).toBe(204);
    expect(reply.headers['set-cookie']).toEqual(['cassini_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0']);
  });
});

describe('the session cookie on API requests', () => {
  const cookie = { cookie: `other=1; cassini_session=${GOOD}` };

  it('stands in for the Authorization header on a read', async () => {
    const reply = await send('GET', '/api/user', cookie);

    expect(reply.status).toBe(200);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${GOOD}`);
  });

  it('carries a write from the console itself', async () => {
    await send('POST', '/api/recipes', { ...cookie, ...json, origin, 'sec-fetch-site': 'same-origin' }, '{}');

    expect(seen[0]!.headers.authorization).toBe(`Bearer ${GOOD}`);
  });

  it.each([
    ['another origin', { origin: 'http://web-bob.localhost:8080' }],
    ['no Origin', {}],
    ['a sibling app on the same site', { origin: 'http://127.0.0.1', 'sec-fetch-site': 'same-site' }],
  ])('refuses a write from %s, and the API never sees it', async (_, headers) => {
    const reply = await send('DELETE', '/api/deployments/d-1', { ...cookie, ...headers });

    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toMatchObject({ code: 'forbidden', message: expect.stringContaining('Origin') });
    expect(seen).toEqual([]);
  });

  it('does not lend the cookie to a read another site starts: the API sees no credentials', async () => {
    const reply = await send('GET', '/api/user', { ...cookie, 'sec-fetch-site': 'cross-site' });

    expect(reply.status).toBe(401);
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('leaves a request with its own Authorization header as it is', async () => {
    await send('GET', '/api/user', { ...cookie, authorization: 'Bearer cas_someone-else' });

    expect(seen[0]!.headers.authorization).toBe('Bearer cas_someone-else');
  });
});

describe('opening an app signed in', () => {
  const cookie = { cookie: `cassini_session=${GOOD}` };
  const open = (url: string, headers: Record<string, string> = cookie) => send('GET', `/console/open?url=${encodeURIComponent(url)}`, headers);

  it("sends the browser to the app's address with the session's token, for the proxy's one-time sign-in", async () => {
    const reply = await open('http://web-ann.localhost:8080/path?q=1');

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe(`http://web-ann.localhost:8080/path?q=1&token=${GOOD}`);
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
  });

  it.each(['http://evil.example/', 'http://web-ann.localhost:9999/', 'https://web-ann.localhost:8080/', 'javascript:alert(1)', 'not a url'])('sends the token nowhere but an app on this server: %s', async (url) => {
    const reply = await open(url);

    expect(reply.status).toBe(400);
    expect(reply.headers.location).toBeUndefined();
    expect(reply.text).not.toContain(GOOD);
  });

  it('takes no token along on a navigation another site started', async () => {
    const reply = await open('http://web-ann.localhost:8080/', { ...cookie, 'sec-fetch-site': 'cross-site' });

    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('http://web-ann.localhost:8080/');
  });
});

describe('console files', () => {
  it('serves the page at / under a policy that allows only this origin and no framing', async () => {
    const reply = await send('GET', '/');

    expect(reply.status).toBe(200);
    expect(reply.text).toContain('<title>Cassini</title>');
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
    expect(reply.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('serves hashed assets as immutable', async () => {
    const reply = await send('GET', '/assets/index-abc123.js');

    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toContain('immutable');
  });

  it.each(['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/secret.txt', '/assets/nope.js', '/assets/x.txt'])('serves nothing the build did not make: %s', async (path) => {
    const reply = await send('GET', path);

    expect(reply.status).not.toBe(200);
    expect(reply.text).not.toContain('not to be served');
  });

  it.each(['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/a/b.js', '/assets/.hidden', '/assets/x.txt', '/src/main.tsx'])('names no file for %s, whatever reaches the server unnormalized', (path) => {
    expect(assetFile(path)).toBeUndefined();
  });

  it('says the console is being built while it is, rather than serve a page whose assets are about to change', async () => {
    building = true;
    const page = await send('GET', '/');
    const missing = await send('GET', '/assets/index-new.js');
    const old = await send('GET', '/assets/index-abc123.js');

    expect(page.status).toBe(503);
    expect(page.text).toContain('being built');
    expect(missing.status).toBe(503);
    expect(old.status).toBe(200);
  });

  it('tells the page to sign in with a token', async () => {
    const reply = await send('GET', '/config.json');

    expect(JSON.parse(reply.text)).toEqual({ signIn: 'token' });
    expect(seen).toEqual([]);
  });

  it('leaves every other path to the API', async () => {
    const reply = await send('GET', '/openapi.json');

    expect(reply.status).toBe(401);
    expect(seen.map((e) => e.rawPath)).toEqual(['/openapi.json']);
  });
});
