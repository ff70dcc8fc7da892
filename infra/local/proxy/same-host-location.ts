/**
 * Where the proxy may send a browser after a `?token=` sign-in: the same address, as a path on
 * the same host, whatever the request target held.
 *
 * Browsers read a `Location` generously: `/\evil.example/` and `//evil.example/` both mean
 * `http://evil.example/`, tabs and newlines are dropped before parsing, and `/./..//evil`
 * resolves to the path `//evil`, which read again is another host. So the target is made
 * plain before it becomes a Location: every byte outside printable ASCII, and every `\`, is
 * percent-encoded (a server reads `%5C` as the `\` it was), the path is resolved, and leading
 * slashes are collapsed to one.
 */

/** The stand-in origin paths are resolved against; `.invalid` never names a real host (RFC 2606). */
const PROBE_ORIGIN = 'http://same-host.invalid';

const BACKSLASH = 0x5c;

/** Whether a browser could read the character as a host separator, or drop it: `\`, controls, space, non-ASCII. */
function unsafeInLocation(code: number): boolean {
  return code <= 0x20 || code >= 0x7f || code === BACKSLASH;
}

/** The target with every character a browser could misread percent-encoded. */
function plain(target: string): string {
  let out = '';
  for (const c of target) {
    const code = c.codePointAt(0)!;
    // Node hands the request target over byte for byte, one character per byte (latin1).
    if (!unsafeInLocation(code)) out += c;
    else out += code <= 0xff ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c);
  }
  return out;
}

function oneLeadingSlash(path: string): string {
  return `/${path.replace(/^\/+/, '')}`;
}

/** The path and query of `target` as a Location that stays on the host that answers it. */
export function sameHostLocation(target: string): string {
  const url = new URL(oneLeadingSlash(plain(target)), PROBE_ORIGIN);
  // Resolving a path-absolute reference keeps the origin; checked all the same, as the fallback is harmless.
  if (url.origin !== PROBE_ORIGIN) return '/';
  return oneLeadingSlash(url.pathname) + url.search;
}
