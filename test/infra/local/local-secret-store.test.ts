import { mkdtempSync, readdirSync, statSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalSecretStore } from '../../../infra/local/local-secret-store.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('LocalSecretStore', () => {
  it('keeps each value in a 0600 file under a 0700 directory, and reads it back', async () => {
    // Prepare
    const dir = join(mkdtempSync(join(tmpdir(), 'secret-store-test-')), 'secrets');
    const store = new LocalSecretStore({ dir });

    // Act
    await store.put({ owner: 'ann', name: 'db-password' }, 's3cr3t');

    // Assess
    expect(await store.get({ owner: 'ann', name: 'db-password' })).toBe('s3cr3t');
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'ann'))).toBe(0o700);
    expect(mode(join(dir, 'ann', 'db-password'))).toBe(0o600);
  });

  it('replaces a value atomically, leaving no temporary file behind', async () => {
    // Prepare
    const store = new LocalSecretStore();
    await store.put({ owner: 'ann', name: 'token' }, 'first');

    // Act
    await store.put({ owner: 'ann', name: 'token' }, 'second');

    // Assess
    expect(await store.get({ owner: 'ann', name: 'token' })).toBe('second');
    expect(readdirSync(join(store.dir, 'ann'))).toEqual(['token']);
  });

  it('tightens a data directory created with looser permissions', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'secret-store-test-')), 'secrets');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    new LocalSecretStore({ dir });
    expect(mode(dir)).toBe(0o700);
  });

  it('deletes a value, and deleting a missing one is no error', async () => {
    const store = new LocalSecretStore();
    await store.put({ owner: 'ml', name: 'key' }, 'v');
    await store.delete({ owner: 'ml', name: 'key' });
    await store.delete({ owner: 'ml', name: 'key' });
    expect(await store.get({ owner: 'ml', name: 'key' })).toBeUndefined();
  });

  it('refuses owners and names that could leave its directory', async () => {
    // Prepare
    const root = mkdtempSync(join(tmpdir(), 'secret-store-test-'));
    const store = new LocalSecretStore({ dir: join(root, 'secrets') });
    writeFileSync(join(root, 'outside'), 'do not touch');

    // Act / Assess
    for (const ref of [
      { owner: '..', name: 'outside' },
      { owner: 'ann', name: '../../outside' },
      { owner: 'ann/..', name: 'x' },
      { owner: 'ann', name: '.hidden' },
      { owner: '', name: 'x' },
    ]) {
      await expect(store.put(ref, 'x'), JSON.stringify(ref)).rejects.toThrow(/not a valid secret owner or name/);
      await expect(store.get(ref)).rejects.toThrow(/not a valid secret owner or name/);
      await expect(store.delete(ref)).rejects.toThrow(/not a valid secret owner or name/);
    }
    expect(readdirSync(root).sort()).toEqual(['outside', 'secrets']);
  });
});
