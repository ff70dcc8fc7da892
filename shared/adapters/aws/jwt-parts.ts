/**
 * Reading a JWT's parts before (or without) verifying it: the Lambda authorizer's check that a
 * bearer value is a JWT at all, and the edge sidecar's own ES256 verification of the load
 * balancer's tokens. Dependency-free on purpose: the sidecar's bundle is inlined into every
 * task definition (ECS allows 64 KiB per definition), so it cannot carry a JWT library.
 */

export class JwtRejected extends Error {
  override name = 'JwtRejected';
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** True for something shaped like a JWT (three base64url parts); platform tokens are not. */
export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/** One JSON part of a JWT (header or payload), or JwtRejected. */
export function decodeJwtPart(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtRejected('malformed token');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtRejected('malformed token');
  return value as Record<string, unknown>;
}
