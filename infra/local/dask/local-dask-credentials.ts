/**
 * Each local Dask cluster's TLS credentials (shared/app/dask-tls/): one file per cluster,
 * `<DATA_DIR>/dask-tls/<resource id>.json` (`{ca, cert, key}`), directory 0700 and file 0600,
 * owned by the control plane's user, so no task reads them here. The process driver copies them
 * into the private directory of each task of the cluster and of its resource, as that task's own
 * user (dask-tls-files.ts). Made when the cluster's scheduler is about to start, kept while the
 * cluster is replaced, deleted when it stops.
 *
 * A file is written beside its target and linked into place only if none is there (`link`
 * fails on an existing name), so two ensures never leave members with different credentials.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { makeDaskClusterCredentials, type DaskClusterCredentials } from '../../../shared/app/dask-tls/dask-cluster-credentials.ts';

const RESOURCE_ID = /^[0-9a-f]{32}$/;
/** What a file holds; a damaged one fails the tasks that need it instead of handing them half a key. */
const storedCredentials = z.strictObject({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) });
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/** Where a task's preparation reads the credentials of the cluster it belongs to or reaches. */
export interface DaskCredentialReader {
  read(resourceId: string): Promise<DaskClusterCredentials | undefined>;
}

export class LocalDaskCredentials implements DaskCredentialReader {
  readonly dir: string;
  readonly #make: (resourceId: string) => DaskClusterCredentials;

  /** `dir` is `<DATA_DIR>/dask-tls`; a temporary directory when absent (tests). */
  constructor(options: { dir?: string; makeCredentials?: (resourceId: string) => DaskClusterCredentials } = {}) {
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'cassini-dask-tls-'));
    mkdirSync(this.dir, { recursive: true, mode: PRIVATE_DIR });
    chmodSync(this.dir, PRIVATE_DIR);
    this.#make = options.makeCredentials ?? makeDaskClusterCredentials;
  }

  /** Makes the cluster's credentials unless it has them. */
  async ensure(resourceId: string): Promise<void> {
    const target = this.#path(resourceId);
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, JSON.stringify(this.#make(resourceId)), { mode: PRIVATE_FILE, flag: 'wx' });
    try {
      await link(temporary, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async read(resourceId: string): Promise<DaskClusterCredentials | undefined> {
    try {
      return storedCredentials.parse(JSON.parse(await readFile(this.#path(resourceId), 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async remove(resourceId: string): Promise<void> {
    await rm(this.#path(resourceId), { force: true });
  }

  #path(resourceId: string): string {
    if (!RESOURCE_ID.test(resourceId)) throw new Error(`not a resource id: ${JSON.stringify(resourceId)}`);
    return join(this.dir, `${resourceId}.json`);
  }
}
