/**
 * The HTTP API's Lambda authorizer: Cognito JWTs verified with a real RSA key pair and a key
 * set served by a stub, everything else passed through to the API Lambda.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { authorize } from '../../../functions/authorizer/handler.ts';
import { CognitoJwtVerifier, type Jwk } from '../../../functions/authorizer/cognito-jwt.ts';
import { JwtRejected } from '../../../shared/adapters/aws/jwt-parts.ts';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool';
const CLIENT = 'apiclient123';
const NOW = Date.parse('2026-03-01T12:00:00Z');

function keyPair(kid: string): { privateKey: KeyObject; jwk: Jwk } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as Jwk), kid, alg: 'RS256', use: 'sig' } };
}

const current = keyPair('key-1');

function jwt(claims: Record<string, unknown>, options: { key?: KeyObject; kid?: string; alg?: string } = {}): string {
  const header = Buffer.from(JSON.stringify({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'key-1' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), options.key ?? current.privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

const idClaims = {
  iss: ISSUER,
  aud: CLIENT,
  token_use: 'id',
  exp: NOW / 1000 + 3600,
  'cognito:username': 'ada',
  'cognito:groups': ['analytics', 'admins'],
  email: 'ada@example.com',
};

function verifier(keys: Jwk[] = [current.jwk]) {
  const fetchJwks = vi.fn(async (url: string) => {
    expect(url).toBe(`${ISSUER}/.well-known/jwks.json`);
    return { keys };
  });
  return { verifier: new CognitoJwtVerifier({ issuer: ISSUER, clientIds: [CLIENT], fetchJwks }), fetchJwks };
}

// The library reads the clock (`exp`, `nbf`) and times its key-fetch back-off itself.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('authorize', () => {
  it('passes a verified id token on as the claims the API Lambda reads, with either prefix', async () => {
    const { verifier: v } = verifier();
    const expected = { isAuthorized: true, context: { 'cognito:username': 'ada', 'cognito:groups': 'analytics,admins', token_use: 'id', email: 'ada@example.com' } };
    expect(await authorize(`Bearer ${jwt(idClaims)}`, v)).toEqual(expected);
    expect(await authorize(`token ${jwt(idClaims)}`, v)).toEqual(expected);
  });

  it('accepts an access token of a known client (username claim, no e-mail)', async () => {
    const { verifier: v } = verifier();
    const token = jwt({ iss: ISSUER, client_id: CLIENT, token_use: 'access', exp: NOW / 1000 + 60, username: 'grace' });
    expect(await authorize(`Bearer ${token}`, v)).toEqual({ isAuthorized: true, context: { 'cognito:username': 'grace', 'cognito:groups': '', token_use: 'access' } });
  });

  it('passes platform tokens, missing and malformed headers through without claims, for the API Lambda to judge', async () => {
    const { verifier: v, fetchJwks } = verifier();
    for (const header of ['Bearer cas_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', 'token cas_x', undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      expect(await authorize(header, v)).toEqual({ isAuthorized: true, context: {} });
    }
    expect(fetchJwks).not.toHaveBeenCalled();
  });

  it.each([
    ['expired', { ...idClaims, exp: NOW / 1000 - 120 }, {}],
    ['not valid yet (nbf)', { ...idClaims, nbf: NOW / 1000 + 120 }, {}],
    ['from another issuer', { ...idClaims, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/other' }, {}],
    ['for another client', { ...idClaims, aud: 'someone-else' }, {}],
    ['of an unknown use', { ...idClaims, token_use: 'refresh' }, {}],
    ['signed by another key', idClaims, { key: keyPair('key-1').privateKey }],
    ['unsigned', idClaims, { alg: 'none' }],
  ])('passes a JWT %s through without claims, so it gets the API\'s 401', async (_why, claims, options) => {
    const { verifier: v } = verifier();
    // Powertools' logger writes warnings to stderr itself, one JSON line each.
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await authorize(`Bearer ${jwt(claims, options)}`, v)).toEqual({ isAuthorized: true, context: {} });
    expect(warn).toHaveBeenCalledOnce();
    const line = String(warn.mock.calls[0]![0]);
    expect(JSON.parse(line)).toMatchObject({ level: 'WARN', message: 'JWT rejected; passed on without claims', service: 'authorizer' });
    expect(line).not.toContain(jwt(claims, options).split('.')[2]!);
    warn.mockRestore();
  });

  it('fails (API Gateway answers 500) when the key set cannot be fetched: not the caller\'s fault', async () => {
    const v = new CognitoJwtVerifier({ issuer: ISSUER, clientIds: [CLIENT], fetchJwks: async () => Promise.reject(new Error('network down')) });
    await expect(authorize(`Bearer ${jwt(idClaims)}`, v)).rejects.toThrow('network down');
  });
});

describe('CognitoJwtVerifier', () => {
  it('fetches the key set once, and again for a new key id (rotation), not again within ten seconds of a miss', async () => {
    const next = keyPair('key-2');
    const keys = [current.jwk];
    const { verifier: v, fetchJwks } = verifier(keys);
    await v.verify(jwt(idClaims));
    await v.verify(jwt(idClaims));
    expect(fetchJwks).toHaveBeenCalledTimes(1);

    // A key id the set lacks: one fetch, which does not have it either.
    await expect(v.verify(jwt(idClaims, { key: next.privateKey, kid: 'key-2' }))).rejects.toThrow(JwtRejected);
    expect(fetchJwks).toHaveBeenCalledTimes(2);
    keys.push(next.jwk);
    // Within the back-off, no fetch however many such tokens arrive.
    await expect(v.verify(jwt(idClaims, { key: next.privateKey, kid: 'key-2' }))).rejects.toThrow(JwtRejected);
    expect(fetchJwks).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(10_001);
    await expect(v.verify(jwt(idClaims, { key: next.privateKey, kid: 'key-2' }))).resolves.toMatchObject({ 'cognito:username': 'ada' });
    expect(fetchJwks).toHaveBeenCalledTimes(3);
  });

  it('refuses, at construction, an issuer that is not a Cognito user pool', () => {
    expect(() => new CognitoJwtVerifier({ issuer: 'https://example.com/pool', clientIds: [CLIENT] })).toThrow(/not a Cognito user pool/);
  });

  it('refuses what is not a JWT', async () => {
    const { verifier: v } = verifier();
    await expect(v.verify('cas_token')).rejects.toThrow(JwtRejected);
    await expect(v.verify('a.b.c')).rejects.toThrow(JwtRejected);
  });
});
