/**
 * The DER writer against encodings worked out from X.690 and RFC 5280 by hand: what OpenSSL
 * would reject if a byte were off.
 */
import { describe, expect, it } from 'vitest';
import { namedBits, objectIdentifier, pem, sequence, smallInteger, time, tlv, unsignedInteger } from '../../../shared/app/dask-tls/der.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('der', () => {
  it('writes lengths in the short form below 128 and the long form from 128', () => {
    expect(hex(tlv(0x04, Buffer.alloc(127))).slice(0, 4)).toBe('047f');
    expect(hex(tlv(0x04, Buffer.alloc(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
  });

  it('writes object identifiers in base 128 (ecdsa-with-SHA256)', () => {
    expect(hex(objectIdentifier('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(objectIdentifier('2.5.29.19'))).toBe('0603551d13');
  });

  it('writes minimal non-negative integers, with a zero byte before a set top bit', () => {
    expect(hex(smallInteger(0))).toBe('020100');
    expect(hex(smallInteger(2))).toBe('020102');
    expect(hex(unsignedInteger(Buffer.from([0x00, 0x00, 0x80])))).toBe('02020080');
    expect(() => smallInteger(-1)).toThrow(RangeError);
  });

  it('writes named bits without trailing zero bits (KeyUsage)', () => {
    expect(hex(namedBits([0]))).toBe('03020780');
    expect(hex(namedBits([5, 6]))).toBe('03020106');
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280, 4.1.2.5)', () => {
    expect(Buffer.from(time(new Date('2049-12-31T23:59:59Z'))).toString('latin1').slice(2)).toBe('491231235959Z');
    expect(time(new Date('2049-12-31T23:59:59Z'))[0]).toBe(0x17);
    expect(Buffer.from(time(new Date('2050-01-01T00:00:00Z'))).toString('latin1').slice(2)).toBe('20500101000000Z');
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
  });

  it('arms DER as PEM in lines of 64', () => {
    const text = pem('CERTIFICATE', sequence(Buffer.alloc(100)));
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    expect(lines.slice(1, -1).every((line) => line.length <= 64)).toBe(true);
  });
});
