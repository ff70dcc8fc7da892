import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST_KEY_FILE, loadOrCreateHostKey } from '../../../../infra/local/ssh/ssh-host-key.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('the local SSH host key', () => {
  it('is made once, kept 0600 in the data directory, and gives the same fingerprint on the next start', () => {
    dir = mkdtempSync(join(tmpdir(), 'cassini-hostkey-'));
    const first = loadOrCreateHostKey(dir);
    const second = loadOrCreateHostKey(dir);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(first.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
    expect(statSync(join(dir, HOST_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('is always one ssh2 reads back, though ssh2 writes about one ed25519 key in 256 malformed', () => {
    // 600 keys: a maker that kept malformed keys fails here with probability 1 - (255/256)^600, about 90 %.
    for (let i = 0; i < 600; i++) expect(() => loadOrCreateHostKey(undefined)).not.toThrow();
  });

  it('is a fresh one each time without a data directory', () => {
    expect(loadOrCreateHostKey(undefined).fingerprint).not.toBe(loadOrCreateHostKey(undefined).fingerprint);
  });
});
