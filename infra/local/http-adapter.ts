/**
 * Node HTTP in front of the API handler: each request becomes the API Gateway HTTP API (v2)
 * event the Lambda would receive, and the handler's result becomes the response.
 *
 * A request whose `Content-Length` already says its body is over the API's limit is answered
 * 413 at once, before any of the body is read: a client need not send megabytes to learn they
 * will be refused. The whole answer is written then, but the response is ended only once the
 * client has sent what it announced (read and dropped, up to DRAIN_LIMIT): ending it sooner
 * closes a `Connection: close` client's connection while it still writes, the kernel resets
 * it, and the client sees a broken pipe instead of the answer. Past DRAIN_LIMIT the connection
 * is cut; a client that stops sending is cut by the server's request timeout.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Reads at most this much of a body: enough for the API to see it is too large and say so. */
const READ_LIMIT = 512 * 1024;

export type ApiHandler = (event: APIGatewayProxyEventV2, context: object) => Promise<APIGatewayProxyStructuredResultV2>;

const NO_BODY = Buffer.alloc(0);

async function readBody(req: IncomingMessage): Promise<{ body: Buffer; truncated: boolean }> {
  // A request with neither header has no body (RFC 9112 §6.3): most reads, spared an async iterator each.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return { body: NO_BODY, truncated: false };
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of req) {
    // Past the limit the rest is read and dropped: leaving it unread would tear the connection
    // down before the 413 could be sent.
    if (truncated) continue;
    const buffer = chunk as Buffer;
    if (size + buffer.length > READ_LIMIT) {
      truncated = true;
      chunks.push(buffer.subarray(0, READ_LIMIT - size));
      continue;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { body: Buffer.concat(chunks), truncated };
}

/** What `apiGatewayEvent` needs of a request besides its body: an IncomingMessage has it all. */
export interface RequestHead {
  method?: string | undefined;
  url?: string | undefined;
  httpVersion: string;
  headers: IncomingMessage['headers'];
  socket: { remoteAddress?: string | undefined };
}

export async function toApiGatewayEvent(req: IncomingMessage): Promise<APIGatewayProxyEventV2> {
  const { body, truncated } = await readBody(req);
  return apiGatewayEvent(req, body, truncated);
}

/** The event API Gateway would hand the Lambda for this request head and body. */
export function apiGatewayEvent(req: RequestHead, body: Buffer, truncated = false): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  if (truncated) headers['content-length'] = String(Math.max(Number(headers['content-length'] ?? 0), READ_LIMIT + 1));
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = Date.now();
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: body.length ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  };
}

export function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string> = {};
  for (const name in result.headers) headers[name] = String(result.headers[name]);
  // A text body is written as the string it is: copying it into a Buffer first cost as much as
  // writing it, for a listing's tens of kilobytes.
  const body = result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  if (body !== undefined) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

export interface HttpAdapter {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Resolves once no request is being handled (true), or after `timeoutMs` with some still under way (false). */
  drained(timeoutMs: number): Promise<boolean>;
}

/** How much of a refused body is read and dropped, for the client to finish writing and read its 413. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

/** Answers 413 now, and ends the response once the body the client still sends is read and dropped. */
function refuseUnread(req: IncomingMessage, res: ServerResponse, message: string): void {
  const body = JSON.stringify({ code: 'payload_too_large', message });
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.write(body);
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT) res.destroy();
  });
  req.once('end', () => res.end());
  req.once('error', () => res.destroy());
}

export interface HttpAdapterOptions {
  /** Bodies the API accepts at most; a larger declared `Content-Length` is refused unread. */
  maxBodyBytes: number;
  /** The refusal's message. */
  tooLargeMessage: string;
}

function declaredTooLarge(req: IncomingMessage, maxBodyBytes: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > maxBodyBytes;
}

export function httpAdapter(handler: ApiHandler, options: HttpAdapterOptions): HttpAdapter {
  let inFlight = 0;
  /** Who waits for no request to be under way: a stop, and launches giving way (bounded-run-launches.ts). */
  const idleWaiters = new Set<() => void>();
  const adapter = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (declaredTooLarge(req, options.maxBodyBytes)) {
      refuseUnread(req, res, options.tooLargeMessage);
      return;
    }
    inFlight++;
    try {
      const event = await toApiGatewayEvent(req);
      writeResult(res, await handler(event, {}));
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', message: 'local HTTP adapter failed', error: String(error) }));
      if (!res.headersSent) writeResult(res, { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'internal_error', message: 'Something went wrong on our side; try again shortly.' }) });
    } finally {
      inFlight--;
      if (inFlight === 0) for (const wake of idleWaiters) wake();
    }
  };
  adapter.drained = (timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if (inFlight === 0) return resolve(true);
      const wake = () => {
        clearTimeout(timer);
        idleWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        idleWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      idleWaiters.add(wake);
    });
  return adapter;
}
