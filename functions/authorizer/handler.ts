/**
 * Lambda authorizer of the HTTP API (payload 2.0, simple responses). It exists because the
 * contract accepts two kinds of token under two prefixes (`Bearer <t>` and `token <t>`, the
 * form Saturn's `sc` sends), and API Gateway's built-in JWT authorizer accepts neither a
 * platform token nor the `token` prefix.
 *
 * Decision: this function authenticates Cognito JWTs and lets everything else through.
 * - A valid Cognito JWT (id or access token of a known app client): authorized, with the
 *   caller's claims as the authorizer context (`requestContext.authorizer.lambda` in the API
 *   Lambda's event).
 * - A platform token (`cas_...`), a missing or malformed header, or a JWT that fails
 *   verification: authorized with an empty context. The API Lambda then authenticates the
 *   header itself: it already validates platform tokens (one read of the token's stream,
 *   which also sees a revocation at once, where an authorizer cache would lag), and it answers
 *   with the contract's `401 {"code": "unauthenticated", ...}`. Denying here would make API
 *   Gateway answer `403 {"message": "Forbidden"}` instead, which breaks the contract.
 * So nothing is decided here that the API Lambda does not check again: the authorizer only
 * adds verified claims, and API Gateway sets `requestContext`, so a caller cannot forge them.
 * A platform token's scope (a task's SATURN_TOKEN may call only the routes
 * shared/domain/identity/token-scope.ts lists) and lineage are therefore applied there too, by
 * the same middleware as in local mode (test/functions/api-task-scope.test.ts).
 *
 * It runs on every request (no identity source, no cache): a missing Authorization header
 * must reach the API Lambda for its 401, and public routes carry none.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { CognitoJwtVerifier, type Claims } from './cognito-jwt.ts';
import { JwtRejected, looksLikeJwt } from '../../shared/adapters/aws/jwt-parts.ts';
import { MetricUnit, observed, telemetryFor } from '../observability.ts';

const telemetry = telemetryFor('authorizer');

/** The verified caller, in the claim names functions/api/middlewares/authentication.ts reads. Values are strings: API Gateway passes scalars only. */
export type AuthorizerContext = Record<string, string>;
export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

const SCHEME = /^(?:bearer|token)\s+(\S+)\s*$/i;
const PASS_THROUGH: AuthorizerResult = { isAuthorized: true, context: {} };

export interface Verifier {
  verify(token: string): Promise<Claims>;
}

function contextOf(claims: Claims): AuthorizerContext | undefined {
  const username = claims['cognito:username'] ?? claims.username;
  if (typeof username !== 'string') return undefined;
  const groups = claims['cognito:groups'];
  const context: AuthorizerContext = {
    'cognito:username': username,
    'cognito:groups': Array.isArray(groups) ? groups.map(String).join(',') : '',
    token_use: String(claims.token_use),
  };
  if (typeof claims.email === 'string') context.email = claims.email;
  return context;
}

/** Decides one request: see the file comment. */
export async function authorize(authorization: string | undefined, verifier: Verifier): Promise<AuthorizerResult> {
  const token = SCHEME.exec(authorization ?? '')?.[1];
  if (!token || !looksLikeJwt(token)) return PASS_THROUGH;
  try {
    const context = contextOf(await verifier.verify(token));
    return context ? { isAuthorized: true, context } : PASS_THROUGH;
  } catch (error) {
    if (!(error instanceof JwtRejected)) throw error;
    // Never log the token: a near-valid one is still a credential.
    telemetry.logger.warn('JWT rejected; passed on without claims', { reason: error.message });
    telemetry.metrics.addMetric('JwtRejected', MetricUnit.Count, 1);
    return PASS_THROUGH;
  }
}

let verifier: CognitoJwtVerifier | undefined;

function verifierFromEnv(env: NodeJS.ProcessEnv = process.env): CognitoJwtVerifier {
  const issuer = env.USER_POOL_ISSUER;
  const clientIds = (env.USER_POOL_CLIENT_IDS ?? '').split(',').filter(Boolean);
  if (!issuer || clientIds.length === 0) throw new Error('USER_POOL_ISSUER and USER_POOL_CLIENT_IDS must be set');
  return new CognitoJwtVerifier({ issuer, clientIds });
}

export const handler = observed(telemetry, async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
  verifier ??= verifierFromEnv();
  return authorize(event.headers?.authorization, verifier);
});
