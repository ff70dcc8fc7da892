import { describe, expect, it } from 'vitest';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { utils } from 'ssh2';
import { InvalidSshKeyError, MIN_RSA_BITS, parseSshPublicKey } from '../../../shared/domain/ssh/ssh-public-key.ts';
import { readableKeyPair } from '../../support/ssh-key-pair.ts';

/** A wire-format string: uint32 length, then the bytes (RFC 4251, section 5). */
function wire(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts.flatMap((part) => [Buffer.from([0, 0, 0, 0].map((_, i) => (part.length >>> (24 - 8 * i)) & 0xff)), part]));
}

/** An ssh-rsa public key line with a modulus of exactly `bits` bits (the top bit set). */
function rsaKeyOf(bits: number): string {
  const modulus = randomBytes(bits / 8);
  modulus[0] = modulus[0]! | 0x80;
  return `ssh-rsa ${wire(Buffer.from('ssh-rsa'), Buffer.from([1, 0, 1]), Buffer.concat([Buffer.from([0]), modulus])).toString('base64')} laptop`;
}

describe('parseSshPublicKey', () => {
  it('reads an ed25519 key with its comment and prints the fingerprint as ssh-keygen -l does', () => {
    // Prepare: ssh2 writes the key in OpenSSH format; its fingerprint is SHA-256 of the blob.
    const { public: line } = utils.generateKeyPairSync('ed25519', { comment: 'ann@laptop' });
    const blob = Buffer.from(line.split(' ')[1]!, 'base64');

    // Act
    const key = parseSshPublicKey(`  ${line}\n`);

    // Assess
    expect(key.type).toBe('ssh-ed25519');
    expect(key.openssh).toBe(line.split(' ').slice(0, 2).join(' '));
    expect(key.fingerprint).toBe(`SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`);
  });

  it('reads ECDSA keys of each NIST curve', () => {
    for (const bits of [256, 384, 521] as const) {
      const { public: line } = utils.generateKeyPairSync('ecdsa', { bits });
      expect(parseSshPublicKey(line).type).toBe(`ecdsa-sha2-nistp${bits}`);
    }
  });

  it(`accepts RSA of ${MIN_RSA_BITS} bits and refuses 2048 (NIST SP 800-57: 2048-bit RSA is below 128-bit security)`, () => {
    expect(parseSshPublicKey(rsaKeyOf(3072)).bits).toBe(3072);
    expect(() => parseSshPublicKey(rsaKeyOf(2048))).toThrow(/at least 3072 bits; this one has 2048/);
  });

  it('refuses DSA, a type that disagrees with the blob, truncation, trailing bytes, two lines and a private key', () => {
    const { public: ed } = readableKeyPair();
    const [, blob] = ed.split(' ') as [string, string];
    const bytes = Buffer.from(blob, 'base64');
    const cases = [
      `ssh-dss ${wire(Buffer.from('ssh-dss'), randomBytes(20)).toString('base64')}`,
      `ssh-rsa ${blob}`,
      `ssh-ed25519 ${bytes.subarray(0, bytes.length - 3).toString('base64')}`,
      `ssh-ed25519 ${Buffer.concat([bytes, Buffer.from([0])]).toString('base64')}`,
      `${ed}\n${ed}`,
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      'ssh-ed25519 not*base64',
      '',
    ];
    for (const text of cases) expect(() => parseSshPublicKey(text), text).toThrow(InvalidSshKeyError);
  });
});
