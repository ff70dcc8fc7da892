/**
 * The proxy keeps its connections to a replica open between requests (one TCP connection per
 * request costs more than the request at thousands per second), and a connection the replica
 * closed just as it was reused costs a bodiless GET nothing: it goes again on a new connection.
 * A request with a body is never sent twice.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RouteTable } from '../../../../infra/local/proxy/route-table.ts';
import { call, listen, startFront, stop, type Front } from './proxy-harness.ts';
import type { Server } from 'node:http';

const servers: Server[] = [];
const fronts: Front[] = [];

afterEach(async () => {
  for (const front of fronts) front.proxy.close();
  await stop(...fronts.splice(0).map((f) => f.server), ...servers.splice(0));
});

/** A replica that answers with the number of its connection and of the request on it; `onRequest` may answer instead. */
async function replica(onRequest?: (req: IncomingMessage, res: ServerResponse, nthOnSocket: number) => boolean): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const perSocket = new WeakMap<Socket, { n: number; count: number }>();
  const server = createServer((req, res) => {
    const socket = req.socket;
    let seen = perSocket.get(socket);
    if (!seen) {
      seen = { n: ++connections, count: 0 };
      perSocket.set(socket, seen);
    }
    seen.count++;
    req.resume();
    req.once('end', () => {
      if (onRequest?.(req, res, seen.count)) return;
      res.end(`connection ${seen.n} request ${seen.count}`);
    });
  });
  servers.push(server);
  return { port: await listen(server), connections: () => connections };
}

async function openFront(port: number): Promise<Front> {
  const routes = new RouteTable();
  routes.publish({ resourceId: 'id-app', owner: 'ann', routes: [{ subdomain: 'app-ann', containerPort: 8000, visibility: 'unauthenticated' }], viewers: [] });
  routes.setReady('id-app', [{ pod: 'app-0', ports: { 8000: port } }]);
  const front = await startFront(routes);
  fronts.push(front);
  return front;
}

describe('the local proxy, connections to replicas', () => {
  it('sends requests one after another over one kept connection', async () => {
    // Prepare
    const backend = await replica();
    const front = await openFront(backend.port);

    // Act
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await call(front, 'app-ann.localhost'));

    // Assess
    expect(answers.map((a) => a.body)).toEqual([1, 2, 3, 4, 5].map((n) => `connection 1 request ${n}`));
    expect(backend.connections()).toBe(1);
  });

  it('sends a GET again on a new connection when the kept one was closed under it', async () => {
    // Prepare: the replica drops its connection, unanswered, at the second request on it
    const backend = await replica((req, res, nth) => {
      if (nth < 2) return false;
      req.socket.destroy();
      return true;
    });
    const front = await openFront(backend.port);
    expect((await call(front, 'app-ann.localhost')).body).toBe('connection 1 request 1');

    // Act
    const again = await call(front, 'app-ann.localhost', '/page');

    // Assess
    expect(again).toMatchObject({ status: 200, body: 'connection 2 request 1' });
  });

  it('never sends a request with a body twice: it gets 502 instead', async () => {
    // Prepare
    const posts: string[] = [];
    const backend = await replica((req, res, nth) => {
      if (req.method === 'POST') posts.push(req.url ?? '');
      if (nth < 2) return false;
      req.socket.destroy();
      return true;
    });
    const front = await openFront(backend.port);
    await call(front, 'app-ann.localhost');

    // Act
    const post = await call(front, 'app-ann.localhost', '/orders', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'one order' });

    // Assess
    expect(post.status).toBe(502);
    expect(posts).toEqual(['/orders']);
  });
});
