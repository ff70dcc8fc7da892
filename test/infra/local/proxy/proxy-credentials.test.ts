import { describe, expect, it } from 'vitest';
import { originForm, sessionCookie, withoutSessionCookie, withoutTokenParameter } from '../../../../infra/local/proxy/proxy-credentials.ts';

describe('withoutTokenParameter', () => {
  it('removes every token parameter and keeps the rest of the query as written', () => {
    expect(withoutTokenParameter('/lab?token=t&a=x%20y&b=1+2')).toBe('/lab?a=x%20y&b=1+2');
    expect(withoutTokenParameter('/lab?a=1&token=t&token=u')).toBe('/lab?a=1');
    expect(withoutTokenParameter('/lab?%74oken=t')).toBe('/lab');
  });

  it('drops the question mark when nothing else is left, and leaves a target without a query alone', () => {
    expect(withoutTokenParameter('/lab?token=t')).toBe('/lab');
    expect(withoutTokenParameter('/lab')).toBe('/lab');
    expect(withoutTokenParameter('/lab?tokens=1')).toBe('/lab?tokens=1');
  });

  it('keeps parameters it cannot decode', () => {
    expect(withoutTokenParameter('/x?%E0%A4%A=1&token=t')).toBe('/x?%E0%A4%A=1');
  });
});

describe('withoutSessionCookie', () => {
  it('removes the session cookie and keeps the others as written', () => {
    expect(withoutSessionCookie('a=1; cassini_session=t; b="q"')).toBe('a=1; b="q"');
    expect(withoutSessionCookie('cassini_session=t;flag')).toBe('flag');
  });

  it('leaves nothing when the session cookie was the only one', () => {
    expect(withoutSessionCookie('cassini_session=t')).toBeUndefined();
    expect(withoutSessionCookie('cassini_session=t; cassini_session=u')).toBeUndefined();
  });
});

describe('originForm', () => {
  it('keeps an origin-form target', () => {
    expect(originForm('/a/b?c=d')).toBe('/a/b?c=d');
  });

  it('reduces an absolute-form target to its path and query', () => {
    expect(originForm('http://elsewhere.example/a?b=c')).toBe('/a?b=c');
  });

  it('never reads as another host', () => {
    expect(originForm('//elsewhere.example/a')).toBe('/elsewhere.example/a');
    expect(originForm('not a url')).toBe('/');
    expect(originForm(undefined)).toBe('/');
  });
});

describe('sessionCookie', () => {
  it('is HttpOnly, SameSite=Lax, on every path, and has no Domain, so only this host receives it', () => {
    expect(sessionCookie('cas_a+b/c', 'http')).toBe('cassini_session=cas_a%2Bb%2Fc; Path=/; HttpOnly; SameSite=Lax');
  });

  it('is __Host- prefixed and Secure over https, as the prefix requires (MDN "Set-Cookie": cookie prefixes)', () => {
    // A __Host- cookie must be Secure, have Path=/ and no Domain, or browsers drop it.
    expect(sessionCookie('t', 'https')).toBe('__Host-cassini_session=t; Path=/; HttpOnly; SameSite=Lax; Secure');
  });
});

describe('withoutSessionCookie, under either name', () => {
  it('removes the __Host- session cookie too', () => {
    expect(withoutSessionCookie('__Host-cassini_session=t; a=1')).toBe('a=1');
  });
});
