/**
 * Requests one app's page makes a visitor's browser send to another app, refused at the edge as
 * the local proxy refuses them (infra/local/proxy/cross-origin.ts, whose tests of what counts as
 * another origin hold here too). Every app is a subdomain of the platform's domain, so a page on
 * Bob's app is `same-site` to Alice's: her browser sends the load balancer's session cookie for
 * her app along with a form Bob's page posts there, or a WebSocket it opens there. On a signed-in
 * route that cookie is the only credential the load balancer takes, so any such request that
 * changes state or opens a WebSocket is refused unless the route allows it (`allow_cross_origin`).
 * `unauthenticated` routes sign nobody in, and the sidecar strips the cookie: nothing to ride on.
 */
import type { IncomingMessage } from 'node:http';
import { changesState, otherOrigin } from '../../local/proxy/cross-origin.ts';
import type { EdgeRoute } from '../../../shared/adapters/aws/services/edge-config.ts';

/** The load balancer's listener: visitors reach the sidecar over HTTPS only. */
const VISITOR_SCHEME = 'https';

/** Why the request is refused, e.g. "A WebSocket from another site or app (Sec-Fetch-Site: same-site) …"; undefined when it may pass. */
export function crossOriginRefusal(req: IncomingMessage, route: Pick<EdgeRoute, 'visibility' | 'allowCrossOrigin'>, upgrade: boolean): string | undefined {
  if (route.visibility === 'unauthenticated' || route.allowCrossOrigin === true) return undefined;
  if (!upgrade && !changesState(req.method)) return undefined;
  const evidence = otherOrigin(req, VISITOR_SCHEME);
  if (evidence === undefined) return undefined;
  const what = upgrade ? 'A WebSocket' : `A ${req.method} request`;
  return `${what} from another site or app (${evidence}) may not use this address's sign-in; open the app itself, or let the route accept such requests with allow_cross_origin: true.`;
}
