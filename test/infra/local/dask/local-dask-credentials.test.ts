/**
 * The local store of Dask clusters' TLS credentials: private to the control plane, one set per
 * cluster however many ensures race, gone with the cluster.
 */
import { statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LocalDaskCredentials } from '../../../../infra/local/dask/local-dask-credentials.ts';

const RESOURCE = 'ab'.repeat(12) + '00000001';

describe('LocalDaskCredentials', () => {
  it('keeps the first credentials made when ensures race, in a file only the control plane reads', async () => {
    // Prepare
    const store = new LocalDaskCredentials();

    // Act
    await Promise.all([store.ensure(RESOURCE), store.ensure(RESOURCE), store.ensure(RESOURCE)]);
    const first = await store.read(RESOURCE);
    await store.ensure(RESOURCE);

    // Assess
    expect(await store.read(RESOURCE)).toEqual(first);
    expect(Object.keys(first!).sort()).toEqual(['ca', 'cert', 'key']);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(`${store.dir}/${RESOURCE}.json`).mode & 0o777).toBe(0o600);
  });

  it('forgets a cluster’s credentials when removed, and removing twice is fine', async () => {
    const store = new LocalDaskCredentials();
    await store.ensure(RESOURCE);
    await store.remove(RESOURCE);
    await store.remove(RESOURCE);
    expect(await store.read(RESOURCE)).toBeUndefined();
  });

  it('refuses a damaged file rather than hand a task half of the credentials', async () => {
    const store = new LocalDaskCredentials();
    writeFileSync(`${store.dir}/${RESOURCE}.json`, JSON.stringify({ ca: 'x', cert: 'y' }));
    await expect(store.read(RESOURCE)).rejects.toThrow();
  });

  it('refuses a name that is not a resource id, which could climb out of its directory', async () => {
    await expect(new LocalDaskCredentials().ensure('../../etc/passwd')).rejects.toThrow(/not a resource id/);
  });
});
