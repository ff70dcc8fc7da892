/**
 * The local SSH endpoint's host key: an ed25519 key generated at the first start and kept in the
 * data directory (mode 0600), so clients see the same fingerprint on every start and a changed
 * one means something is wrong. Without a data directory (tests) a fresh key lives in memory.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// ssh2 is CommonJS: Node's ESM loader gives its exports as the default only.
import ssh2 from 'ssh2';
import { parseSshPublicKey } from '../../../shared/domain/ssh/ssh-public-key.ts';

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

export interface HostKey {
  /** OpenSSH private key format. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…`: what a known_hosts line holds after the host. */
  publicKey: string;
  fingerprint: string;
}

/**
 * A new ed25519 key that ssh2 can read back. ssh2 1.17 strips a public key's leading zero bytes
 * when it writes one, so about one key in 256 comes out malformed (mscdex/ssh2 issues 1390 and
 * 1513): such a key is drawn again rather than kept, and kept in a data directory for good.
 */
function generateReadableKey(): string {
  for (;;) {
    const { private: privateKey } = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(privateKey) instanceof Error)) return privateKey;
  }
}

export function loadOrCreateHostKey(dataDir: string | undefined): HostKey {
  const path = dataDir === undefined ? undefined : join(dataDir, HOST_KEY_FILE);
  let privateKey: string;
  if (path !== undefined && existsSync(path)) {
    privateKey = readFileSync(path, 'utf8');
  } else {
    privateKey = generateReadableKey();
    // `wx`: two starts racing on one data directory cannot both write a key (the data directory lock prevents it anyway).
    if (path !== undefined) writeFileSync(path, privateKey, { mode: 0o600, flag: 'wx' });
  }
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`the SSH host key ${path} cannot be read: ${parsed.message}; move it away to have a new one made`);
  const publicKey = `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
  return { privateKey, publicKey, fingerprint: parseSshPublicKey(publicKey).fingerprint };
}
