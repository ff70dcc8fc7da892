/**
 * Issue 19, finding 4: every app is a subdomain of `localhost`, one site, so a page on bob's app
 * can make ann's browser post to ann's app, or open a WebSocket to it, with ann's session cookie.
 * The browser requests are reproduced with the headers browsers add (Fetch standard: `Origin`
 * on cross-origin requests and on every WebSocket handshake, `Sec-Fetch-Site`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RouteTable } from '../../../../infra/local/proxy/route-table.ts';
import { call, startBackend, startFront, stop, type Backend, type Front } from './proxy-harness.ts';
import { openWebSocket, readToEnd, type ClientHandshake } from './websocket-client.ts';

let backend: Backend;
let front: Front;
let secureFront: Front;
const clients: ClientHandshake[] = [];

beforeAll(async () => {
  backend = await startBackend();
  const routes = new RouteTable();
  const publish = (subdomain: string, allowCrossOrigin?: boolean) => {
    routes.publish({ resourceId: `id-${subdomain}`, owner: 'ann', routes: [{ subdomain, containerPort: 8000, visibility: 'org', ...(allowCrossOrigin ? { allowCrossOrigin } : {}) }], viewers: [] });
    routes.setReady(`id-${subdomain}`, [{ pod: `${subdomain}-0`, ports: { 8000: backend.port } }]);
  };
  publish('web-ann');
  publish('widget-ann', true);
  routes.publish({ resourceId: 'id-form-ann', owner: 'ann', routes: [{ subdomain: 'form-ann', containerPort: 8000, visibility: 'unauthenticated' }], viewers: [] });
  routes.setReady('id-form-ann', [{ pod: 'form-ann-0', ports: { 8000: backend.port } }]);
  front = await startFront(routes);
  secureFront = await startFront(routes, { scheme: 'https' });
});

afterEach(() => {
  for (const client of clients.splice(0)) client.socket.destroy();
});

afterAll(async () => {
  front.proxy.close();
  secureFront.proxy.close();
  await stop(front.server, secureFront.server, backend.server);
});

const annSession = { cookie: 'cassini_session=tok-ann' };

function fromBobsApp(): Record<string, string> {
  return { origin: `http://web-bob.localhost:${front.port}`, 'sec-fetch-site': 'same-site' };
}

describe('the local proxy, requests from other origins carrying the session cookie', () => {
  it("refuses a form post from bob's app with ann's cookie, and the app never sees it", async () => {
    // Prepare
    const seenBefore = backend.seen.length;

    // Act
    const answer = await call(front, 'web-ann.localhost', '/settings', { method: 'POST', headers: { ...annSession, ...fromBobsApp() }, body: 'share=bob' });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.json()).toEqual({ code: 'forbidden', message: expect.stringMatching(/another site or app \(Sec-Fetch-Site: same-site\).*allow_cross_origin/) });
    expect(backend.seen.length).toBe(seenBefore);
  });

  it.each([
    ['an Origin of a sibling app', { origin: 'http://web-bob.localhost:8080' }],
    ['an Origin of another site', { origin: 'https://evil.example' }],
    ['the opaque Origin of a sandboxed frame', { origin: 'null' }],
    ['an Origin on another port of the same host', { origin: 'http://web-ann.localhost:1' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses PUT, PATCH and DELETE with %s', async (_what, headers) => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const answer = await call(front, 'web-ann.localhost', '/x', { method, headers: { ...annSession, ...headers } });

      expect(answer.status, method).toBe(403);
    }
  });

  it('lets the same origin post with the cookie', async () => {
    const answer = await call(front, 'web-ann.localhost', '/settings', {
      method: 'POST',
      headers: { ...annSession, origin: `http://web-ann.localhost:${front.port}`, 'sec-fetch-site': 'same-origin' },
    });

    expect(answer.status).toBe(200);
    expect(backend.seen.at(-1)!.headers['x-cassini-user']).toBe('ann');
  });

  it('lets a link from another app open a page (a GET changes nothing)', async () => {
    const answer = await call(front, 'web-ann.localhost', '/', { headers: { ...annSession, ...fromBobsApp() } });

    expect(answer.status).toBe(200);
  });

  it('lets a cross-origin post through when it signs in with a header, which no page can add unasked', async () => {
    const answer = await call(front, 'web-ann.localhost', '/api', { method: 'POST', headers: { authorization: 'Bearer tok-ann', ...fromBobsApp() } });

    expect(answer.status).toBe(200);
  });

  it('lets a cross-origin post through on a route with allow_cross_origin', async () => {
    const answer = await call(front, 'widget-ann.localhost', '/vote', { method: 'POST', headers: { ...annSession, ...fromBobsApp() } });

    expect(answer.status).toBe(200);
  });

  it("serves a cross-origin post to an unauthenticated route as an anonymous caller's, naming nobody to the app", async () => {
    const answer = await call(front, 'form-ann.localhost', '/subscribe', { method: 'POST', headers: { ...annSession, ...fromBobsApp() } });

    expect(answer.status).toBe(200);
    expect(backend.seen.at(-1)!.headers['x-cassini-user']).toBeUndefined();
    expect(backend.seen.at(-1)!.headers.cookie).toBeUndefined();
  });

  it("refuses a WebSocket opened by bob's page with ann's cookie", async () => {
    // Prepare
    const seenBefore = backend.seen.length;

    // Act
    const ws = await openWebSocket(front.port, 'web-ann.localhost', '/api/kernels/k/channels', { ...annSession, origin: `http://web-bob.localhost:${front.port}` });
    clients.push(ws);
    const body = await readToEnd(ws);

    // Assess
    expect(ws.status).toBe(403);
    expect(JSON.parse(body)).toEqual({ code: 'forbidden', message: expect.stringContaining('A WebSocket from another site or app') });
    expect(backend.seen.length).toBe(seenBefore);
  });
});

describe('the local proxy behind https', () => {
  it('names the session cookie __Host- and makes it Secure', async () => {
    const answer = await call(secureFront, 'web-ann.localhost', '/?token=tok-ann');

    expect(answer.status).toBe(302);
    expect(answer.headers['set-cookie']).toEqual(['__Host-cassini_session=tok-ann; Path=/; HttpOnly; SameSite=Lax; Secure']);
  });

  it('reads only the __Host- cookie, which no sibling subdomain can set', async () => {
    const planted = await call(secureFront, 'web-ann.localhost', '/', { headers: { cookie: 'cassini_session=tok-bob' } });
    const own = await call(secureFront, 'web-ann.localhost', '/', { headers: { cookie: '__Host-cassini_session=tok-ann' } });

    expect(planted.status).toBe(401);
    expect(own.status).toBe(200);
    expect(backend.seen.at(-1)!.headers['x-forwarded-proto']).toBe('https');
    expect(backend.seen.at(-1)!.headers.cookie).toBeUndefined();
  });

  it('takes an https Origin of its own host for the same origin', async () => {
    const answer = await call(secureFront, 'web-ann.localhost', '/', {
      method: 'POST',
      headers: { cookie: '__Host-cassini_session=tok-ann', origin: `https://web-ann.localhost:${secureFront.port}` },
    });

    expect(answer.status).toBe(200);
  });
});
