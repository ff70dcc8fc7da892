/**
 * Verifies Cognito-issued JWTs with AWS's own library (aws-jwt-verify): signature against the
 * user pool's published keys, issuer, `exp` and `nbf` (with leeway), token use and app client.
 * This file only adapts it: the pool id comes from the issuer the stack configures, a key-set
 * fetcher can be injected (tests serve their own), and the library's errors become two kinds —
 * the token is not acceptable (JwtRejected), or the key set could not be fetched (rethrown: not
 * the caller's fault).
 *
 * Key-set caching is the library's: fetched once, again only for a key id it does not know
 * (Cognito rotates keys rarely), and after such a miss not again for ten seconds (its penalty
 * box), so that garbage tokens cannot make it hammer the endpoint.
 */
import { CognitoJwtVerifier as PoolJwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwtBaseError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { JwtRejected, looksLikeJwt } from '../../shared/adapters/aws/jwt-parts.ts';

export interface Jwk {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  n?: string;
  e?: string;
  [other: string]: unknown;
}

export interface JwtVerifierOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<user pool id>` */
  issuer: string;
  /** App clients whose tokens are accepted. */
  clientIds: readonly string[];
  /** Serves the key set; by default the library fetches it over HTTPS. */
  fetchJwks?: (url: string) => Promise<{ keys: Jwk[] }>;
}

export type Claims = Record<string, unknown>;

/** Clock skew tolerated on `exp` and `nbf`, in seconds. */
const LEEWAY_SECONDS = 30;
const USER_POOL_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([\w-]+_[0-9a-zA-Z]+)$/;

function userPoolIdOf(issuer: string): string {
  const poolId = USER_POOL_ISSUER.exec(issuer)?.[1];
  if (!poolId) throw new Error(`USER_POOL_ISSUER is not a Cognito user pool's issuer: ${issuer}`);
  return poolId;
}

function fetcherServing(fetchJwks: (url: string) => Promise<{ keys: Jwk[] }>): Fetcher {
  return {
    async fetch(uri) {
      const jwks = await fetchJwks(uri);
      return new TextEncoder().encode(JSON.stringify(jwks)).buffer as ArrayBuffer;
    },
  };
}

export class CognitoJwtVerifier {
  private readonly verifier;

  constructor(options: JwtVerifierOptions) {
    const jwksCache = new SimpleJwksCache(options.fetchJwks ? { fetcher: fetcherServing(options.fetchJwks) } : undefined);
    this.verifier = PoolJwtVerifier.create(
      { userPoolId: userPoolIdOf(options.issuer), tokenUse: null, clientId: [...options.clientIds], graceSeconds: LEEWAY_SECONDS },
      { jwksCache },
    );
  }

  /** The token's claims, or a JwtRejected error saying why it is not acceptable. */
  async verify(token: string): Promise<Claims> {
    if (!looksLikeJwt(token)) throw new JwtRejected('not a JWT');
    try {
      return { ...(await this.verifier.verify(token)) };
    } catch (error) {
      if (error instanceof FetchError || !(error instanceof JwtBaseError)) throw error;
      throw new JwtRejected(error.message);
    }
  }
}
