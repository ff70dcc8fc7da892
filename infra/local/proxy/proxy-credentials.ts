/**
 * Where a request to a deployment or workspace carries the caller's platform credentials, and
 * how they are taken out before the request goes on: an `Authorization` header, a `?token=`
 * query parameter (followed once by a browser), or the session cookie that parameter sets.
 *
 * The session cookie holds the API token itself. It is HttpOnly (page scripts cannot read it),
 * SameSite=Lax and has no Domain attribute, so the browser sends it only to the one host that
 * set it, never to a sibling subdomain; the proxy removes it before forwarding, so the app
 * behind never sees it. Where callers come over https it is named `__Host-cassini_session`
 * and is `Secure`: browsers accept a `__Host-` cookie only from that very host, so an app on a
 * sibling subdomain cannot plant one (with `Domain=`) to sign its visitors in as someone else,
 * and only that name is read there. Plain http allows no such prefix.
 * SameSite does not stop a sibling app's page from sending requests with the cookie (every
 * app shares one site): cross-origin.ts does. Holding the token rather than a session id of our own means no session
 * store to keep, and revoking or expiring the token ends every browser session at once.
 */
import type { IncomingMessage } from 'node:http';
import { tokenFromAuthorization } from '../../../functions/api/middlewares/authentication.ts';

export type Scheme = 'http' | 'https';

const SESSION_COOKIE_NAMES: Record<Scheme, string> = { http: 'cassini_session', https: '__Host-cassini_session' };

/** The session cookie's name for callers who come by `scheme`. */
export function sessionCookieName(scheme: Scheme): string {
  return SESSION_COOKIE_NAMES[scheme];
}

function isSessionCookieName(name: string): boolean {
  return Object.values(SESSION_COOKIE_NAMES).includes(name);
}
const TOKEN_PARAMETER = 'token';

export interface PresentedCredentials {
  /** From `Authorization: Bearer <t>` or `token <t>`; other schemes (Basic, ...) belong to the app. */
  header?: string;
  /** From `?token=<t>`. */
  query?: string;
  /** From the session cookie. */
  cookie?: string;
}

function decoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The query string's parameters as they are written: `[raw part, decoded name, decoded value]`. */
function queryParts(query: string): Array<[string, string | undefined, string | undefined]> {
  return query
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [part, decoded(part), ''] : [part, decoded(part.slice(0, eq)), decoded(part.slice(eq + 1))];
    });
}

/** The Cookie header's pairs as they are written: `[raw pair, name, value]`. */
function cookiePairs(header: string): Array<[string, string, string]> {
  return header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [pair, '', pair] : [pair, pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
    });
}

/**
 * The request target as an origin-form path (`/path?query`). An absolute-form target
 * (`http://host/path`) is reduced to its path, and leading slashes are collapsed so that the
 * target can never read as another host (`//elsewhere/`) where it becomes a redirect.
 */
export function originForm(target: string | undefined): string {
  let path = target ?? '/';
  if (!path.startsWith('/')) {
    try {
      const url = new URL(path);
      path = url.pathname + url.search;
    } catch {
      path = '/';
    }
  }
  return path.replace(/^\/{2,}/, '/');
}

export function presentedCredentials(req: IncomingMessage, scheme: Scheme): PresentedCredentials {
  const found: PresentedCredentials = {};
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const token = tokenFromAuthorization(authorization);
    if (token !== undefined) found.header = token;
  }
  const target = originForm(req.url);
  const q = target.indexOf('?');
  if (q >= 0) {
    const token = queryParts(target.slice(q + 1)).find(([, name, value]) => name === TOKEN_PARAMETER && value);
    if (token) found.query = token[2]!;
  }
  const cookieHeader = req.headers.cookie;
  if (cookieHeader !== undefined) {
    const session = cookiePairs(cookieHeader).find(([, name, value]) => name === sessionCookieName(scheme) && value.length > 0);
    const token = session && decoded(session[2]);
    if (token) found.cookie = token;
  }
  return found;
}

/** The target without any `token` parameter; the rest of the query is kept byte for byte. */
export function withoutTokenParameter(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return target;
  const kept = queryParts(target.slice(q + 1))
    .filter(([, name]) => name !== TOKEN_PARAMETER)
    .map(([raw]) => raw);
  return kept.length === 0 ? target.slice(0, q) : `${target.slice(0, q)}?${kept.join('&')}`;
}

/** The Cookie header without the session cookie (under either name), or undefined when nothing else is left. */
export function withoutSessionCookie(cookieHeader: string): string | undefined {
  const kept = cookiePairs(cookieHeader).filter(([, name]) => !isSessionCookieName(name));
  return kept.length === 0 ? undefined : kept.map(([raw]) => raw).join('; ');
}

/**
 * `Lax` for apps, whose visitors arrive by links from elsewhere; `Strict` for the console,
 * which no other site has a reason to send its session to.
 */
export type SameSite = 'Lax' | 'Strict';

function cookieAttributes(scheme: Scheme, sameSite: SameSite): string {
  return `Path=/; HttpOnly; SameSite=${sameSite}${scheme === 'https' ? '; Secure' : ''}`;
}

/** `Set-Cookie` for a browser session on this host only: no Domain, so no sibling subdomain receives it. */
export function sessionCookie(token: string, scheme: Scheme, sameSite: SameSite = 'Lax'): string {
  return `${sessionCookieName(scheme)}=${encodeURIComponent(token)}; ${cookieAttributes(scheme, sameSite)}`;
}

/** `Set-Cookie` that removes a session cookie the platform no longer accepts. */
export function clearedSessionCookie(scheme: Scheme, sameSite: SameSite = 'Lax'): string {
  return `${sessionCookieName(scheme)}=; ${cookieAttributes(scheme, sameSite)}; Max-Age=0`;
}
