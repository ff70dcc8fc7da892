import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RouteTable } from '../../../../infra/local/proxy/route-table.ts';
import { call, closedPort, startBackend, startFront, stop, watchConnectionCloses, type Backend, type Front } from './proxy-harness.ts';
import { waitUntil } from '../../../support/wait-until.ts';

const fronts: Front[] = [];
const backends: Backend[] = [];

afterEach(async () => {
  for (const front of fronts) front.proxy.close();
  await stop(...fronts.splice(0).map((f) => f.server), ...backends.splice(0).map((b) => b.server));
});

async function backend(...args: Parameters<typeof startBackend>): Promise<Backend> {
  const started = await startBackend(...args);
  backends.push(started);
  return started;
}

async function front(routes: RouteTable, options: Parameters<typeof startFront>[1] = {}): Promise<Front> {
  const started = await startFront(routes, options);
  fronts.push(started);
  return started;
}

/** A deployment `app-ann` open to everyone, so these tests are about routing alone. */
function openRoute(routes: RouteTable, ports: number[], subdomain = 'app-ann'): void {
  routes.publish({ resourceId: `id-${subdomain}`, owner: 'ann', routes: [{ subdomain, containerPort: 8000, visibility: 'unauthenticated' }], viewers: [] });
  routes.setReady(
    `id-${subdomain}`,
    ports.map((port, n) => ({ pod: `${subdomain}-${n}`, ports: { 8000: port } })),
  );
}

describe('matches', () => {
  it('claims hosts under the base domain, with or without a port, and names their subdomain', async () => {
    // Prepare
    const { proxy } = await front(new RouteTable());

    // Act & Assess
    expect(proxy.matches('app-ann.localhost:8080')).toBe('app-ann');
    expect(proxy.matches('App-Ann.LOCALHOST')).toBe('app-ann');
    expect(proxy.matches('app-ann.localhost.:8080')).toBe('app-ann');
  });

  it('leaves the API its own hosts', async () => {
    const { proxy } = await front(new RouteTable());

    expect(proxy.matches('localhost:8080')).toBeUndefined();
    expect(proxy.matches('127.0.0.1:8080')).toBeUndefined();
    expect(proxy.matches('[::1]:8080')).toBeUndefined();
    expect(proxy.matches('notlocalhost:8080')).toBeUndefined();
    expect(proxy.matches(undefined)).toBeUndefined();
  });
});

describe('the local proxy, routing', () => {
  it('routes by Host and spreads requests round-robin over the ready replicas', async () => {
    // Prepare
    const [a, b] = [await backend(), await backend()];
    const routes = new RouteTable();
    openRoute(routes, [a.port, b.port]);
    const f = await front(routes);

    // Act
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call(f, 'app-ann.localhost', `/hello?n=${i}`));
    const api = await call(f, 'localhost', '/api/status');

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((answer) => answer.json().port)).toEqual([a.port, b.port, a.port, b.port]);
    expect(answers[2]!.json().url).toBe('/hello?n=2');
    expect(api.body).toBe('api');
    expect(f.apiRequests).toBe(1);
  });

  it('answers 404 not_found for a subdomain nothing serves', async () => {
    const f = await front(new RouteTable());

    const answer = await call(f, 'nothing-here.localhost');

    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.json()).toEqual({ code: 'not_found', message: expect.stringContaining('Nothing is served') });
  });

  it('answers 503 with Retry-After while no replica is ready', async () => {
    // Prepare
    const routes = new RouteTable();
    openRoute(routes, []);
    const f = await front(routes);

    // Act
    const answer = await call(f, 'app-ann.localhost');

    // Assess
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.json().message).toMatch(/not running, or is still starting/);
  });

  it('answers 502 when the replica refuses the connection', async () => {
    const routes = new RouteTable();
    openRoute(routes, [await closedPort()]);
    const f = await front(routes);

    const answer = await call(f, 'app-ann.localhost');

    expect(answer.status).toBe(502);
    expect(answer.json().code).toBe('bad_gateway');
  });

  it('answers 502 when the replica drops the connection before answering', async () => {
    const b = await backend((req) => {
      req.socket.destroy();
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    const answer = await call(f, 'app-ann.localhost');

    expect(answer.status).toBe(502);
    expect(answer.json().code).toBe('bad_gateway');
  });

  it('answers 504 when the replica stays silent past the response timeout', async () => {
    const b = await backend(() => true);
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes, { responseTimeoutMs: 200 });

    const answer = await call(f, 'app-ann.localhost');

    expect(answer.status).toBe(504);
    expect(answer.json().code).toBe('gateway_timeout');
  });

  it('waits for a replica silent longer than a kept connection idles, within the response timeout', async () => {
    // The kept connection's idle timer (1 s) is the request's first silence timer: it must not cut an answer still due.
    const b = await backend((_req, res) => {
      setTimeout(() => res.end('late'), 1_100);
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes, { responseTimeoutMs: 5_000 });

    const answer = await call(f, 'app-ann.localhost');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('late');
  });

  it('lets a started response stream past the response timeout', async () => {
    const b = await backend((_req, res) => {
      res.writeHead(200);
      res.write('first ');
      setTimeout(() => res.end('last'), 400);
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes, { responseTimeoutMs: 200 });

    const answer = await call(f, 'app-ann.localhost');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('first last');
  });

  it('answers 500 without internals when checking credentials fails on our side', async () => {
    // Prepare
    const routes = new RouteTable();
    routes.publish({ resourceId: 'd', owner: 'ann', routes: [{ subdomain: 'app-ann', containerPort: 8000, visibility: 'owner' }], viewers: [] });
    const errors: string[] = [];
    const f = await front(routes, {
      authenticate: () => Promise.reject(new Error('store unreachable: secret detail')),
      logger: { error: (line: string) => void errors.push(line) },
    });

    // Act
    const answer = await call(f, 'app-ann.localhost', '/', { headers: { authorization: 'Bearer tok-ann' } });

    // Assess
    expect(answer.status).toBe(500);
    expect(answer.json()).toEqual({ code: 'internal_error', message: expect.any(String) });
    expect(answer.body).not.toContain('secret detail');
    expect(errors).toHaveLength(1);
  });

  it('answers malformed credentials and targets with a 4xx, never a 5xx', async () => {
    // Prepare
    const b = await backend();
    const routes = new RouteTable();
    routes.publish({ resourceId: 'd', owner: 'ann', routes: [{ subdomain: 'app-ann', containerPort: 8000, visibility: 'owner' }], viewers: [] });
    routes.setReady('d', [{ pod: 'd-0', ports: { 8000: b.port } }]);
    const f = await front(routes);
    const odd: Array<[string, Record<string, string>]> = [
      ['/?token=%E0%A4%A', {}],
      ['/?token=&token', {}],
      ['/?=&&=', { cookie: '=;;=; cassini_session' }],
      ['/', { cookie: 'cassini_session=%' }],
      ['/', { authorization: 'Bearer' }],
      ['/', { authorization: 'Bearer a b c' }],
      ['*', {}],
    ];

    // Act
    const statuses = [];
    for (const [path, headers] of odd) statuses.push((await call(f, 'app-ann.localhost', path, { method: path === '*' ? 'OPTIONS' : 'GET', headers })).status);

    // Assess
    expect(statuses.every((status) => status >= 400 && status < 500)).toBe(true);
    expect((await call(f, 'app-ann.localhost', '/', { headers: { authorization: 'Bearer tok-ann' } })).status).toBe(200);
  });

  it('keeps the status, the headers and every Set-Cookie of the answer, and drops hop-by-hop headers', async () => {
    const b = await backend((_req, res) => {
      res.writeHead(201, { 'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'], 'x-app': 'yes', 'keep-alive': 'timeout=99', connection: 'x-app-hop, keep-alive', 'x-app-hop': 'one-hop' });
      res.end('made');
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    const answer = await call(f, 'app-ann.localhost', '/things', { method: 'POST', body: '{}' });

    expect(answer.status).toBe(201);
    expect(answer.body).toBe('made');
    expect(answer.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(answer.headers['x-app']).toBe('yes');
    expect(answer.headers['x-app-hop']).toBeUndefined();
    expect(answer.headers['keep-alive']).not.toBe('timeout=99');
  });

  it('passes the headers of an answer as the backend spelled them, each repeated one as often', async () => {
    const b = await backend((_req, res) => {
      res.writeHead(200, ['X-Spelled-So', 'Yes', 'Content-Length', '2', 'Link', '</a>; rel=preload', 'link', '</b>; rel=preload', 'Connection', 'X-Spelled-Hop', 'x-spelled-hop', 'no']);
      res.end('ok');
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    const answer = await call(f, 'app-ann.localhost', '/');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('ok');
    expect(answer.rawHeaders.filter((_, i) => i % 2 === 0)).toContain('X-Spelled-So');
    expect(answer.rawHeaders.filter((name, i) => i % 2 === 1 && answer.rawHeaders[i - 1]!.toLowerCase() === 'link')).toEqual(['</a>; rel=preload', '</b>; rel=preload']);
    expect(answer.headers['x-spelled-hop']).toBeUndefined();
  });

  it('forwards method, path, body and the original Host, and adds X-Forwarded headers', async () => {
    const b = await backend();
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    const answer = await call(f, 'app-ann.localhost', '/submit?x=1', {
      method: 'PUT',
      body: 'payload',
      headers: { 'x-forwarded-for': '6.6.6.6', connection: 'x-secret-hop', 'x-secret-hop': 'no' },
    });

    const echo = answer.json<{ method: string; url: string; body: string; headers: Record<string, string> }>();
    expect(echo).toMatchObject({ method: 'PUT', url: '/submit?x=1', body: 'payload' });
    expect(echo.headers.host).toBe(`app-ann.localhost:${f.port}`);
    expect(echo.headers['x-forwarded-host']).toBe(`app-ann.localhost:${f.port}`);
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers['x-secret-hop']).toBeUndefined();
  });

  it('streams the answer as the replica writes it, without waiting for its end', async () => {
    // Prepare: the replica writes a first part and finishes only once the caller has read it.
    let finish: () => void = () => undefined;
    const b = await backend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part\n');
      finish = () => res.end('second part\n');
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    // Act
    const req = request({ host: '127.0.0.1', port: f.port, path: '/stream', headers: { host: 'app-ann.localhost' } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const [first] = (await once(res, 'data')) as [Buffer];
    finish();
    const rest: Buffer[] = [];
    for await (const chunk of res) rest.push(chunk as Buffer);

    // Assess
    expect(first.toString()).toBe('first part\n');
    expect(Buffer.concat(rest).toString()).toBe('second part\n');
  });

  it('streams the request body to the replica as the caller sends it', async () => {
    // Prepare: the replica answers as soon as the first part of the body arrives.
    const b = await backend((req, res) => {
      req.once('data', (chunk: Buffer) => {
        res.writeHead(200);
        res.write(`got ${chunk.toString()}`);
        req.on('end', () => res.end());
      });
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    // Act
    const req = request({ host: '127.0.0.1', port: f.port, method: 'POST', path: '/upload', headers: { host: 'app-ann.localhost', 'transfer-encoding': 'chunked' } });
    req.write('part one');
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const [first] = (await once(res, 'data')) as [Buffer];
    req.end('part two');
    for await (const chunk of res) void chunk;

    // Assess
    expect(first.toString()).toBe('got part one');
  });

  it('stops the replica request when the caller goes away mid-answer', async () => {
    // Prepare
    let replicaClosed: Promise<unknown> = Promise.resolve();
    const b = await backend((_req, res) => {
      res.writeHead(200);
      res.write('start');
      replicaClosed = once(res, 'close');
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    // Act: read the first bytes, then hang up.
    const req = request({ host: '127.0.0.1', port: f.port, path: '/', headers: { host: 'app-ann.localhost' } });
    req.on('error', () => undefined);
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    await once(res, 'data');
    req.destroy();

    // Assess
    await expect(replicaClosed).resolves.toBeDefined();
  });

  it('cuts the caller\'s answer when the replica dies mid-answer, so it never looks complete', async () => {
    // Prepare: the replica announces ten bytes, sends five, and its connection is cut.
    const b = await backend((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345', () => res.socket?.destroy());
      return true;
    });
    const routes = new RouteTable();
    openRoute(routes, [b.port]);
    const f = await front(routes);

    // Act
    const req = request({ host: '127.0.0.1', port: f.port, path: '/', headers: { host: 'app-ann.localhost' } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const cut = new Promise<string>((resolve) => {
      res.once('end', () => resolve('ended as if complete'));
      res.once('aborted', () => resolve('cut'));
      res.once('error', () => resolve('cut'));
    });
    res.resume();

    // Assess
    expect(res.statusCode).toBe(200);
    await expect(cut).resolves.toBe('cut');
  });
});

describe('the local proxy, idle tracking', () => {
  it('starts the idle clock when the first replica is ready, not when the routes were published', () => {
    // Prepare: a start that takes ten minutes (packages to install) before it serves.
    let now = 1_000;
    const routes = new RouteTable(() => now);
    routes.publish({ resourceId: 'id-slow', owner: 'ann', routes: [{ subdomain: 'slow', containerPort: 8000, visibility: 'owner' }], viewers: [] });
    now = 601_000;

    // Act
    routes.setReady('id-slow', [{ pod: 'slow-0', ports: { 8000: 40_000 } }]);
    now = 611_000;
    routes.setReady('id-slow', [{ pod: 'slow-0', ports: { 8000: 40_000 } }, { pod: 'slow-1', ports: { 8000: 40_001 } }]);
    now = 621_000;

    // Assess: idle since it began to serve; a second replica becoming ready is not activity.
    expect(routes.idleMs('id-slow')).toBe(20_000);
  });

  it('marks the service active on each request and not idle while an answer streams', async () => {
    // Prepare
    let now = 1_000;
    const routes = new RouteTable(() => now);
    let finish: () => void = () => undefined;
    const b = await backend((req, res) => {
      if (req.url !== '/stream') return false;
      res.writeHead(200);
      res.write('tick');
      finish = () => res.end();
      return true;
    });
    openRoute(routes, [b.port]);
    const f = await front(routes);
    now = 61_000;
    expect(routes.idleMs('id-app-ann')).toBe(60_000);

    // Act: a plain request
    await call(f, 'app-ann.localhost');

    // Assess
    expect(routes.idleMs('id-app-ann')).toBe(0);

    // Act: a streamed answer under way while time passes
    const closes = watchConnectionCloses(routes);
    const req = request({ host: '127.0.0.1', port: f.port, path: '/stream', headers: { host: 'app-ann.localhost' } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    await once(res, 'data');
    now = 200_000;

    // Assess
    expect(routes.idleMs('id-app-ann')).toBe(0);
    finish();
    for await (const chunk of res) void chunk;
    await waitUntil('the proxy to see the streamed answer end', closes, (n) => n >= 1);
    now = 210_000;
    expect(routes.idleMs('id-app-ann')).toBe(10_000);
  });
});
