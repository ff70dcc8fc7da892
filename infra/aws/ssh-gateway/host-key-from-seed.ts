/**
 * The SSH gateway's host key on AWS, derived from a secret CloudFormation generates once
 * (infra/aws/constructs/ssh-gateway.ts: a Secrets Manager secret with a generated string).
 *
 * Why derived and not stored: an ed25519 private key is a 32-byte seed (RFC 8032, section 5.1.5),
 * so SHA-256 of the generated string is a key. Secrets Manager makes the string when the stack
 * is created, so no gateway task needs `secretsmanager:PutSecretValue`, and two tasks starting
 * at once cannot race to create two keys: every task derives the same key, and clients see one
 * fingerprint for the life of the secret.
 *
 * The key is written in the OpenSSH private-key format (PROTOCOL.key in OpenSSH's sources:
 * "openssh-key-v1", no cipher, one key), which ssh2 reads as the local host key is read.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';

/** DER of a PKCS#8 ed25519 private key, up to the 32-byte seed (RFC 8410, section 7). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const KEY_TYPE = 'ssh-ed25519';
/** The fewest characters the generated secret may have: 32 random alphanumerics carry more than 128 bits. */
export const MINIMUM_SEED_LENGTH = 32;

export interface DerivedHostKey {
  /** OpenSSH private key format, as ssh2's `hostKeys` takes it. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…`: what a known_hosts line holds after the host. */
  publicKey: string;
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** The host key the generated secret stands for; the same secret gives the same key on every task. */
export function hostKeyFromSeed(secret: string): DerivedHostKey {
  if (secret.length < MINIMUM_SEED_LENGTH) throw new Error(`the SSH host key secret holds ${secret.length} characters; it needs at least ${MINIMUM_SEED_LENGTH}`);
  const seed = createHash('sha256').update(secret, 'utf8').digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  // The last 32 bytes of the SPKI DER are the raw public key.
  const rawPublic = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(rawPublic)]);
  // The check integers only tell a decrypting reader its passphrase was right; with no cipher any equal pair does.
  const check = uint32(seed.readUInt32BE(0));
  const section = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(rawPublic), sshString(Buffer.concat([seed, rawPublic])), sshString('cassini ssh gateway')]);
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([OPENSSH_MAGIC, sshString('none'), sshString('none'), sshString(''), uint32(1), sshString(publicBlob), sshString(Buffer.concat([section, padding]))]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `${KEY_TYPE} ${publicBlob.toString('base64')}`,
  };
}
