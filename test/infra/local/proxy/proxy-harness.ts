/**
 * Real servers around the proxy under test: backends that echo what they received, and a Node
 * HTTP server in front that hands `*.localhost` hosts to the proxy, as the platform's server
 * does. The only stand-in is `authenticate`, which maps fixed tokens to users.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalProxy, type LocalProxy, type LocalProxyOptions } from '../../../../infra/local/proxy/local-proxy.ts';
import type { RouteTable } from '../../../../infra/local/proxy/route-table.ts';
import type { User } from '../../../../shared/domain/identity/principal-decider.ts';
import { UnauthenticatedError } from '../../../../shared/domain/errors.ts';

export const users = {
  ann: { username: 'ann', email: null, groups: ['ml'], admin: false },
  mia: { username: 'mia', email: null, groups: ['ml'], admin: false },
  root: { username: 'root', email: null, groups: [], admin: true },
  carl: { username: 'carl', email: null, groups: [], admin: false },
  dora: { username: 'dora', email: null, groups: ['auditors'], admin: false },
  bob: { username: 'bob', email: null, groups: ['finance'], admin: false },
} satisfies Record<string, User>;

/** Each user's token is `tok-<name>`; `tok-expired` is an expired one. */
export async function authenticate(token: string): Promise<User> {
  if (token === 'tok-expired') throw new UnauthenticatedError('The API token has expired; ask for a new one.');
  const user = Object.values(users).find((u) => `tok-${u.username}` === token);
  if (!user) throw new UnauthenticatedError('The API token is not valid.');
  return user;
}

export interface Echo {
  port: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Header names and values as they came on the wire, in order. */
  rawHeaders: string[];
  body: string;
}

export interface Backend {
  server: Server;
  port: number;
  /** Requests it received, newest last. */
  seen: Echo[];
}

export async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A backend that answers every request with a JSON echo of it, unless `handler` answers first. */
export async function startBackend(handler?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<Backend> {
  const seen: Echo[] = [];
  const backend: Backend = { server: createServer(), port: 0, seen };
  backend.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (handler?.(req, res)) return;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echo: Echo = { port: backend.port, method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() };
      seen.push(echo);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
  });
  backend.port = await listen(backend.server);
  return backend;
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Front {
  proxy: LocalProxy;
  routes: RouteTable;
  server: Server;
  port: number;
  /** Requests the front answered itself: those not for a `*.localhost` host. */
  apiRequests: number;
}

export async function startFront(routes: RouteTable, options: Partial<LocalProxyOptions> = {}): Promise<Front> {
  const proxy = createLocalProxy({ routes, authenticate, baseDomain: 'localhost', ...options });
  const front: Front = { proxy, routes, server: createServer(), port: 0, apiRequests: 0 };
  front.server.on('request', (req, res) => {
    const subdomain = proxy.matches(req.headers.host);
    if (subdomain !== undefined) return void proxy.handleRequest(req, res, subdomain);
    front.apiRequests++;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('api');
  });
  front.server.on('upgrade', (req, socket, head) => {
    const subdomain = proxy.matches(req.headers.host);
    if (subdomain !== undefined) return void proxy.handleUpgrade(req, socket, head, subdomain);
    socket.destroy();
  });
  front.port = await listen(front.server);
  return front;
}

export async function stop(...servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The headers as received: name, value, name, value, names as spelled. */
  rawHeaders: string[];
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** One request through the front, with the Host header a browser would send for `<subdomain>.localhost`. */
export async function call(
  front: Front,
  host: string,
  path = '/',
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const req = request({ host: '127.0.0.1', port: front.port, method: options.method ?? 'GET', path, headers: { host: `${host}:${front.port}`, ...options.headers } });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString();
  return { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body, json: <T>() => JSON.parse(body) as T };
}

/**
 * Counts the long-lived connections (WebSockets, streamed answers) the proxy has reported
 * closed to the route table, so a test can wait for the close to be seen rather than sleep.
 */
export function watchConnectionCloses(routes: RouteTable): () => number {
  let closes = 0;
  const opened = routes.connectionOpened.bind(routes);
  routes.connectionOpened = (resourceId: string) => {
    const close = opened(resourceId);
    return () => {
      close();
      closes++;
    };
  };
  return () => closes;
}
