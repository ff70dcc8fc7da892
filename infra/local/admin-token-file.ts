/**
 * The admin token in the data directory: written once, on first start, readable only by its
 * owner (mode 0600), via a temporary file and a rename so a crash never leaves half a token.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

export function readAdminToken(dataDir: string): string | undefined {
  const path = adminTokenPath(dataDir);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function writeAdminToken(dataDir: string, token: string): void {
  const path = adminTokenPath(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${token}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
