/**
 * Shared folders, locally: one directory per folder under `<foldersDir>/<owner>/<name>`, linked
 * into each task's tree at the folder's mapped path, so every task that attaches the folder sees
 * the same files. A link from an earlier start (a workspace's persistent home) is replaced.
 *
 * Read-only is advisory here: a symbolic link cannot be read-only, and a read-only bind mount
 * needs root. The task is told (a `system` line), and AWS mounts such folders read-only for real.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderMount } from '../../../shared/ports/task-driver.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import type { TaskFiles } from './task-files.ts';

// Catalog names: nothing that could climb out of `foldersDir`.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Where a folder's files live on this machine. */
export function sharedFolderPath(foldersDir: string, folder: { owner: string; name: string }): string {
  if (!SAFE_NAME.test(folder.owner) || !SAFE_NAME.test(folder.name)) throw new PreparationFailed(`${JSON.stringify(`${folder.owner}/${folder.name}`)} is not a shared folder name`);
  return join(foldersDir, folder.owner, folder.name);
}

export async function linkSharedFolders(context: PreparationContext, folders: readonly FolderMount[], foldersDir: string, files: TaskFiles): Promise<void> {
  for (const folder of folders) {
    const source = sharedFolderPath(foldersDir, folder);
    const link = context.tree.hostPath(folder.path, 'sharedFolders.path');
    await mkdir(source, { recursive: true });
    if (!(await files.link(source, link))) throw new PreparationFailed(`the shared folder ${folder.owner}/${folder.name} is to appear at ${folder.path}, where something else already is`);
    const mode = folder.readOnly ? 'read-only (advisory locally: the link cannot be made read-only)' : 'read-write';
    context.say(`shared folder ${folder.owner}/${folder.name}: ${folder.path}, ${mode}`);
  }
}
