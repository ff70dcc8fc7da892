/**
 * Just enough DER (ITU-T X.690, distinguished encoding) to write an X.509 certificate: the
 * handful of universal types a certificate uses and context-specific tags. Writing only, never
 * parsing: what this writes is read back by node:crypto's `X509Certificate` and OpenSSL in tests.
 *
 * Why our own: node:crypto makes keys and signs, but has no certificate builder, and the X.509
 * libraries on npm (e.g. @peculiar/x509, eleven dependencies: ASN.1 schemas, a DI container)
 * would grow Lambda bundles capped at 1 MB (the reactor's is near 900 KB) to write one fixed shape.
 */

/** A tag, its length (short form below 128, long form above) and the content. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

export function set(...items: Uint8Array[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

export function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

/** A non-negative INTEGER from its big-endian bytes: minimal, with a 0 byte where the top bit would read as a sign. */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const minimal = Buffer.from(bytes.subarray(start));
  return tlv(0x02, minimal.length > 0 && (minimal[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}

export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`not a small non-negative integer: ${value}`);
  return unsignedInteger(Buffer.from([value >> 8, value & 0xff]));
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. `2.5.4.3`. */
export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0)) throw new RangeError(`not an object identifier: ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const base128: number[] = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) base128.unshift((rest & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A BIT STRING of `bytes` whose last `unusedBits` bits are padding (0 for whole bytes: a key, a signature). */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/** A named-bit BIT STRING (KeyUsage) with the given bit numbers set (bit 0 is the first, most significant); DER drops the trailing zero bits. */
export function namedBits(bits: readonly number[]): Buffer {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[Math.floor(bit / 8)]! |= 0x80 >> bit % 8;
  return bitString(bytes, 7 - (highest % 8));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(0x04, bytes);
}

export function utf8String(text: string): Buffer {
  return tlv(0x0c, Buffer.from(text, 'utf8'));
}

/** X.509's Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280, 4.1.2.5), to the second. */
export function time(at: Date): Buffer {
  const iso = at.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return at.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** `[n]` EXPLICIT: a constructed context-specific tag around one encoded value. */
export function explicit(n: number, value: Uint8Array): Buffer {
  return tlv(0xa0 | n, value);
}

/** `[n]` IMPLICIT over a primitive value's content. */
export function implicitPrimitive(n: number, content: Uint8Array): Buffer {
  return tlv(0x80 | n, content);
}

/** PEM armour (RFC 7468): base64 in lines of 64. */
export function pem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
