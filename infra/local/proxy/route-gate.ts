/**
 * The proxy's door: given a request for a route, who is calling (from the credentials the
 * request carries) and whether they may pass (`mayUseRoute`).
 *
 * On `owner` and `org` routes every platform credential presented must be valid, or the answer
 * is 401. On `unauthenticated` routes credentials are optional: a valid one names the caller
 * (and is removed before forwarding), while a header or `?token=` the platform does not
 * recognize is taken for the app's own and passed through untouched.
 *
 * A `?token=` signs a browser in (a session cookie, then a redirect to the same path on the
 * same host) only for a user the route admits: a token of someone else's cannot be planted in
 * a visitor's browser. A session cookie does not carry a request from another origin that
 * changes state or opens a WebSocket, unless the route allows it (cross-origin.ts): on an
 * `owner` or `org` route such a request is refused, on an `unauthenticated` one it is served
 * as an anonymous caller's.
 */
import type { IncomingMessage } from 'node:http';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { mayUseRoute, type RouteAccessRule } from '../../../shared/domain/identity/route-access.ts';
import { UnauthenticatedError } from '../../../shared/domain/errors.ts';
import { clearedSessionCookie, originForm, presentedCredentials, sessionCookie, withoutTokenParameter, type Scheme } from './proxy-credentials.ts';
import { sameHostLocation } from './same-host-location.ts';
import { changesState, otherOrigin } from './cross-origin.ts';

/** A token's user; synchronously when it is known without a read (the proxy's hot path then takes no await). */
export type Authenticate = (token: string) => User | Promise<User>;

export type Admission =
  /** Forward the request to `target` on behalf of `user` (null: anonymous). */
  | { outcome: 'pass'; user: User | null; target: string; stripAuthorization: boolean }
  /** A valid `?token=`: set the session cookie and send the browser to the same address without it. */
  | { outcome: 'sign-in'; status: 302 | 307; location: string; setCookie: string }
  | { outcome: 'refuse'; status: 401 | 403; code: 'unauthenticated' | 'forbidden'; message: string; setCookie?: string };

export interface AdmitOptions {
  /** A WebSocket upgrade: it cannot follow a redirect, so a valid `?token=` is used and removed instead. */
  upgrade: boolean;
  /** The scheme callers reach the proxy by: it names the session cookie and is the scheme of the proxy's own origin. */
  scheme: Scheme;
}

/** A route as the gate sees it: who may pass, and whether pages of other origins may use its visitors' sessions. */
export interface GateRule extends RouteAccessRule {
  allowCrossOrigin?: boolean;
}

export const SIGN_IN_MESSAGE =
  'Sign in to open this address: send your Cassini API token as "Authorization: Bearer <token>", or visit it once with ?token=<token> added to the URL.';

type Checked = { user: User } | { refusal: string };

/** Errors other than a refused token (the identity store is down, ...) propagate: they are not the caller's fault. */
function refusalOf(error: unknown): Checked {
  if (error instanceof UnauthenticatedError) return { refusal: error.message };
  throw error;
}

/** A token checked; without a promise when `authenticate` answered without one. */
function check(authenticate: Authenticate, token: string): Checked | Promise<Checked> {
  let user: User | Promise<User>;
  try {
    user = authenticate(token);
  } catch (error) {
    return refusalOf(error);
  }
  return user instanceof Promise ? user.then((resolved) => ({ user: resolved }), refusalOf) : { user };
}

function unauthenticated(message: string, setCookie?: string): Admission {
  return { outcome: 'refuse', status: 401, code: 'unauthenticated', message, ...(setCookie ? { setCookie } : {}) };
}

function forbidden(user: User): Admission {
  return {
    outcome: 'refuse',
    status: 403,
    code: 'forbidden',
    message: `${user.username} may not open this address: it is open only to its owner, members of the owning group, admins and the viewers it lists.`,
  };
}

function crossOriginRefusal(evidence: string, upgrade: boolean): Admission {
  const what = upgrade ? 'A WebSocket' : 'A request that changes state';
  return {
    outcome: 'refuse',
    status: 403,
    code: 'forbidden',
    message: `${what} from another site or app (${evidence}) may not use this address's sign-in cookie; send the token in an Authorization header, or let the route accept such requests with allow_cross_origin: true.`,
  };
}

// A check answered from memory is not awaited: an await of a plain value still costs a turn of the microtask queue.
export async function admit(req: IncomingMessage, rule: GateRule, authenticate: Authenticate, options: AdmitOptions): Promise<Admission> {
  const guarded = rule.visibility !== 'unauthenticated';
  const presented = presentedCredentials(req, options.scheme);
  let target = originForm(req.url);
  let user: User | null = null;
  let stripAuthorization = false;
  let signedInByCookie = false;

  if (presented.query !== undefined) {
    const pending = check(authenticate, presented.query);
    const checked = pending instanceof Promise ? await pending : pending;
    if ('user' in checked) {
      if (!mayUseRoute(checked.user, rule)) return forbidden(checked.user);
      const location = withoutTokenParameter(target);
      if (!options.upgrade) {
        // 307 keeps the method and body of anything but a plain page load.
        const status = req.method === 'GET' || req.method === 'HEAD' ? 302 : 307;
        return { outcome: 'sign-in', status, location: sameHostLocation(location), setCookie: sessionCookie(presented.query, options.scheme) };
      }
      user = checked.user;
      target = location;
    } else if (guarded) {
      return unauthenticated(`${checked.refusal} ${SIGN_IN_MESSAGE}`);
    }
  }

  if (presented.header !== undefined) {
    const pending = check(authenticate, presented.header);
    const checked = pending instanceof Promise ? await pending : pending;
    if ('user' in checked) {
      user ??= checked.user;
      stripAuthorization = true;
    } else if (guarded) {
      return unauthenticated(`${checked.refusal} ${SIGN_IN_MESSAGE}`);
    }
  }

  if (user === null && presented.cookie !== undefined) {
    const pending = check(authenticate, presented.cookie);
    const checked = pending instanceof Promise ? await pending : pending;
    if ('user' in checked) {
      user = checked.user;
      signedInByCookie = true;
    } else if (guarded) return unauthenticated(`${checked.refusal} ${SIGN_IN_MESSAGE}`, clearedSessionCookie(options.scheme));
  }

  if (!mayUseRoute(user, rule)) return user === null ? unauthenticated(SIGN_IN_MESSAGE) : forbidden(user);

  if (signedInByCookie && !rule.allowCrossOrigin && (options.upgrade || changesState(req.method))) {
    const evidence = otherOrigin(req, options.scheme);
    // An open route serves the request, but as nobody's: the cookie is not the visitor's choice.
    if (evidence !== undefined) return guarded ? crossOriginRefusal(evidence, options.upgrade) : { outcome: 'pass', user: null, target, stripAuthorization };
  }
  return { outcome: 'pass', user, target, stripAuthorization };
}
