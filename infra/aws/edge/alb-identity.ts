/**
 * Who the load balancer signed in: the `x-amzn-oidc-data` header an Application Load Balancer
 * adds after `authenticate-cognito`, verified as its documentation says ("Authenticate users
 * using an Application Load Balancer", section "User claims encoding and signature
 * verification"): a JWT signed with ES256, whose header names the signing load balancer
 * (`signer`) and the key (`kid`), the public key served as PEM at
 * `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`. Its segments may carry base64
 * padding, which Node's decoder accepts.
 *
 * A token signed by another load balancer (another account's, or this account's other ones)
 * has a valid signature from the same regional keys: the `signer` check is what ties it to ours.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { decodeJwtPart, JwtRejected } from '../../../shared/adapters/aws/jwt-parts.ts';

export { JwtRejected };

export interface AlbIdentityOptions {
  region: string;
  /** The only `signer` accepted: this platform's load balancer. */
  loadBalancerArn: string;
  /** GETs a public key as PEM; default `fetch` with a timeout. */
  fetchKey?: (url: string) => Promise<string>;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** The visitor as the load balancer vouches for it: the Cognito user name. */
export interface AlbVisitor {
  username: string;
}

/** Clock skew tolerated on `exp`, in seconds. */
const LEEWAY = 10;
/** A key id that failed to load is not asked for again this soon: garbage tokens must not make the sidecar hammer the endpoint. */
const FAILED_KEY_RETRY_MS = 60_000;
/** Bounds the memory random key ids can take. */
const MAX_REMEMBERED_FAILURES = 1000;
/** Key ids are UUIDs; anything else could steer the key URL elsewhere. */
const KEY_ID = /^[A-Za-z0-9-]{1,64}$/;

async function fetchPem(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`fetching ${url} answered ${response.status}`);
  return response.text();
}

export class AlbIdentity {
  private readonly keys = new Map<string, Promise<KeyObject>>();
  private readonly failedAt = new Map<string, number>();
  private readonly fetchKey: (url: string) => Promise<string>;
  private readonly now: () => number;

  constructor(private readonly options: AlbIdentityOptions) {
    this.fetchKey = options.fetchKey ?? fetchPem;
    this.now = options.now ?? (() => Date.now());
  }

  /** The visitor `token` names, or JwtRejected saying why it is not acceptable. */
  async verify(token: string): Promise<AlbVisitor> {
    const parts = token.split('.');
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_=-]+$/.test(p))) throw new JwtRejected('not a JWT');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJwtPart(headerPart);
    if (header.alg !== 'ES256') throw new JwtRejected('unsupported algorithm');
    if (header.signer !== this.options.loadBalancerArn) throw new JwtRejected('signed by another load balancer');
    if (typeof header.kid !== 'string' || !KEY_ID.test(header.kid)) throw new JwtRejected('no usable key id');
    const key = await this.key(header.kid);
    // JWS carries ECDSA signatures as r||s (IEEE P1363), not DER.
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signaturePart, 'base64url'))) throw new JwtRejected('bad signature');
    const claims = decodeJwtPart(payloadPart);
    const exp = typeof claims.exp === 'number' ? claims.exp : header.exp;
    if (typeof exp !== 'number' || exp + LEEWAY <= this.now() / 1000) throw new JwtRejected('expired');
    if (typeof claims.username !== 'string' || claims.username === '') throw new JwtRejected('no user name');
    return { username: claims.username };
  }

  private key(kid: string): Promise<KeyObject> {
    const known = this.keys.get(kid);
    if (known) return known;
    const failed = this.failedAt.get(kid);
    if (failed !== undefined && this.now() - failed < FAILED_KEY_RETRY_MS) return Promise.reject(new JwtRejected('unknown key'));
    const url = `https://public-keys.auth.elb.${this.options.region}.amazonaws.com/${kid}`;
    const loading = this.fetchKey(url)
      .then((pem) => createPublicKey(pem))
      .catch(() => {
        throw new JwtRejected('unknown key');
      });
    this.keys.set(kid, loading);
    loading.catch(() => {
      this.keys.delete(kid);
      if (this.failedAt.size >= MAX_REMEMBERED_FAILURES) this.failedAt.clear();
      this.failedAt.set(kid, this.now());
    });
    return loading;
  }
}
