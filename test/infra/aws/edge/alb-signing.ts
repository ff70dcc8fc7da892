/**
 * Signing as an Application Load Balancer does after `authenticate-cognito` ("Authenticate
 * users using an Application Load Balancer", "User claims encoding and signature verification"):
 * an ES256 JWT whose header names the key (`kid`) and the load balancer (`signer`), with base64
 * padding kept on its segments, as ELB writes them. Real P-256 keys from node:crypto.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export const REGION = 'eu-west-1';
export const OUR_ALB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/cassini/50dc6c495c0c9188';
export const FOREIGN_ALB = 'arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/evil/0123456789abcdef';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  pem: string;
}

export function signingKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: randomUUID(), privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** base64 of JSON as ELB writes it: URL-safe alphabet, padding kept. */
function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

export interface AlbTokenOptions {
  key: SigningKey;
  username: string;
  signer?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Signs with this key instead, while the header still names `key`'s id: a forgery. */
  signWith?: KeyObject;
}

export function albToken(options: AlbTokenOptions): string {
  const exp = Math.floor(Date.now() / 1000) + (options.expiresIn ?? 120);
  const header = segment({ typ: 'JWT', kid: options.key.kid, alg: 'ES256', iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf', client: 'lbclient123', signer: options.signer ?? OUR_ALB, exp });
  const payload = segment({ sub: randomUUID(), email_verified: 'true', email: `${options.username}@example.com`, username: options.username, exp, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf' });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: options.signWith ?? options.key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${signature.toString('base64url')}`;
}
