/**
 * Requests one app's page makes a browser send to another app. Every app is a subdomain of
 * one site (`localhost` here, the platform's domain on AWS), so `SameSite=Lax` does not keep the
 * session cookie off them: a page on Bob's app can post forms to Alice's app, or open a
 * WebSocket to it, and Alice's browser adds her cookie. The proxy therefore refuses requests
 * that carry the session cookie, come from another origin and either change state or open a
 * WebSocket (which browsers open without any cross-origin check of their own), unless the
 * route opts in with `allow_cross_origin`.
 *
 * Another origin is told by `Sec-Fetch-Site` (`same-site` is exactly a sibling subdomain,
 * `cross-site` any other site), or, from browsers that do not send it, by an `Origin` other
 * than the address the request came to. A request with neither (curl, a server) is no
 * browser's, and carries no ambient credentials of anyone else's.
 */
import type { IncomingMessage } from 'node:http';
import type { Scheme } from './proxy-credentials.ts';

/** Methods that by definition change nothing (RFC 9110 §9.2.1). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** How much of a caller's `Origin` a refusal quotes. */
const QUOTED_ORIGIN_MAX = 200;

export function changesState(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

function isOwnOrigin(origin: string, scheme: Scheme, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const from = new URL(origin);
    return from.protocol === `${scheme}:` && from.host === new URL(`${scheme}://${host}`).host;
  } catch {
    // `null` (a sandboxed frame, a redirect across origins) or anything unparseable: not this address.
    return false;
  }
}

/** What shows the request came from another origin, e.g. `Origin: http://web-bob.localhost:8080`; undefined when it did not. */
export function otherOrigin(req: IncomingMessage, scheme: Scheme): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-site' || site === 'cross-site') return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, scheme, req.headers.host)) return `Origin: ${origin.slice(0, QUOTED_ORIGIN_MAX)}`;
  return undefined;
}
