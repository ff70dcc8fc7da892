/**
 * Secret values in local mode: one file per secret under `<DATA_DIR>/secrets/<owner>/<name>`,
 * directories 0700 and files 0600, so only the user running Cassini can read them. A value is
 * written to a temporary file beside its target and renamed over it, so a crash leaves the old
 * value or the new one, never half of one. Owner and name must be catalog names (letters,
 * digits, `_`, `-`): nothing that could climb out of the directory. Without a data directory
 * (tests) the values live in a fresh temporary directory.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretRef, SecretStore } from '../../shared/ports/secret-store.ts';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

export class LocalSecretStore implements SecretStore {
  readonly dir: string;

  /** `dir` is `<DATA_DIR>/secrets`; a temporary directory when absent. */
  constructor(options: { dir?: string } = {}) {
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'cassini-secrets-'));
    mkdirSync(this.dir, { recursive: true, mode: PRIVATE_DIR });
    // mkdir leaves an existing directory's mode alone: tighten it in case it was created looser.
    chmodSync(this.dir, PRIVATE_DIR);
  }

  async put(ref: SecretRef, value: string): Promise<void> {
    const ownerDir = join(this.dir, safe(ref.owner));
    const target = join(ownerDir, safe(ref.name));
    await mkdir(ownerDir, { recursive: true, mode: PRIVATE_DIR });
    const temporary = join(ownerDir, `.${safe(ref.name)}.${randomBytes(6).toString('hex')}.tmp`);
    const file = await open(temporary, 'wx', PRIVATE_FILE);
    try {
      await file.writeFile(value, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    try {
      return await readFile(this.path(ref), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(ref: SecretRef): Promise<void> {
    await rm(this.path(ref), { force: true });
  }

  private path(ref: SecretRef): string {
    return join(this.dir, safe(ref.owner), safe(ref.name));
  }
}

function safe(part: string): string {
  if (!SAFE_NAME.test(part)) throw new Error(`not a valid secret owner or name: ${JSON.stringify(part)}`);
  return part;
}
