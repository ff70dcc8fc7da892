/**
 * The sidecar's door: whether a request the load balancer forwarded may reach the app, by the
 * route rule every edge of the platform applies (`mayUseRoute`, as the local proxy does).
 *
 * - `unauthenticated` routes admit everyone; the load balancer signed nobody in, so nobody is named.
 * - Otherwise the load balancer's signed `x-amzn-oidc-data` must verify (alb-identity.ts), or the
 *   answer is 401: a request without it did not come through the signing-in rule.
 * - The rule is first tried with the name alone (the owner, a viewer named as a user, any
 *   signed-in user on `org`); only if that does not admit is the platform asked for the visitor's
 *   groups and admin flag (platform-users.ts). More groups only ever admit more, so this is the
 *   same answer with fewer calls.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { mayUseRoute, type RouteAccessRule } from '../../../shared/domain/identity/route-access.ts';
import { JwtRejected, type AlbIdentity } from './alb-identity.ts';
import { PlatformUnavailable, VisitorMismatch, type PlatformUsers } from './platform-users.ts';

/** The signed claims the load balancer adds. */
export const ALB_DATA_HEADER = 'x-amzn-oidc-data';
/** The visitor's Cognito access token, which the load balancer adds beside the claims. */
export const ALB_ACCESS_TOKEN_HEADER = 'x-amzn-oidc-accesstoken';

export type EdgeAdmission =
  | { outcome: 'pass'; user: User | null }
  | { outcome: 'refuse'; status: 401 | 403 | 503; code: 'unauthenticated' | 'forbidden' | 'unavailable'; message: string };

export interface EdgeGateDeps {
  identity: Pick<AlbIdentity, 'verify'>;
  users: Pick<PlatformUsers, 'lookUp'>;
}

const SIGN_IN = 'Open this address through the platform\'s load balancer (https://<subdomain>.<domain>/), which signs you in.';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

function refuse(status: 401 | 403 | 503, message: string): EdgeAdmission {
  const code = status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'unavailable';
  return { outcome: 'refuse', status, code, message };
}

export async function admitAtEdge(headers: IncomingHttpHeaders, rule: RouteAccessRule, deps: EdgeGateDeps): Promise<EdgeAdmission> {
  if (rule.visibility === 'unauthenticated') return { outcome: 'pass', user: null };
  const data = single(headers[ALB_DATA_HEADER]);
  if (data === undefined) return refuse(401, `No sign-in came with this request. ${SIGN_IN}`);
  let username: string;
  try {
    ({ username } = await deps.identity.verify(data));
  } catch (error) {
    if (error instanceof JwtRejected) return refuse(401, `The sign-in that came with this request is not valid (${error.message}). ${SIGN_IN}`);
    throw error;
  }
  const byName: User = { username, email: null, groups: [], admin: false };
  if (mayUseRoute(byName, rule)) return { outcome: 'pass', user: byName };
  const accessToken = single(headers[ALB_ACCESS_TOKEN_HEADER]);
  if (accessToken === undefined) return refuse(401, `The sign-in that came with this request is incomplete. ${SIGN_IN}`);
  let user: User;
  try {
    user = await deps.users.lookUp(accessToken, username);
  } catch (error) {
    if (error instanceof VisitorMismatch) return refuse(401, `${error.message}. ${SIGN_IN}`);
    if (error instanceof PlatformUnavailable) return refuse(503, `Cannot check who may open this address right now (${error.message}); try again shortly.`);
    throw error;
  }
  if (mayUseRoute(user, rule)) return { outcome: 'pass', user };
  return refuse(403, `${username} may not open this address: it is open only to its owner, members of the owning group, admins and the viewers it lists.`);
}
