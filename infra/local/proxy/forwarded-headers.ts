/**
 * The headers a request carries on to the backend, and a response back to the caller.
 *
 * Hop-by-hop headers (RFC 9110 §7.6.1: `Connection`, the headers it names, `Keep-Alive`,
 * `Transfer-Encoding`, ...) describe one connection and are not forwarded; Node frames each
 * side itself. The caller's platform credentials never reach the backend. In their place the
 * backend learns who is calling from `X-Cassini-User` (absent for anonymous callers), which
 * the proxy always sets itself after removing every spelling of it the caller sent
 * (`X_Cassini_User`, ...: see identity-header.ts), so that no caller can claim a name, and where the
 * request came from from `X-Forwarded-For`, `-Proto` and `-Host`. The proxy is the first hop,
 * so whatever the caller sent in those is replaced rather than appended to.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { IDENTITY_HEADER, isIdentityHeader } from '../../../shared/domain/identity/identity-header.ts';
import { withoutSessionCookie } from './proxy-credentials.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** What nearly every request and answer says, `Connection: keep-alive` or `close`, parsed once. */
const COMMON_CONNECTION_OPTIONS = new Map<string, ReadonlySet<string>>([
  ['keep-alive', new Set(['keep-alive'])],
  ['close', new Set(['close'])],
]);

/** The header names a `Connection` header lists: hop-by-hop too. Undefined when it lists none (the common case, at no cost). */
function connectionOptions(connection: string | string[] | undefined): ReadonlySet<string> | undefined {
  if (connection === undefined) return undefined;
  const common = typeof connection === 'string' ? COMMON_CONNECTION_OPTIONS.get(connection) : undefined;
  if (common !== undefined) return common;
  const named = String(connection)
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean);
  return named.length === 0 ? undefined : new Set(named);
}

/**
 * The headers without hop-by-hop ones and without those `drop` names, copied in one pass: this
 * runs for every proxied request and answer, so it makes no intermediate copies.
 */
function withoutHopByHop(headers: IncomingHttpHeaders, drop?: (name: string) => boolean): Record<string, string | string[]> {
  const named = connectionOptions(headers.connection);
  const kept: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name) || drop?.(name)) continue;
    kept[name] = value;
  }
  return kept;
}

export interface ForwardedFor {
  user: User | null;
  /** The Authorization header carried a platform token (on an `unauthenticated` route it may be the app's own). */
  stripAuthorization: boolean;
  /** A WebSocket (or other) upgrade: `Connection: upgrade` and `Upgrade` are kept, as the backend must see them. */
  upgrade: boolean;
  /** The scheme callers reach the proxy by, for `X-Forwarded-Proto`; default `http`. */
  scheme?: 'http' | 'https';
}

/** What never reaches a backend from the caller: any spelling of the identity header, `Expect`, and the platform's own Authorization. */
function droppedForBackend(stripAuthorization: boolean): (name: string) => boolean {
  // The caller was already told to continue (Node answers `Expect: 100-continue` itself).
  return (name) => name === 'expect' || (stripAuthorization && name === 'authorization') || isIdentityHeader(name);
}
const DROP_KEEPING_AUTHORIZATION = droppedForBackend(false);
const DROP_WITH_AUTHORIZATION = droppedForBackend(true);

export function backendRequestHeaders(req: IncomingMessage, forwarded: ForwardedFor): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = withoutHopByHop(req.headers, forwarded.stripAuthorization ? DROP_WITH_AUTHORIZATION : DROP_KEEPING_AUTHORIZATION);
  if (typeof headers.cookie === 'string') {
    const cookie = withoutSessionCookie(headers.cookie);
    if (cookie === undefined) delete headers.cookie;
    else headers.cookie = cookie;
  }
  if (forwarded.user) headers[IDENTITY_HEADER] = forwarded.user.username;
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-proto'] = forwarded.scheme ?? 'http';
  if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
  if (forwarded.upgrade && req.headers.upgrade !== undefined) {
    headers.connection = 'upgrade';
    headers.upgrade = req.headers.upgrade;
  }
  return headers;
}

/**
 * The backend's response headers for the caller, from its raw headers (name, value, name, value,
 * as received): everything but hop-by-hop, each `Set-Cookie` kept, names as the backend spelled
 * them. Read from the raw list, the answer's `headers` object is never built, and the flat list
 * goes to `writeHead` as it is: per answer, no object and no `setHeader` per header.
 */
export function clientResponseHeaders(rawHeaders: readonly string[]): string[] {
  let named: ReadonlySet<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 10 && rawHeaders[i]!.toLowerCase() === 'connection') {
      const listed = connectionOptions(rawHeaders[i + 1]);
      if (listed !== undefined) named = named === undefined ? listed : new Set([...named, ...listed]);
    }
  }
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    kept.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return kept;
}

/** Headers as the flat list (name, value, ...) `http.request` takes without a `setHeader` per header. */
export function flatHeaders(headers: OutgoingHttpHeaders): string[] {
  const flat: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) flat.push(name, one);
    else flat.push(name, String(value));
  }
  return flat;
}

/** A request head written as HTTP/1.1 text, for the upgrade path, which speaks to the backend over a plain socket. */
export function requestHead(method: string, target: string, headers: OutgoingHttpHeaders): string {
  const lines = [`${method} ${target} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(one).replace(/[\r\n]/g, ' ')}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
