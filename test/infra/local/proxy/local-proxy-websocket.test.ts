import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RouteTable } from '../../../../infra/local/proxy/route-table.ts';
import { closedPort, listen, startFront, stop, watchConnectionCloses, type Front } from './proxy-harness.ts';
import { waitUntil } from '../../../support/wait-until.ts';
import { acceptWebSocket, FrameReader, openWebSocket, readToEnd, textFrame, type ClientHandshake } from './websocket-client.ts';

interface Upgrade {
  url: string;
  headers: IncomingHttpHeaders;
}

let now: number;
let routes: RouteTable;
let backend: Server;
let upgrades: Upgrade[];
let backendSockets: Socket[];
let front: Front;
const clients: ClientHandshake[] = [];

/** A Jupyter-like backend: greets each WebSocket with the user it was told about, then echoes every frame. */
beforeEach(async () => {
  now = 1_000;
  routes = new RouteTable(() => now);
  upgrades = [];
  backendSockets = [];
  backend = createServer((_req, res) => res.end('plain'));
  backend.on('upgrade', (req, socket, head) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    backendSockets.push(socket as Socket);
    const frames = acceptWebSocket(req, socket, head);
    socket.write(textFrame(`welcome ${String(req.headers['x-cassini-user'])}`, false));
    // Echoes until the connection closes, when the pending read fails and ends the loop.
    void (async () => {
      for (;;) socket.write(textFrame(`echo:${await frames.next()}`, false));
    })().catch(() => undefined);
  });
  const port = await listen(backend);
  routes.publish({ resourceId: 'ws-1', owner: 'ann', routes: [{ subdomain: 'lab-ann', containerPort: 8000, visibility: 'owner' }], viewers: [] });
  routes.setReady('ws-1', [{ pod: 'ws-1-r1-0', ports: { 8000: port } }]);
  front = await startFront(routes);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  front.proxy.close();
  await stop(front.server, backend);
});

async function open(path: string, headers: Record<string, string> = {}, host = 'lab-ann.localhost'): Promise<ClientHandshake> {
  const handshake = await openWebSocket(front.port, host, path, headers);
  clients.push(handshake);
  return handshake;
}

describe('the local proxy, WebSockets', () => {
  it('completes the handshake with the backend and carries frames both ways', async () => {
    // Act
    const ws = await open('/api/kernels/k1/channels?session_id=s', { authorization: 'Bearer tok-ann' });
    const frames = new FrameReader(ws.socket, ws.rest);
    const welcome = await frames.next();
    ws.socket.write(textFrame('execute 1+1', true));
    const echo = await frames.next();

    // Assess
    expect(ws.status).toBe(101);
    expect(ws.responseHead).toContain(`Sec-WebSocket-Accept: ${ws.expectedAccept}`);
    expect(welcome).toBe('welcome ann');
    expect(echo).toBe('echo:execute 1+1');
    expect(upgrades[0]!.url).toBe('/api/kernels/k1/channels?session_id=s');
    expect(upgrades[0]!.headers.authorization).toBeUndefined();
    expect(upgrades[0]!.headers.upgrade).toBe('websocket');
    expect(upgrades[0]!.headers.host).toBe(`lab-ann.localhost:${front.port}`);
  });

  it('accepts the session cookie and keeps it from the backend', async () => {
    const ws = await open('/api/events/subscribe', { cookie: '_xsrf=1; cassini_session=tok-root' });
    const frames = new FrameReader(ws.socket, ws.rest);

    expect(ws.status).toBe(101);
    expect(await frames.next()).toBe('welcome root');
    expect(upgrades[0]!.headers.cookie).toBe('_xsrf=1');
  });

  it('accepts ?token= and removes it from the address the backend sees', async () => {
    const ws = await open('/terminals/websocket/1?token=tok-ann&x=2');

    expect(ws.status).toBe(101);
    expect(upgrades[0]!.url).toBe('/terminals/websocket/1?x=2');
  });

  it('refuses an anonymous upgrade with 401 and never reaches the backend', async () => {
    const ws = await open('/api/kernels/k1/channels');
    const body = await readToEnd(ws);

    expect(ws.status).toBe(401);
    expect(JSON.parse(body)).toEqual({ code: 'unauthenticated', message: expect.any(String) });
    expect(upgrades).toHaveLength(0);
  });

  it('refuses another user with 403', async () => {
    const ws = await open('/api/kernels/k1/channels', { authorization: 'token tok-bob' });
    await readToEnd(ws);

    expect(ws.status).toBe(403);
    expect(upgrades).toHaveLength(0);
  });

  it('answers 404 for an unknown subdomain and 503 while nothing is ready', async () => {
    const unknown = await open('/', { authorization: 'Bearer tok-ann' }, 'nothing.localhost');
    await readToEnd(unknown);
    routes.setReady('ws-1', []);
    const starting = await open('/', { authorization: 'Bearer tok-ann' });
    await readToEnd(starting);

    expect(unknown.status).toBe(404);
    expect(starting.status).toBe(503);
    expect(starting.responseHead).toMatch(/retry-after: 5/i);
  });

  it('answers 502 when the backend refuses the connection', async () => {
    routes.setReady('ws-1', [{ pod: 'gone', ports: { 8000: await closedPort() } }]);

    const ws = await open('/', { authorization: 'Bearer tok-ann' });
    const body = await readToEnd(ws);

    expect(ws.status).toBe(502);
    expect(JSON.parse(body).code).toBe('bad_gateway');
  });

  it('keeps the workspace from going idle while the WebSocket is open, and counts from its close', async () => {
    // Prepare
    now = 100_000;
    expect(routes.idleMs('ws-1')).toBe(99_000);

    // Act: open, then let time pass
    const closes = watchConnectionCloses(routes);
    const ws = await open('/api/kernels/k1/channels', { authorization: 'Bearer tok-ann' });
    await new FrameReader(ws.socket, ws.rest).next();
    now = 5_000_000;

    // Assess
    expect(routes.idleMs('ws-1')).toBe(0);

    // Act: close
    ws.socket.end();
    await once(backendSockets[0]!, 'close');
    await waitUntil('the proxy to see the WebSocket close', closes, (n) => n >= 1);
    now = 5_060_000;

    // Assess
    expect(routes.idleMs('ws-1')).toBe(60_000);
  });

  it('closes the caller side when the backend closes', async () => {
    const ws = await open('/api/kernels/k1/channels', { authorization: 'Bearer tok-ann' });
    await new FrameReader(ws.socket, ws.rest).next();

    backendSockets[0]!.destroy();

    await once(ws.socket, 'close');
  });

  it('cuts open tunnels on close', async () => {
    const ws = await open('/api/kernels/k1/channels', { authorization: 'Bearer tok-ann' });
    await new FrameReader(ws.socket, ws.rest).next();

    front.proxy.close();

    await Promise.all([once(ws.socket, 'close'), once(backendSockets[0]!, 'close')]);
  });
});
