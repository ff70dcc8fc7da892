/**
 * Whether local tasks run sandboxed, from the environment of `npm start`:
 *
 * - as root, always: each task under a uid of its own (task-sandbox.ts). `CASSINI_TASK_UIDS`
 *   (`first-last`, default 1000000000-1000999999) are the uids, `CASSINI_FOLDER_GIDS` (default
 *   1001000000-1001999999) the shared folders' groups; numbers no account on a usual host has.
 *   Without `setpriv` (util-linux) the control plane refuses to start rather than run tasks as root.
 * - as anyone else, not at all: a task runs as the user who started Cassini and can read what
 *   that user can, the data directory included. The notice says so at start-up.
 */
import { existsSync } from 'node:fs';
import { TaskSandbox, type IdRange } from './task-sandbox.ts';

export const DEFAULT_TASK_UIDS: IdRange = { first: 1_000_000_000, last: 1_000_999_999 };
export const DEFAULT_FOLDER_GIDS: IdRange = { first: 1_001_000_000, last: 1_001_999_999 };
const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];
// The largest id that is not -1 as a 32-bit value (which means "unchanged" to chown and setuid).
const MAX_ID = 2 ** 32 - 2;

export interface SandboxChoice {
  sandbox: TaskSandbox | undefined;
  /** What tasks can read, for the start-up message. */
  notice: string;
}

export function taskSandboxFromEnvironment(env: NodeJS.ProcessEnv, uid: number | undefined = process.getuid?.()): SandboxChoice {
  if (uid !== 0) {
    return {
      sandbox: undefined,
      notice:
        'Tasks run as this user (Cassini is not running as root): a task can read whatever this user can, including the data directory (admin token, event store, secret store, other tasks\' homes). Run as root to give each task a user of its own (README, "Isolation").',
    };
  }
  const setprivPath = SETPRIV_PATHS.find((path) => existsSync(path));
  if (setprivPath === undefined) throw new Error(`Cassini runs as root, so each task runs as a user of its own through setpriv, which was not found (${SETPRIV_PATHS.join(', ')}); install util-linux.`);
  const uids = idRange(env, 'CASSINI_TASK_UIDS', DEFAULT_TASK_UIDS);
  const folderGids = idRange(env, 'CASSINI_FOLDER_GIDS', DEFAULT_FOLDER_GIDS);
  return {
    sandbox: new TaskSandbox({ setprivPath, uids, folderGids }),
    notice: `Tasks run as users of their own (uids ${uids.first}-${uids.last}); they cannot read the data directory or each other's files.`,
  };
}

/** `first-last` from the variable, or the default; throws naming the variable when malformed. */
export function idRange(env: NodeJS.ProcessEnv, name: string, fallback: IdRange): IdRange {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const match = /^(\d{1,10})-(\d{1,10})$/.exec(text.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (match === null || first < 1 || last < first || last > MAX_ID) {
    throw new Error(`${name}=${JSON.stringify(text)} is not a range of ids: write first-last, e.g. ${fallback.first}-${fallback.last}, with 1 <= first <= last <= ${MAX_ID}`);
  }
  return { first, last };
}
