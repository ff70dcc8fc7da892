/**
 * How the console's browser session reaches the API locally. Signing in with an API token
 * sets the platform's session cookie (the proxy's `cassini_session`, see proxy-credentials.ts:
 * it holds the token itself, so revoking or expiring the token ends the session) on the
 * console's own host, HttpOnly so that no page script can read it, and `SameSite=Strict`.
 * On an `/api` request that carries no `Authorization` header, the cookie stands in for one.
 *
 * Cross-site request forgery is refused twice over: the browser does not send a Strict cookie
 * with requests other sites start, and the cookie is honoured for a request that changes
 * state only when the request names this very origin in `Origin` (which browsers always send
 * with such requests and pages cannot forge). A read from another origin (`Sec-Fetch-Site`,
 * `Origin`) is served as if it carried no cookie: 401. Callers with a header (curl, `sc`,
 * the console on AWS) are untouched.
 */
import type { IncomingMessage } from 'node:http';
import { presentedCredentials, type Scheme } from '../proxy/proxy-credentials.ts';
import { changesState, otherOrigin } from '../proxy/cross-origin.ts';

export type CookieAdmission =
  /** Send the request on with this `Authorization` header. */
  | { outcome: 'use'; authorization: string }
  /** Send the request on as it came: it has a header of its own, or no usable cookie. */
  | { outcome: 'as-is' }
  | { outcome: 'refuse'; status: 403; code: 'forbidden'; message: string };

export const CROSS_ORIGIN_WRITE_MESSAGE =
  'The console session cookie is accepted for changes only from the console itself (its Origin); send "Authorization: Bearer <token>" instead.';

/** Whether a request that changes state shows it comes from the console's own origin. */
export function fromOwnOrigin(req: IncomingMessage, scheme: Scheme): boolean {
  return req.headers.origin !== undefined && otherOrigin(req, scheme) === undefined;
}

/** What the session cookie of `req` may do for it on its way to the API. */
export function admitSessionCookie(req: IncomingMessage, scheme: Scheme): CookieAdmission {
  if (req.headers.authorization !== undefined) return { outcome: 'as-is' };
  const token = presentedCredentials(req, scheme).cookie;
  if (token === undefined) return { outcome: 'as-is' };
  if (changesState(req.method)) {
    if (!fromOwnOrigin(req, scheme)) return { outcome: 'refuse', status: 403, code: 'forbidden', message: CROSS_ORIGIN_WRITE_MESSAGE };
  } else if (otherOrigin(req, scheme) !== undefined) {
    return { outcome: 'as-is' };
  }
  return { outcome: 'use', authorization: `Bearer ${token}` };
}
