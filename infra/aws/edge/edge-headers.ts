/**
 * The headers an admitted request carries on to the app behind the sidecar: those the local
 * proxy would send (forwarded-headers.ts: no hop-by-hop headers, `X-Cassini-User` set by the
 * edge alone), less everything of the load balancer's sign-in. The app never sees the
 * visitor's signed claims, Cognito access token or load balancer session cookie: a hostile
 * app could otherwise replay them to act as its visitor elsewhere (the API accepts the access
 * token; the session cookie opens every subdomain of the load balancer).
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { backendRequestHeaders } from '../../local/proxy/forwarded-headers.ts';

/** Everything `authenticate-cognito` adds to a request ("Authenticate users using an Application Load Balancer", "User claims encoding"). */
export const ALB_IDENTITY_HEADERS = ['x-amzn-oidc-data', 'x-amzn-oidc-accesstoken', 'x-amzn-oidc-identity'] as const;
/** The load balancer's session cookies: `AWSELBAuthSessionCookie-0`, `-1`, ... (large sessions are split). */
const ALB_SESSION_COOKIE = /^AWSELBAuthSessionCookie(-\d+)?$/i;
/** Set by the load balancer, the first hop: kept as it wrote them, for the app to see its visitor's address and scheme. */
const LOAD_BALANCER_FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port'] as const;

function withoutSessionCookies(cookie: string): string | undefined {
  const kept = cookie
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && !ALB_SESSION_COOKIE.test(pair.slice(0, pair.indexOf('=') >>> 0)));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

export function appRequestHeaders(req: IncomingMessage, user: User | null, upgrade: boolean): OutgoingHttpHeaders {
  const headers = backendRequestHeaders(req, { user, stripAuthorization: false, upgrade });
  for (const name of ALB_IDENTITY_HEADERS) delete headers[name];
  if (typeof headers.cookie === 'string') {
    const cookie = withoutSessionCookies(headers.cookie);
    if (cookie === undefined) delete headers.cookie;
    else headers.cookie = cookie;
  }
  for (const name of LOAD_BALANCER_FORWARDED) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
