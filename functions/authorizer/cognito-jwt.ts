/**
 * Verifies Cognito-issued JWTs (RS256) against the user pool's published keys, with Node's
 * crypto only: signature, issuer, expiry, token use and app client. The key set is fetched
 * once and again only for a key id it does not know (Cognito rotates keys rarely), at most
 * once a minute so that garbage tokens cannot make it hammer the endpoint.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface Jwk extends JsonWebKey {
  kid?: string;
  alg?: string;
  use?: string;
}

export interface JwtVerifierOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<user pool id>` */
  issuer: string;
  /** App clients whose tokens are accepted. */
  clientIds: readonly string[];
  fetchJwks?: (url: string) => Promise<{ keys: Jwk[] }>;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export type Claims = Record<string, unknown>;

export class JwtRejected extends Error {
  override name = 'JwtRejected';
}

/** Clock skew tolerated on `exp`, in seconds. */
const LEEWAY = 30;
const REFETCH_AFTER_MS = 60_000;
const RETRY_FAILED_FETCH_MS = 5_000;
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

async function fetchJson(url: string): Promise<{ keys: Jwk[] }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`fetching ${url} answered ${response.status}`);
  return (await response.json()) as { keys: Jwk[] };
}

export class CognitoJwtVerifier {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = -Infinity;
  private readonly fetchJwks: (url: string) => Promise<{ keys: Jwk[] }>;
  private readonly now: () => number;

  constructor(private readonly options: JwtVerifierOptions) {
    this.fetchJwks = options.fetchJwks ?? fetchJson;
    this.now = options.now ?? (() => Date.now());
  }

  /** The token's claims, or a JwtRejected error saying why it is not acceptable. */
  async verify(token: string): Promise<Claims> {
    const parts = token.split('.');
    if (parts.length !== 3 || !looksLikeJwt(token)) throw new JwtRejected('not a JWT');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJwtPart(headerPart);
    if (header.alg !== 'RS256' || typeof header.kid !== 'string') throw new JwtRejected('unsupported algorithm');
    const key = await this.key(header.kid);
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    if (!verify('RSA-SHA256', signed, key, Buffer.from(signaturePart, 'base64url'))) throw new JwtRejected('bad signature');

    const claims = decodeJwtPart(payloadPart);
    if (claims.iss !== this.options.issuer) throw new JwtRejected('wrong issuer');
    if (typeof claims.exp !== 'number' || claims.exp + LEEWAY <= this.now() / 1000) throw new JwtRejected('expired');
    const client = claims.token_use === 'id' ? claims.aud : claims.token_use === 'access' ? claims.client_id : undefined;
    if (typeof client !== 'string' || !this.options.clientIds.includes(client)) throw new JwtRejected('wrong token use or client');
    return claims;
  }

  private async key(kid: string): Promise<KeyObject> {
    const known = this.keys.get(kid);
    if (known) return known;
    if (this.now() - this.fetchedAt < REFETCH_AFTER_MS) throw new JwtRejected('unknown key');
    this.fetchedAt = this.now();
    let jwks: { keys: Jwk[] };
    try {
      jwks = await this.fetchJwks(`${this.options.issuer}/.well-known/jwks.json`);
    } catch (error) {
      // Not the caller's fault: let it surface (API Gateway answers 500), and retry soon.
      this.fetchedAt = this.now() - REFETCH_AFTER_MS + RETRY_FAILED_FETCH_MS;
      throw error;
    }
    const keys = new Map<string, KeyObject>();
    for (const jwk of jwks.keys ?? []) {
      if (jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
    }
    this.keys = keys;
    const fresh = keys.get(kid);
    if (!fresh) throw new JwtRejected('unknown key');
    return fresh;
  }
}
