/**
 * The proxy's own answers, in the API's error shape `{code, message}`: on an HTTP response, or
 * written by hand on the raw socket of an upgrade request, which has no response object.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ProxyReply {
  status: number;
  code?: string;
  message?: string;
  headers?: Record<string, string>;
}

export const NO_ROUTE: ProxyReply = {
  status: 404,
  code: 'not_found',
  message: 'Nothing is served at this address: check the deployment or workspace name and that it is running.',
};

export const NOT_RUNNING: ProxyReply = {
  status: 503,
  code: 'not_running',
  message: 'This deployment or workspace is not running, or is still starting; start it, or try again in a few seconds.',
  headers: { 'retry-after': '5' },
};

export const BACKEND_UNREACHABLE: ProxyReply = {
  status: 502,
  code: 'bad_gateway',
  message: 'The deployment or workspace did not answer: it may be restarting or may have crashed; check its logs.',
};

export const BACKEND_TIMEOUT: ProxyReply = {
  status: 504,
  code: 'gateway_timeout',
  message: 'The deployment or workspace took too long to answer; try again, or check its logs.',
};

export const PROXY_FAILED: ProxyReply = {
  status: 500,
  code: 'internal_error',
  message: 'Something went wrong on our side; try again shortly.',
};

function body(reply: ProxyReply): string {
  return reply.code === undefined ? '' : JSON.stringify({ code: reply.code, message: reply.message });
}

export function writeReply(res: ServerResponse, reply: ProxyReply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body(reply);
  res.writeHead(reply.status, {
    ...(text ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : { 'content-length': '0' }),
    'cache-control': 'no-store',
    ...reply.headers,
  });
  res.end(text);
}

/** Answers an upgrade request on its socket and closes the connection. */
export function writeReplyOnSocket(socket: Duplex, reply: ProxyReply): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const text = body(reply);
  const headers: Record<string, string> = {
    ...(text ? { 'content-type': 'application/json' } : {}),
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    connection: 'close',
    ...reply.headers,
  };
  const head = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  socket.end(`${head}\r\n\r\n${text}`);
}
