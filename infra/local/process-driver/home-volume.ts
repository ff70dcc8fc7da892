/**
 * A persistent home on one machine: a directory `<volumesDir>/<name>` that a task's tree
 * links in as its `home/jovyan`. The tree stays the task's own (task.json, log, exit.json),
 * while what the task writes under $HOME lands in the volume, outlives the task and is seen
 * by the next task given the same volume: what an EFS access point is to an ECS task.
 *
 * A symbolic link and not a bind mount: mounting needs privileges a laptop user lacks.
 */
import { mkdir, readlink, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ValidationError } from '../../../shared/domain/errors.ts';

// A volume name becomes a directory name: the same rule as a task id (no separators, no leading dot).
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isValidVolumeName(name: string): boolean {
  return VOLUME_NAME.test(name);
}

/** The volume's directory; refuses a name that could reach outside `volumesDir`. */
export function volumePath(volumesDir: string, name: string): string {
  if (!isValidVolumeName(name)) {
    const message = `home volume ${JSON.stringify(name)} must be 1-200 letters, digits, '.', '_' or '-', starting with a letter or digit`;
    throw new ValidationError(message, [{ path: 'homeVolume', message }]);
  }
  return join(volumesDir, name);
}

/** Creates the volume if it is new and links it in as `home`, the task tree's home/jovyan. */
export async function linkHomeVolume(volume: string, home: string): Promise<void> {
  await mkdir(volume, { recursive: true, mode: 0o700 });
  await mkdir(dirname(home), { recursive: true, mode: 0o700 });
  try {
    await symlink(volume, home, 'dir');
  } catch (error) {
    // A launch that failed half-way may have linked it already; anything else there is not ours to replace.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || (await linkTarget(home)) !== volume) throw error;
  }
}

/** Deletes the volume and everything in it; nothing to do when it does not exist. */
export async function deleteVolume(volume: string): Promise<void> {
  // rm does not follow symbolic links the task left inside: it removes the links, not their targets.
  await rm(volume, { recursive: true, force: true });
}

async function linkTarget(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch {
    return undefined;
  }
}
