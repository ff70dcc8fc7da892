import { describe, expect, it } from 'vitest';
import { sameHostLocation } from '../../../../infra/local/proxy/same-host-location.ts';

/** Where a browser on `http://web-ann.localhost:8080/` goes when told `Location: <location>` (WHATWG URL parsing, as browsers do). */
function browserGoesTo(location: string): string {
  return new URL(location, 'http://web-ann.localhost:8080/').host;
}

describe('sameHostLocation', () => {
  it('keeps an ordinary path and query as they are', () => {
    expect(sameHostLocation('/lab/tree?a=1&b=x%20y')).toBe('/lab/tree?a=1&b=x%20y');
    expect(sameHostLocation('/')).toBe('/');
  });

  it.each([
    ['/\\evil.example/'],
    ['/\\\\evil.example/'],
    ['\\/evil.example/'],
    ['//evil.example/'],
    ['///evil.example/'],
    ['/./..//evil.example/'],
    ['/%2e%2e//evil.example/'],
    ['/\t/evil.example/'],
    ['/\n/evil.example/'],
    ['/\u0000/evil.example/'],
    ['http://evil.example/'],
    ['javascript:alert(1)'],
    ['/ /evil.example'],
  ])('never sends the browser to another host (%j)', (target) => {
    const location = sameHostLocation(target);

    expect(browserGoesTo(location)).toBe('web-ann.localhost:8080');
    expect(location).toMatch(/^\/(?![/\\])/);
    expect([...location].every((c) => c > ' ' && c < '\u007f' && c !== '\\'), location).toBe(true);
  });

  it('percent-encodes a backslash, so that the app still receives it', () => {
    expect(sameHostLocation('/\\evil.example/')).toBe('/%5Cevil.example/');
  });

  it('percent-encodes bytes outside ASCII, one escape per byte', () => {
    expect(sameHostLocation('/caf\u00e9')).toBe('/caf%E9');
  });
});
