/**
 * An OpenSSH public key as users paste it (`ssh-ed25519 AAAA… comment`), read and checked
 * without any SSH library: the API Lambda validates keys too, and its bundle stays small.
 * Accepted: ed25519, ECDSA on the NIST curves, and RSA of at least 3072 bits (NIST SP 800-57
 * puts 2048-bit RSA below 128-bit security; OpenSSH's own ssh-keygen defaults to 3072).
 */
import { createHash } from 'node:crypto';

export const MIN_RSA_BITS = 3072;

const ECDSA_CURVES: Record<string, string> = {
  'ecdsa-sha2-nistp256': 'nistp256',
  'ecdsa-sha2-nistp384': 'nistp384',
  'ecdsa-sha2-nistp521': 'nistp521',
};

export interface SshPublicKey {
  /** The key type as the wire names it: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
  type: string;
  /** The wire-format key blob, base64: what a client presents when it authenticates. */
  blob: string;
  /** `SHA256:<base64>` without padding, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The key in its canonical one-line form, without the comment. */
  openssh: string;
  /** RSA only: the modulus' length in bits. */
  bits?: number;
}

export class InvalidSshKeyError extends Error {}

/** The fingerprint of a wire-format key blob, as OpenSSH prints it. Pure. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Reads `<type> <base64> [comment]`; throws InvalidSshKeyError saying what is wrong. Pure. */
export function parseSshPublicKey(text: string): SshPublicKey {
  // A .pub file ends with a newline; a second line is a second key, which is refused.
  const line = text.trim();
  const fields = line.split(/\s+/);
  if (fields.length < 2 || /[\r\n]/.test(line)) {
    throw new InvalidSshKeyError('must be one line in OpenSSH format, "<type> <base64 key> [comment]", e.g. the content of ~/.ssh/id_ed25519.pub');
  }
  const [type, encoded] = fields as [string, string];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new InvalidSshKeyError('the key part is not base64');
  const blob = Buffer.from(encoded, 'base64');
  const reader = new WireReader(blob);
  const innerType = reader.string().toString('latin1');
  if (innerType !== type) throw new InvalidSshKeyError(`the key says it is ${innerType || 'nothing'}, not ${type}`);
  let bits: number | undefined;
  if (type === 'ssh-ed25519') {
    if (reader.string().length !== 32) throw new InvalidSshKeyError('an ed25519 key has 32 bytes');
  } else if (type in ECDSA_CURVES) {
    const curve = reader.string().toString('latin1');
    if (curve !== ECDSA_CURVES[type]) throw new InvalidSshKeyError(`the curve ${curve} does not match ${type}`);
    const point = reader.string();
    if (point[0] !== 0x04) throw new InvalidSshKeyError('the ECDSA point is not uncompressed');
  } else if (type === 'ssh-rsa') {
    reader.string();
    const modulus = reader.string();
    bits = bitLength(modulus);
    if (bits < MIN_RSA_BITS) throw new InvalidSshKeyError(`an RSA key needs at least ${MIN_RSA_BITS} bits; this one has ${bits}. Make one with: ssh-keygen -t ed25519`);
  } else {
    throw new InvalidSshKeyError(`key type ${type} is not accepted; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa of at least ${MIN_RSA_BITS} bits`);
  }
  if (!reader.done) throw new InvalidSshKeyError('the key has trailing bytes');
  const canonical = blob.toString('base64');
  return { type, blob: canonical, fingerprint: sshFingerprint(blob), openssh: `${type} ${canonical}`, ...(bits === undefined ? {} : { bits }) };
}

/** Length-prefixed strings of the SSH wire format (RFC 4251, section 5). */
class WireReader {
  #at = 0;
  constructor(private readonly buffer: Buffer) {}

  string(): Buffer {
    if (this.#at + 4 > this.buffer.length) throw new InvalidSshKeyError('the key is truncated');
    const length = this.buffer.readUInt32BE(this.#at);
    const start = this.#at + 4;
    if (start + length > this.buffer.length) throw new InvalidSshKeyError('the key is truncated');
    this.#at = start + length;
    return this.buffer.subarray(start, this.#at);
  }

  get done(): boolean {
    return this.#at === this.buffer.length;
  }
}

/** Bits of an mpint (leading zero bytes do not count). */
function bitLength(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]!));
}
