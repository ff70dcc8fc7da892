/**
 * The local reverse proxy in front of deployments and workspaces: a request whose Host is
 * `<subdomain>.localhost[:port]` is checked against the route's visibility (`route-gate.ts`)
 * and forwarded, streamed both ways, to one of the route's ready replicas on 127.0.0.1, picked
 * round-robin by the `RouteTable`. WebSocket upgrades (Jupyter's kernels) pass the same checks
 * and are then tunnelled byte for byte.
 *
 * Every proxied request and tunnel counts as an open connection of its service while it lasts,
 * so a workspace with an open notebook, or a stream being read, is never idle.
 *
 * It is the local counterpart of the load balancer on AWS; the platform's HTTP server hands it
 * the requests `matches` claims and everything else to the API.
 */
import type { IncomingMessage, ClientRequest, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RouteTable, ResolvedRoute } from './route-table.ts';
import { admit, type Admission, type Authenticate } from './route-gate.ts';
import { backendRequestHeaders } from './forwarded-headers.ts';
import type { Scheme } from './proxy-credentials.ts';
import { backendAgent, forwardRequest, tunnelUpgrade, type ForwardingOptions } from './backend-forwarding.ts';
import { NO_ROUTE, NOT_RUNNING, PROXY_FAILED, writeReply, writeReplyOnSocket, type ProxyReply } from './proxy-replies.ts';

export interface LocalProxyOptions {
  routes: RouteTable;
  /** Resolves a platform API token to its user; throws `UnauthenticatedError` for an unknown, revoked or expired one. */
  authenticate: Authenticate;
  /** Served hosts are `<subdomain>.<baseDomain>`, with any port. Default `localhost`. */
  baseDomain?: string;
  /**
   * The scheme callers reach the proxy by: `https` when TLS is terminated in front of it. It
   * decides the session cookie's name and `Secure` flag (`__Host-` needs https) and the proxy's
   * own origin. Default `http`.
   */
  scheme?: Scheme;
  /** Where replicas listen. Default `127.0.0.1`. */
  backendHost?: string;
  /**
   * How long a backend may stay silent before its response starts: then the caller gets 504.
   * Once the response has started it may stream for as long as the caller reads. Default 5 minutes.
   */
  responseTimeoutMs?: number;
  /** How long connecting a WebSocket tunnel to its backend may take. Default 10 seconds. */
  connectTimeoutMs?: number;
  logger?: Pick<Console, 'error'>;
}

export interface LocalProxy {
  /** The subdomain a Host header names under the base domain, or undefined when the request is not the proxy's. */
  matches(host: string | undefined): string | undefined;
  /** Answers a request for `subdomain`; never rejects, whatever the request or the backend does. */
  handleRequest(req: IncomingMessage, res: ServerResponse, subdomain: string): Promise<void>;
  /** Answers an upgrade request (a server's `upgrade` event) for `subdomain`; never rejects. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, subdomain: string): Promise<void>;
  /** Cuts every request under way and every open tunnel (the HTTP server's `close` does not reach upgraded sockets). */
  close(): void;
}

/** The replica's own credential (an IDE's token) in place of whatever the caller sent as Authorization. */
function withReplicaAuthorization(headers: OutgoingHttpHeaders, route: Pick<ResolvedRoute, 'authorization'>): OutgoingHttpHeaders {
  return route.authorization === undefined ? headers : { ...headers, authorization: route.authorization };
}

function refusalReply(admission: Exclude<Admission, { outcome: 'pass' }>): ProxyReply {
  if (admission.outcome === 'sign-in') {
    return { status: admission.status, headers: { location: admission.location, 'set-cookie': admission.setCookie } };
  }
  return { status: admission.status, code: admission.code, message: admission.message, ...(admission.setCookie ? { headers: { 'set-cookie': admission.setCookie } } : {}) };
}

export function createLocalProxy(options: LocalProxyOptions): LocalProxy {
  const { routes, authenticate } = options;
  const config = {
    baseDomain: options.baseDomain ?? 'localhost',
    scheme: options.scheme ?? 'http',
    backendHost: options.backendHost ?? '127.0.0.1',
    responseTimeoutMs: options.responseTimeoutMs ?? 300_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
  };
  const logger = options.logger ?? console;
  const suffix = `.${config.baseDomain.toLowerCase()}`;
  /** Backend requests and tunnel sockets under way, for `close`. */
  const open = new Set<ClientRequest | Duplex>();
  /** Connections to replicas, kept between requests. */
  const agent = backendAgent(config.responseTimeoutMs);
  // Made once, not per request: the proxy's hot path allocates only what the request needs.
  const forwarding: ForwardingOptions = {
    ...config,
    open,
    agent,
    onBadHead: (error, req) => logFailure('backend answered a head that cannot be passed on', matches(req.headers.host) ?? '', error),
  };

  function matches(host: string | undefined): string | undefined {
    if (!host) return undefined;
    const name = host.toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
    if (!name.endsWith(suffix)) return undefined;
    const subdomain = name.slice(0, -suffix.length);
    return subdomain.length > 0 ? subdomain : undefined;
  }

  function logFailure(message: string, subdomain: string, error: unknown): void {
    logger.error(JSON.stringify({ level: 'error', message, subdomain, error: String(error) }));
  }

  function forward(req: IncomingMessage, res: ServerResponse, route: ResolvedRoute, port: number, admission: Extract<Admission, { outcome: 'pass' }>): void {
    routes.touch(route.resourceId);
    const release = routes.connectionOpened(route.resourceId);
    const headers = withReplicaAuthorization(backendRequestHeaders(req, { user: admission.user, stripAuthorization: admission.stripAuthorization, upgrade: false, scheme: config.scheme }), route);
    forwardRequest(req, res, { host: config.backendHost, port, path: admission.target, headers }, forwarding, release);
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse, subdomain: string): Promise<void> {
    try {
      const route = routes.resolve(subdomain);
      if (!route) return writeReply(res, NO_ROUTE);
      const admission = await admit(req, route, authenticate, { upgrade: false, scheme: config.scheme });
      if (admission.outcome !== 'pass') return writeReply(res, refusalReply(admission));
      if (route.port === undefined) return writeReply(res, NOT_RUNNING);
      // The caller left while its credentials were checked: nothing to forward (Node marks the response destroyed when its connection closes).
      if (res.destroyed) return;
      forward(req, res, route, route.port, admission);
    } catch (error) {
      logFailure('proxy failed', subdomain, error);
      writeReply(res, PROXY_FAILED);
    }
  }

  function tunnel(req: IncomingMessage, client: Socket, head: Buffer, route: ResolvedRoute & { port: number }, admission: Extract<Admission, { outcome: 'pass' }>): void {
    routes.touch(route.resourceId);
    const release = routes.connectionOpened(route.resourceId);
    const headers = withReplicaAuthorization(backendRequestHeaders(req, { user: admission.user, stripAuthorization: admission.stripAuthorization, upgrade: true, scheme: config.scheme }), route);
    tunnelUpgrade(req, client, head, { host: config.backendHost, port: route.port, path: admission.target, headers }, { ...config, open }, release);
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, subdomain: string): Promise<void> {
    // The socket left the HTTP server's care: it must never throw unhandled, and has no timeout of its own.
    socket.on('error', () => socket.destroy());
    const client = socket as Socket;
    client.setTimeout?.(0);
    try {
      const route = routes.resolve(subdomain);
      if (!route) return writeReplyOnSocket(socket, NO_ROUTE);
      const admission = await admit(req, route, authenticate, { upgrade: true, scheme: config.scheme });
      if (admission.outcome !== 'pass') return writeReplyOnSocket(socket, refusalReply(admission));
      if (route.port === undefined) return writeReplyOnSocket(socket, NOT_RUNNING);
      if (socket.destroyed) return;
      tunnel(req, client, head, { ...route, port: route.port }, admission);
    } catch (error) {
      logFailure('proxy failed', subdomain, error);
      writeReplyOnSocket(socket, PROXY_FAILED);
    }
  }

  function close(): void {
    for (const connection of open) connection.destroy();
    open.clear();
    agent.destroy();
  }

  return { matches, handleRequest, handleUpgrade, close };
}
