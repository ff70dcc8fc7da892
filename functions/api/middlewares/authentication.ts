/**
 * Resolves `Authorization: Bearer <token>` or `token <token>` (the form Saturn's `sc`
 * sends) to a user. On AWS, a Cognito JWT already verified by API Gateway's authorizer
 * arrives as claims and is trusted as such; platform tokens are checked here, in both modes,
 * and so is their scope: a task token may call only the routes token-scope.ts lists
 * (`403 forbidden` naming the scope otherwise), before any handler runs.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ApiEvent, ApiResult } from '../api-types.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import type { Caller, Credential } from '../../../shared/domain/identity/credential.ts';
import { jsonConsole, type Log } from '../../observability.ts';
import { scopeOf } from '../../../shared/domain/identity/credential.ts';
import { scopeRefusal } from '../../../shared/domain/identity/token-scope.ts';
import { ForbiddenError, UnauthenticatedError } from '../../../shared/domain/errors.ts';
import { tokenId } from '../../../shared/domain/identity/api-token.ts';
import type { FailedLoginGuard } from './failed-logins.ts';

export interface AuthenticationOptions {
  authenticate(token: string): Promise<Caller>;
  /** Records a user the directory vouched for (verified JWT claims) as a platform user (IdentityService.syncDirectoryUser). */
  syncDirectoryUser?(user: User): Promise<void>;
  /** Limits failed logins per client address; none when absent. */
  failedLogins?: FailedLoginGuard;
  /** Records a token's use once its request succeeded (IdentityService.recordTokenUse). */
  recordUse?(credential: Credential): Promise<void>;
  /** Where a failure to record a use is reported: it costs the caller nothing, so it fails no request. */
  logger?: Pick<Log, 'error'>;
}

const SCHEME = /^(?:bearer|token)\s+(\S+)\s*$/i;

/** The token of an `Authorization` header in either accepted form, or undefined when it has another form. */
export function tokenFromAuthorization(header: string): string | undefined {
  return SCHEME.exec(header)?.[1];
}

function userFromJwtClaims(claims: Record<string, unknown>): User | undefined {
  const username = claims['cognito:username'] ?? claims.username;
  if (typeof username !== 'string') return undefined;
  const raw = claims['cognito:groups'];
  const groups = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean) : [];
  return {
    username,
    email: typeof claims.email === 'string' ? claims.email : null,
    groups: groups.filter((g) => g !== 'admins'),
    admin: groups.includes('admins'),
  };
}

export function authentication(options: AuthenticationOptions): MiddlewareObj<ApiEvent, ApiResult> {
  const authenticationBefore = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const event = request.event;
    if (event.route?.definition.access === 'public') return;
    const context = event.requestContext as ApiEvent['requestContext'] & {
      authorizer?: { jwt?: { claims?: Record<string, unknown> }; lambda?: Record<string, unknown> };
    };
    // A JWT authorizer passes claims under `jwt`; the Lambda authorizer (Cognito JWT or platform
    // token, on one API) passes the verified JWT's claims as its context, under `lambda`.
    const claims = context.authorizer?.jwt?.claims ?? context.authorizer?.lambda;
    if (claims) {
      const user = userFromJwtClaims(claims);
      if (user) {
        await options.syncDirectoryUser?.(user);
        event.user = user;
        event.credential = { kind: 'directory' };
        return;
      }
    }
    const header = event.headers.authorization;
    if (!header) throw new UnauthenticatedError('This route needs "Authorization: Bearer <token>" (or "token <token>").');
    const address = event.requestContext.http.sourceIp;
    const token = tokenFromAuthorization(header);
    const presentedId = token === undefined ? undefined : tokenId(token);
    options.failedLogins?.admit(address, presentedId);
    if (token === undefined) {
      options.failedLogins?.failed(address, undefined);
      throw new UnauthenticatedError('The Authorization header must read "Bearer <token>" or "token <token>".');
    }
    let caller: Caller;
    try {
      caller = await options.authenticate(token);
    } catch (error) {
      if (error instanceof UnauthenticatedError) options.failedLogins?.failed(address, presentedId);
      throw error;
    }
    options.failedLogins?.succeeded(presentedId!);
    const route = event.route?.definition;
    const refusal = scopeRefusal(scopeOf(caller.credential), route?.method ?? event.requestContext.http.method, route?.path ?? event.requestContext.http.path);
    if (refusal) throw new ForbiddenError(refusal);
    event.user = caller.user;
    event.credential = caller.credential;
  };
  const authenticationAfter = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const credential = request.event.credential;
    const status = request.response?.statusCode ?? 200;
    if (!credential || !options.recordUse || status >= 400) return;
    try {
      await options.recordUse(credential);
    } catch (error) {
      (options.logger ?? jsonConsole).error('recording a token use failed', { tokenId: credential.kind === 'token' ? credential.tokenId : undefined, error });
    }
  };
  return { before: authenticationBefore, after: authenticationAfter };
}
