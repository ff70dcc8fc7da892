/**
 * Passing an admitted request on to its backend, and the answer back, streamed both ways: plain
 * requests through a backend request, WebSocket (and other) upgrades as a byte-for-byte tunnel.
 * The local proxy and the AWS edge sidecar (infra/aws/edge) both forward through here; each
 * decides beforehand who passes and with which headers.
 */
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { clientResponseHeaders, flatHeaders, requestHead } from './forwarded-headers.ts';
import { BACKEND_TIMEOUT, BACKEND_UNREACHABLE, writeReply, writeReplyOnSocket } from './proxy-replies.ts';

export interface BackendTarget {
  host: string;
  port: number;
  /** The request target (origin form) the backend gets. */
  path: string;
  headers: OutgoingHttpHeaders;
}

export interface ForwardingOptions {
  /** How long a backend may stay silent before its response starts: then the caller gets 504. */
  responseTimeoutMs: number;
  /** How long connecting a tunnel to its backend may take. */
  connectTimeoutMs: number;
  /** Backend requests and sockets under way, so their owner can cut them all. */
  open: Set<ClientRequest | Duplex>;
  /** Called when the backend's answer to `req` cannot be passed on. */
  onBadHead?: (error: unknown, req: IncomingMessage) => void;
  /** Keeps connections to backends open between requests (backendAgent); a connection per request when absent. */
  agent?: Agent;
}

/**
 * How long an idle connection to a backend is kept: well under the keep-alive timeouts servers
 * commonly use (Node 5 s, gunicorn 2 s), so the proxy lets go of a connection before the backend
 * does, rather than reusing one the backend is just closing. A backend's own `Keep-Alive:
 * timeout=` hint, when shorter, is honoured by Node's agent.
 */
const IDLE_BACKEND_CONNECTION_MS = 1_000;

/**
 * An agent that reuses connections to backends: loopback connections are cheap, but not free at
 * thousands per second. Its idle timeout is also the silence timer of the requests on its
 * connections (`send` counts the backend's silence from it), so it is never longer than the
 * response timeout: a request then sets no timer of its own.
 */
export function backendAgent(responseTimeoutMs: number = IDLE_BACKEND_CONNECTION_MS): Agent {
  return new Agent({ keepAlive: true, timeout: Math.min(IDLE_BACKEND_CONNECTION_MS, responseTimeoutMs), scheduling: 'lifo' });
}

/**
 * A request that met a reused connection closed under it (the backend timed it out just as it
 * was taken) may go again on a new one, once, when sending it twice cannot do anything twice:
 * a bodiless GET or HEAD that got no answer yet.
 */
function mayRetryOnFreshConnection(req: IncomingMessage, backend: ClientRequest, error: NodeJS.ErrnoException): boolean {
  return (
    backend.reusedSocket &&
    (error.code === 'ECONNRESET' || error.code === 'EPIPE') &&
    (req.method === 'GET' || req.method === 'HEAD') &&
    req.headers['transfer-encoding'] === undefined &&
    (req.headers['content-length'] === undefined || req.headers['content-length'] === '0')
  );
}

/** TCP keep-alive on tunnels, so a peer that vanished without closing is noticed and the tunnel freed. */
const KEEP_ALIVE_MS = 60_000;
/**
 * After one side of a tunnel ends, how long the other has to close too. WebSockets end with a
 * close frame, not a half-closed connection, so a tunnel left half-open past this is cut: it
 * would otherwise count as an open connection, and keep its workspace from going idle, forever.
 */
const HALF_CLOSE_GRACE_MS = 10_000;

class BackendTimeout extends Error {}

/** Forwards `req` to `target` and streams the answer to `res`; `done` runs once when the exchange is over. */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: BackendTarget, options: ForwardingOptions, done: () => void): void {
  const exchange: Exchange = { backend: undefined, finished: false };
  // One listener for the whole exchange (a retry replaces `exchange.backend`): listeners cost at thousands of requests per second.
  res.once('close', () => {
    exchange.finished = true;
    const { backend } = exchange;
    if (backend !== undefined) {
      // The caller went away, or the answer is complete: either way the backend request is done.
      if (!res.writableFinished) backend.destroy();
      options.open.delete(backend);
    }
    done();
  });
  send(req, res, target, options, options.agent ?? false, exchange);
}

/** The backend request under way for one caller's request, and whether the caller's side is over. */
interface Exchange {
  backend: ClientRequest | undefined;
  finished: boolean;
}

function send(req: IncomingMessage, res: ServerResponse, target: BackendTarget, options: ForwardingOptions, agent: Agent | false, exchange: Exchange): void {
  const { open } = options;
  // On a kept connection the agent's idle timeout is already the socket's silence timer: no timer per request.
  // A flat header list: Node writes it as the request head at once, with no setHeader per header.
  const backend = httpRequest({ host: target.host, port: target.port, method: req.method, path: target.path, headers: flatHeaders(target.headers), agent, ...(agent === false ? { timeout: options.responseTimeoutMs } : {}) });
  exchange.backend = backend;
  open.add(backend);
  if (exchange.finished) {
    backend.destroy();
    open.delete(backend);
  }
  /** How long the backend has been silent so far, counted in whole socket timeouts. */
  let silentMs = 0;
  let answered = false;
  backend.on('timeout', () => {
    // Once the response has started it may stream for as long as the caller reads.
    if (answered) return;
    const timer = backend.socket?.timeout ?? 0;
    silentMs += timer;
    if (timer === 0 || silentMs >= options.responseTimeoutMs) backend.destroy(new BackendTimeout());
    else backend.setTimeout(options.responseTimeoutMs - silentMs);
  });
  backend.on('error', (error: NodeJS.ErrnoException) => {
    if (!res.headersSent && !exchange.finished && agent !== false && mayRetryOnFreshConnection(req, backend, error)) {
      open.delete(backend);
      return send(req, res, target, options, false, exchange);
    }
    if (res.headersSent) res.destroy();
    else writeReply(res, error instanceof BackendTimeout ? BACKEND_TIMEOUT : BACKEND_UNREACHABLE);
  });
  backend.once('response', (answer) => {
    answered = true;
    try {
      // The status code is kept; the reason phrase is Node's own, as the backend's may hold bytes Node refuses to write.
      res.writeHead(answer.statusCode ?? 502, clientResponseHeaders(answer.rawHeaders));
    } catch (error) {
      options.onBadHead?.(error, req);
      answer.destroy();
      writeReply(res, BACKEND_UNREACHABLE);
      return;
    }
    // `pipe`, not `pipeline`: pipeline allocates an AbortController per call and a DOMException
    // when it finishes (a tenth of the proxy's time under load). What pipeline would add is done
    // here: an answer cut short by the backend cuts the caller's response (it must not look
    // complete), and a caller that leaves destroys the backend request (`forwardRequest`'s close).
    answer.once('error', () => res.destroy());
    answer.pipe(res);
  });
  req.once('error', () => backend.destroy());
  // A retried request's body (none) was read by the first attempt.
  if (req.readableEnded) backend.end();
  else req.pipe(backend);
}

/** Tunnels an upgrade request to `target`: the backend's own answer (101, or a refusal) reaches the caller unchanged. */
export function tunnelUpgrade(req: IncomingMessage, client: Socket, head: Buffer, target: BackendTarget, options: ForwardingOptions, done: () => void): void {
  const { open } = options;
  const backend = connect({ host: target.host, port: target.port });
  open.add(backend);
  open.add(client);
  let connected = false;
  backend.setTimeout(options.connectTimeoutMs, () => backend.destroy(new BackendTimeout()));
  backend.once('connect', () => {
    connected = true;
    backend.setTimeout(0);
    for (const socket of [backend, client]) {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, KEEP_ALIVE_MS);
    }
    backend.write(requestHead(req.method ?? 'GET', target.path, target.headers));
    if (head.length > 0) backend.write(head);
    backend.pipe(client);
    client.pipe(backend);
  });
  backend.on('error', (error) => {
    if (connected) client.destroy();
    else writeReplyOnSocket(client, error instanceof BackendTimeout ? BACKEND_TIMEOUT : BACKEND_UNREACHABLE);
  });
  client.on('error', () => backend.destroy());
  for (const side of [backend, client]) {
    side.once('end', () => {
      setTimeout(() => {
        backend.destroy();
        client.destroy();
      }, HALF_CLOSE_GRACE_MS).unref();
    });
  }
  // When one side has closed, the other is ended once what it still has to write is written.
  backend.once('close', () => {
    open.delete(backend);
    if (connected) client.destroySoon();
  });
  client.once('close', () => {
    open.delete(client);
    if (connected) backend.destroySoon();
    else backend.destroy();
    done();
  });
}
