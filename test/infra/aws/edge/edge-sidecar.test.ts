/**
 * The edge sidecar end to end, with real parts: real ES256 tokens signed as the load balancer
 * signs them (alb-signing.ts), the sidecar's own route and health servers, a real app behind it
 * echoing what reached it, and a real HTTP server answering `GET /api/user` as the platform API
 * does. Only the key endpoint is a function (it is on the internet): it serves the test's
 * public keys and records what was asked.
 *
 * The rule is the one the local proxy applies (`mayUseRoute`); the configuration is what the
 * reactor writes into the task definition (`edgeConfigFor`).
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlbIdentity } from '../../../../infra/aws/edge/alb-identity.ts';
import { createHealthServer, createRouteServer } from '../../../../infra/aws/edge/edge-server.ts';
import { PlatformUsers } from '../../../../infra/aws/edge/platform-users.ts';
import { edgeConfigFor } from '../../../../shared/adapters/aws/services/edge-sidecar.ts';
import type { RouteViewer, RouteVisibility } from '../../../../shared/ports/service-runtime.ts';
import type { User } from '../../../../shared/domain/identity/principal-decider.ts';
import { closedPort, startBackend, type Backend, type Echo } from '../../local/proxy/proxy-harness.ts';
import { acceptKey } from '../../local/proxy/websocket-client.ts';
import { albToken, FOREIGN_ALB, OUR_ALB, REGION, signingKey } from './alb-signing.ts';

const platformUsers: Record<string, User> = {
  ann: { username: 'ann', email: null, groups: [], admin: false },
  bob: { username: 'bob', email: null, groups: ['analytics'], admin: false },
  carl: { username: 'carl', email: null, groups: [], admin: false },
  root: { username: 'root', email: null, groups: [], admin: true },
};

const key = signingKey();
const keyRequests: string[] = [];
let app: Backend;
let api: Server;
let apiUrl: string;
const apiCalls: string[] = [];
const servers: Server[] = [];

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** The platform API's `GET /api/user`: the access token `at-<name>` is that user; anything else is 401. */
function platformApi(req: IncomingMessage, res: ServerResponse): void {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  apiCalls.push(token);
  const user = platformUsers[token.replace(/^at-/, '')];
  if (req.url !== '/api/user' || !user) {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'unauthenticated', message: 'no' }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(user));
}

beforeAll(async () => {
  app = await startBackend();
  api = createServer(platformApi);
  apiUrl = `http://127.0.0.1:${await listen(api)}/`;
});

afterAll(async () => {
  app.server.close();
  api.close();
});

afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  apiCalls.length = 0;
});

interface Edge {
  url: string;
}

/** A sidecar for one route of `ann`'s resource, as the reactor configures it, in front of the echoing app. */
async function edgeFor(visibility: RouteVisibility, viewers: RouteViewer[] = [], allowCrossOrigin = false): Promise<Edge> {
  const route = { subdomain: 'lab-ann', containerPort: 8000, visibility, ...(allowCrossOrigin ? { allowCrossOrigin } : {}) };
  const plan = { owner: 'ann', viewers, healthCheckPath: '/', routes: [route] };
  const config = edgeConfigFor(plan, { region: REGION, loadBalancerArn: OUR_ALB, apiUrl }, 8000);
  const deps = {
    identity: new AlbIdentity({
      region: config.region,
      loadBalancerArn: config.loadBalancerArn,
      fetchKey: async (url) => {
        keyRequests.push(url);
        if (url.endsWith(`/${key.kid}`)) return key.pem;
        throw new Error('404');
      },
    }),
    users: new PlatformUsers({ apiUrl: config.apiUrl }),
  };
  // The app listens where the test's echo server does, not on 8000.
  const server = createRouteServer(config, { ...config.routes[0]!, appPort: app.port }, deps, { error: () => undefined });
  servers.push(server);
  return { url: `http://127.0.0.1:${await listen(server)}` };
}

/** Signed in as `username`, as the load balancer forwards it: signed claims and the Cognito access token. */
function signedIn(username: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-amzn-oidc-data': albToken({ key, username }), 'x-amzn-oidc-accesstoken': `at-${username}`, 'x-amzn-oidc-identity': username, ...extra };
}

async function get(edge: Edge, headers: Record<string, string>, path = '/lab') {
  const response = await fetch(`${edge.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Echo & { code?: string; message?: string }) : undefined };
}

describe.each(['deployment', 'workspace'])("the edge sidecar in front of ann's owner-only %s", () => {
  it('admits ann, and refuses bob with 403 forbidden and a message that says who may open it', async () => {
    const edge = await edgeFor('owner');

    const ann = await get(edge, signedIn('ann'));
    const bob = await get(edge, signedIn('bob'));

    expect(ann.status).toBe(200);
    expect(ann.body!.headers['x-cassini-user']).toBe('ann');
    expect(bob.status).toBe(403);
    expect(bob.body).toMatchObject({ code: 'forbidden', message: expect.stringContaining('bob may not open this address') });
  });

  it('admits bob once he is a viewer by name, or through a group the platform says he is in', async () => {
    const byName = await get(await edgeFor('owner', [{ name: 'bob', type: 'user' }]), signedIn('bob'));
    const byGroup = await get(await edgeFor('owner', [{ name: 'analytics', type: 'group' }]), signedIn('bob'));
    const notCarl = await get(await edgeFor('owner', [{ name: 'analytics', type: 'group' }]), signedIn('carl'));

    expect(byName.status).toBe(200);
    expect(byName.body!.headers['x-cassini-user']).toBe('bob');
    expect(byGroup.status).toBe(200);
    expect(notCarl.status).toBe(403);
  });

  it('admits admins, as the platform knows them', async () => {
    expect((await get(await edgeFor('owner'), signedIn('root'))).status).toBe(200);
  });
});

describe('the edge sidecar: org and unauthenticated routes, as locally', () => {
  it('admits any signed-in user on an org route, and nobody without a sign-in (401)', async () => {
    const edge = await edgeFor('org');

    expect((await get(edge, signedIn('carl'))).status).toBe(200);
    const anonymous = await get(edge, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'unauthenticated' });
  });

  it('admits everyone on an unauthenticated route, naming nobody even when the caller claims a name', async () => {
    const edge = await edgeFor('unauthenticated');

    const anonymous = await get(edge, { 'x-cassini-user': 'ann' });

    expect(anonymous.status).toBe(200);
    expect(anonymous.body!.headers['x-cassini-user']).toBeUndefined();
  });

  it('decides by name first: the owner and named viewers cost no call to the platform', async () => {
    const edge = await edgeFor('owner', [{ name: 'carl', type: 'user' }]);

    await get(edge, signedIn('ann'));
    await get(edge, signedIn('carl'));

    expect(apiCalls).toEqual([]);
  });
});

describe('the edge sidecar refuses sign-ins it cannot trust', () => {
  it.each([
    ['a forged token (signed with another key under our key id)', () => albToken({ key, username: 'ann', signWith: signingKey().privateKey }), 'bad signature'],
    ['an expired token', () => albToken({ key, username: 'ann', expiresIn: -60 }), 'expired'],
    ["a token another load balancer signed with the region's real keys", () => albToken({ key, username: 'ann', signer: FOREIGN_ALB }), 'signed by another load balancer'],
    ['a token with an unknown key id', () => albToken({ key: { ...signingKey(), kid: 'f0f0f0f0-0000-4000-8000-000000000000' }, username: 'ann' }), 'unknown key'],
    ['something that is not a JWT', () => 'ann', 'not a JWT'],
  ])('refuses %s with 401', async (_what, token, reason) => {
    const edge = await edgeFor('owner');
    const before = app.seen.length;

    const reply = await get(edge, { 'x-amzn-oidc-data': token(), 'x-amzn-oidc-accesstoken': 'at-ann' });

    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ code: 'unauthenticated', message: expect.stringContaining(reason) });
    expect(app.seen.length, 'nothing reached the app').toBe(before);
  });

  it("refuses bob presenting ann's access token beside his own signed claims", async () => {
    const edge = await edgeFor('owner', [{ name: 'ops', type: 'group' }]);

    const reply = await get(edge, { 'x-amzn-oidc-data': albToken({ key, username: 'bob' }), 'x-amzn-oidc-accesstoken': 'at-root' });

    expect(reply.status).toBe(401);
    expect(reply.body!.message).toContain('belongs to another user');
  });

  it('never lets a key id steer where the key is fetched from', async () => {
    keyRequests.length = 0;
    const edge = await edgeFor('owner');

    const reply = await get(edge, { 'x-amzn-oidc-data': albToken({ key: { ...key, kid: '../../evil.example.com/key' }, username: 'ann' }) });

    expect(reply.status).toBe(401);
    expect(reply.body!.message).toContain('no usable key id');
    expect(keyRequests).toEqual([]);
  });

  it('fetches each key once, from the regional ELB public-key endpoint, by its id', async () => {
    keyRequests.length = 0;
    const edge = await edgeFor('owner');

    for (let i = 0; i < 3; i++) await get(edge, signedIn('ann'));

    expect(keyRequests).toEqual([`https://public-keys.auth.elb.${REGION}.amazonaws.com/${key.kid}`]);
  });
});

describe('what reaches the app', () => {
  it("carries none of the load balancer's sign-in: no signed claims, access token or session cookie, and only the edge's X-Cassini-User", async () => {
    const edge = await edgeFor('org');

    const reply = await get(edge, signedIn('carl', { 'x-cassini-user': 'ann', cookie: 'AWSELBAuthSessionCookie-0=s3ss10n; theme=dark; AWSELBAuthSessionCookie-1=more', 'x-forwarded-proto': 'https' }));

    const seen = reply.body!.headers;
    expect(seen['x-amzn-oidc-data']).toBeUndefined();
    expect(seen['x-amzn-oidc-accesstoken']).toBeUndefined();
    expect(seen['x-amzn-oidc-identity']).toBeUndefined();
    expect(seen.cookie).toBe('theme=dark');
    expect(seen['x-cassini-user']).toBe('carl');
    // The load balancer is the first hop: what it says of the visitor is kept.
    expect(seen['x-forwarded-proto']).toBe('https');
  });

  it('removes every spelling of X-Cassini-User a visitor sends, X_Cassini_User included, which WSGI apps read as the same (issue 19, finding 5)', async () => {
    const edge = await edgeFor('org');

    const reply = await get(edge, signedIn('carl', { X_Cassini_User: 'ann', 'x-cassini_user': 'root' }));

    const names = reply.body!.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase().replace(/-/g, '_'));
    expect(names.filter((name) => name === 'x_cassini_user')).toHaveLength(1);
    expect(reply.body!.headers['x-cassini-user']).toBe('carl');
  });

  it('tunnels a WebSocket upgrade for an admitted visitor, and answers a refused one on the socket', async () => {
    const upgrades: Array<Record<string, string | string[] | undefined>> = [];
    const ws = createServer();
    ws.on('upgrade', (req: IncomingMessage, socket) => {
      upgrades.push(req.headers);
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\n\r\n`);
    });
    const wsPort = await listen(ws);
    servers.push(ws);
    const plan = { owner: 'ann', viewers: [], healthCheckPath: '/', routes: [{ subdomain: 'lab-ann', containerPort: 8000, visibility: 'owner' as const }] };
    const config = edgeConfigFor(plan, { region: REGION, loadBalancerArn: OUR_ALB, apiUrl }, 8000);
    const deps = { identity: new AlbIdentity({ region: REGION, loadBalancerArn: OUR_ALB, fetchKey: async () => key.pem }), users: new PlatformUsers({ apiUrl }) };
    const server = createRouteServer(config, { ...config.routes[0]!, appPort: wsPort }, deps, { error: () => undefined });
    servers.push(server);
    const port = await listen(server);

    const upgrade = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        const lines = ['GET /api/kernels/1/channels HTTP/1.1', 'Host: lab-ann.apps.example.com', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
        for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      });

    const ann = await upgrade(signedIn('ann'));
    const bob = await upgrade(signedIn('bob'));

    expect(ann).toMatch(/^HTTP\/1\.1 101/);
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0]!['x-cassini-user']).toBe('ann');
    expect(upgrades[0]!['x-amzn-oidc-accesstoken']).toBeUndefined();
    expect(bob).toMatch(/^HTTP\/1\.1 403/);
  });
});

describe('requests from other apps, which share the platform domain (issue 19, finding 4)', () => {
  const ANN_APP = 'lab-ann.apps.example.com';

  /** A request as ann's browser sends it to her app's address (fetch cannot set `Host`, so plain http). */
  async function send(edge: Edge, method: string, headers: Record<string, string>) {
    const before = app.seen.length;
    const request = httpRequest(`${edge.url}/api/contents`, { method, headers: { host: ANN_APP, ...headers } });
    request.end(method === 'GET' ? undefined : '{}');
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    let text = '';
    for await (const chunk of response) text += String(chunk);
    return { status: response.statusCode, body: JSON.parse(text) as { code?: string; message?: string }, reachedApp: app.seen.length > before };
  }

  it("refuses a state-changing request that a page of Bob's app makes ann's browser send with her sign-in, and lets it reach nothing", async () => {
    const edge = await edgeFor('owner');

    const bySecFetchSite = await send(edge, 'POST', signedIn('ann', { 'sec-fetch-site': 'same-site' }));
    const byOrigin = await send(edge, 'DELETE', signedIn('ann', { origin: 'https://web-bob.apps.example.com' }));

    expect(bySecFetchSite).toMatchObject({ status: 403, body: { code: 'forbidden', message: expect.stringContaining('Sec-Fetch-Site: same-site') }, reachedApp: false });
    expect(byOrigin).toMatchObject({ status: 403, body: { message: expect.stringContaining('allow_cross_origin') }, reachedApp: false });
  });

  it("admits the app's own pages, navigation from elsewhere, and routes that allow other origins", async () => {
    const edge = await edgeFor('owner');
    const open = await edgeFor('owner', [], true);

    const ownPage = await send(edge, 'POST', signedIn('ann', { origin: `https://${ANN_APP}`, 'sec-fetch-site': 'same-origin' }));
    const link = await send(edge, 'GET', signedIn('ann', { 'sec-fetch-site': 'cross-site' }));
    const allowed = await send(open, 'POST', signedIn('ann', { 'sec-fetch-site': 'same-site' }));

    expect([ownPage.status, link.status, allowed.status]).toEqual([200, 200, 200]);
  });

  it('refuses a WebSocket opened from another origin, on the socket', async () => {
    const edge = await edgeFor('owner');
    const port = Number(new URL(edge.url).port);

    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      const headers = { ...signedIn('ann'), origin: 'https://web-bob.apps.example.com' };
      const lines = ['GET /api/kernels/1/channels HTTP/1.1', `Host: ${ANN_APP}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });

    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('A WebSocket from another site or app');
  });
});

describe('the health server', () => {
  it("answers the app's status for its health check path and nothing more, whatever is asked", async () => {
    const healthy = createHealthServer({ appPort: app.port, path: '/healthz' });
    servers.push(healthy);
    const port = await listen(healthy);
    const before = app.seen.length;

    const response = await fetch(`http://127.0.0.1:${port}/secret/report`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(app.seen.slice(before).map((s) => s.url)).toEqual(['/healthz']);
  });

  it('answers 502 when the app does not answer', async () => {
    const down = createHealthServer({ appPort: await closedPort(), path: '/' });
    servers.push(down);

    const response = await fetch(`http://127.0.0.1:${await listen(down)}/`);

    expect(response.status).toBe(502);
  });
});

describe("the platform's answer about a visitor", () => {
  it('is kept 30 seconds per token: a group change on the platform reaches the edge within that, and not before', async () => {
    // Prepare
    let now = 1_000_000;
    const users = new PlatformUsers({ apiUrl, now: () => now });
    platformUsers.carl = { ...platformUsers.carl!, groups: [] };

    // Act
    const first = await users.lookUp('at-carl', 'carl');
    platformUsers.carl = { ...platformUsers.carl, groups: ['analytics'] };
    now += 29_000;
    const cached = await users.lookUp('at-carl', 'carl');
    now += 2_000;
    const fresh = await users.lookUp('at-carl', 'carl');

    // Assess
    expect(first.groups).toEqual([]);
    expect(cached.groups).toEqual([]);
    expect(fresh.groups).toEqual(['analytics']);
    expect(apiCalls).toEqual(['at-carl', 'at-carl']);
    platformUsers.carl = { ...platformUsers.carl, groups: [] };
  });

  it('answers 503, and lets nothing through, when the platform cannot be asked', async () => {
    const plan = { owner: 'ann', viewers: [{ name: 'analytics', type: 'group' as const }], healthCheckPath: '/', routes: [{ subdomain: 'lab-ann', containerPort: 8000, visibility: 'owner' as const }] };
    const config = edgeConfigFor(plan, { region: REGION, loadBalancerArn: OUR_ALB, apiUrl: `http://127.0.0.1:${await closedPort()}` }, 8000);
    const deps = { identity: new AlbIdentity({ region: REGION, loadBalancerArn: OUR_ALB, fetchKey: async () => key.pem }), users: new PlatformUsers({ apiUrl: config.apiUrl }) };
    const server = createRouteServer(config, { ...config.routes[0]!, appPort: app.port }, deps, { error: () => undefined });
    servers.push(server);
    const before = app.seen.length;

    const reply = await get({ url: `http://127.0.0.1:${await listen(server)}` }, signedIn('bob'));

    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ code: 'unavailable' });
    expect(app.seen.length).toBe(before);
  });
});
