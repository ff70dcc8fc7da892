/**
 * Where a local task lives on disk, and how the container paths in its spec map into it.
 * Each task gets a tree of its own, so tasks never see each other's files, and a spec written
 * for the image (`/home/jovyan/...`) means the same on a laptop as on AWS:
 *
 *     <rootDir>/<taskId>/
 *       task.json      what was launched (environment names, never values) and its process
 *       exit.json      how it ended; present once the end has been reported
 *       log.ndjson     timestamped output, one JSON object a line
 *       home/jovyan/   the task's $HOME; spec paths under /home/jovyan land here (a link
 *                      to `<volumesDir>/<name>` for a task with a home volume)
 */
import { join, posix } from 'node:path';
import { ValidationError } from '../../../shared/domain/errors.ts';

/** The home directory specs are written against, as in the container image. */
export const CONTAINER_HOME = '/home/jovyan';

// A task id becomes a directory name: no separators, no leading dot (so never `.` or `..`).
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isValidTaskId(taskId: string): boolean {
  return TASK_ID.test(taskId);
}

export class TaskTree {
  readonly dir: string;
  readonly home: string;
  readonly taskFile: string;
  readonly exitFile: string;
  readonly logFile: string;

  constructor(
    rootDir: string,
    readonly taskId: string,
  ) {
    if (!isValidTaskId(taskId)) {
      const message = `task id ${JSON.stringify(taskId)} must be 1-200 letters, digits, '.', '_' or '-', starting with a letter or digit`;
      throw new ValidationError(message, [{ path: 'taskId', message }]);
    }
    this.dir = join(rootDir, taskId);
    this.home = join(this.dir, ...CONTAINER_HOME.split('/').filter(Boolean));
    this.taskFile = join(this.dir, 'task.json');
    this.exitFile = join(this.dir, 'exit.json');
    this.logFile = join(this.dir, 'log.ndjson');
  }

  /**
   * The host path for a path as the spec writes it: absolute under /home/jovyan, or relative
   * to it. Anything that resolves outside (`/etc`, `../..`) is refused: a local task shares
   * the host's filesystem, and its tree is the only part of it the platform hands out.
   */
  hostPath(specPath: string, field: string): string {
    const inContainer = posix.resolve(CONTAINER_HOME, specPath);
    const insideHome = posix.relative(CONTAINER_HOME, inContainer);
    if (insideHome === '..' || insideHome.startsWith('../')) {
      const message = `${JSON.stringify(specPath)} is outside ${CONTAINER_HOME}; a local task can only use paths under its home`;
      throw new ValidationError(`${field} ${message}`, [{ path: field, message }]);
    }
    return insideHome === '' ? this.home : join(this.home, ...insideHome.split('/'));
  }
}
