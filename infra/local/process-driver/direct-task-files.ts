/** `TaskFiles` as the control plane's own user: for tasks that run as that same user. */
import { chmod, lstat, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TaskFiles } from './task-files.ts';

export const directTaskFiles: TaskFiles = {
  async makeDirectory(path) {
    await mkdir(path, { recursive: true });
  },
  async writeFile(path, content, mode) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { mode });
    // The mode given at creation is filtered by the umask, and ignored for a file that exists.
    await chmod(path, mode);
  },
  async link(target, link) {
    await mkdir(dirname(link), { recursive: true });
    const existing = await lstat(link).catch(() => undefined);
    if (existing?.isSymbolicLink()) await rm(link);
    else if (existing) return false;
    await symlink(target, link, 'dir');
    return true;
  },
  async remove(path) {
    await rm(path, { recursive: true, force: true });
  },
};
