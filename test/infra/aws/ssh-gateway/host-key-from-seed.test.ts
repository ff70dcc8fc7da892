/**
 * The gateway's host key from the generated secret (infra/aws/ssh-gateway/host-key-from-seed.ts):
 * ssh2 reads it and signs with it, and the same secret gives the same key on every task.
 */
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { hostKeyFromSeed, MINIMUM_SEED_LENGTH } from '../../../../infra/aws/ssh-gateway/host-key-from-seed.ts';

const SECRET = 'Q3tZr8WmK1pLx0aVbN7cYd2eFg5hJ4kS9uTo6iRw';

describe('hostKeyFromSeed', () => {
  it('makes an OpenSSH ed25519 key ssh2 reads, whose public half is the one it announces', () => {
    // Act
    const key = hostKeyFromSeed(SECRET);
    const parsed = ssh2.utils.parseKey(key.privateKey);

    // Assess
    if (parsed instanceof Error) throw parsed;
    expect(parsed.type).toBe('ssh-ed25519');
    expect(`${parsed.type} ${parsed.getPublicSSH().toString('base64')}`).toBe(key.publicKey);
  });

  it('signs so that the announced public key verifies it (the key pair is whole)', () => {
    // Prepare
    const key = hostKeyFromSeed(SECRET);
    const parsed = ssh2.utils.parseKey(key.privateKey);
    if (parsed instanceof Error) throw parsed;
    const data = Buffer.from('session id');

    // Act
    const signature = parsed.sign(data);

    // Assess: the raw key is the last 32 bytes of the wire-format public blob.
    const raw = Buffer.from(key.publicKey.split(' ')[1]!, 'base64').subarray(-32);
    const spki = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
    expect(verify(null, data, spki, signature as Buffer)).toBe(true);
  });

  it('gives every task the same key for one secret and another key for another secret', () => {
    expect(hostKeyFromSeed(SECRET)).toEqual(hostKeyFromSeed(SECRET));
    expect(hostKeyFromSeed(`${SECRET}x`).publicKey).not.toBe(hostKeyFromSeed(SECRET).publicKey);
  });

  it('refuses a secret too short to be a key', () => {
    expect(() => hostKeyFromSeed('x'.repeat(MINIMUM_SEED_LENGTH - 1))).toThrow(/needs at least 32/);
  });
});
