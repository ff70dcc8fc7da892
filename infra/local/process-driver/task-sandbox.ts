/**
 * Local tasks under users of their own, for a control plane that runs as root (CI, containers).
 * Each task runs as a uid from a range no one else uses (no account is created: the kernel
 * needs only the number), so the data directory — admin token, event store, secret store,
 * other tasks' trees, all owned by root and closed to others — is out of its reach, and so is
 * every other task. What a task may use is opened to it alone:
 *
 * - its tree's directories are searchable (0711) but not listable, its home is its own (0700);
 * - a home volume keeps one uid for good (the volume directory's owner), so a workspace's files
 *   stay its own across restarts and no other task is ever given that uid;
 * - each shared folder has a group of its own (from a second range), owner root, mode 2770,
 *   and only tasks that attach the folder get that group;
 * - when the task ends, every process of its uid is killed (a `setsid` child included) and its
 *   tree is closed (0700), so a later task given the same uid finds nothing of it.
 */
import { existsSync, chmodSync, mkdirSync, statSync } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { directTaskFiles } from './direct-task-files.ts';
import type { TaskFiles } from './task-files.ts';
import { asTaskUser, type Command, type TaskUser } from './task-user.ts';
import { taskUserFiles } from './task-user-files.ts';
import { killProcessesOfUser } from './user-processes.ts';
import type { TaskTree } from './task-tree.ts';

/** An inclusive range of numeric ids. */
export interface IdRange {
  first: number;
  last: number;
}

export interface TaskSandboxOptions {
  /** The absolute path of util-linux's `setpriv`. */
  setprivPath: string;
  /** Task uids (a task's primary gid is its uid). */
  uids: IdRange;
  /** Shared folders' groups; must not overlap `uids`, or a task's own group could be a folder's. */
  folderGids: IdRange;
  /**
   * Where in each range the search for a free id begins (then on, wrapping round); by default a
   * random place, drawn once per sandbox. Two control planes on one machine (two data
   * directories, or the test suite's platforms running side by side) know nothing of each other's
   * tasks: starting both at the range's first id would give their first tasks the same uid, and
   * the end of one would sweep (kill) the other's processes of that uid.
   */
  searchFrom?: { uid: number; gid: number };
}

const SEARCHABLE_DIR = 0o711;
const PRIVATE_DIR = 0o700;
// setgid: files made in the folder belong to its group, so every task that attaches it can use them.
const SHARED_FOLDER_DIR = 0o2770;

export class TaskSandbox {
  readonly #options: TaskSandboxOptions;
  readonly #searchFrom: { uid: number; gid: number };
  /** Task id → its uid, while it runs. */
  readonly #users = new Map<string, number>();
  /**
   * Tasks whose uid a sweep left without a process since their command ended. No process of that
   * uid can appear again before the uid is freed (its processes are gone, and nothing else starts
   * one for an ended task), so `release` need not read /proc a second time: each look reads the
   * status of every process on the machine, in the event loop, which is what a burst of runs
   * ending at once waits on.
   */
  readonly #sweptClean = new Set<string>();
  /** Allocation is one at a time: two launches must never pick the same free id. */
  #allocating: Promise<unknown> = Promise.resolve();

  constructor(options: TaskSandboxOptions) {
    if (overlaps(options.uids, options.folderGids)) throw new Error('the task uid range and the shared folder gid range overlap; a task would share a group with a folder');
    this.#options = options;
    this.#searchFrom = options.searchFrom ?? { uid: randomIn(options.uids), gid: randomIn(options.folderGids) };
  }

  /**
   * Creates one of the driver's own directories (tasks, volumes, shared folders) searchable by
   * tasks, and checks that tasks can reach it: every directory above must let others search it.
   * Throws, naming the directory to fix, when one does not.
   */
  openDirectory(dir: string): void {
    const absolute = resolve(dir);
    mkdirSync(absolute, { recursive: true, mode: SEARCHABLE_DIR });
    chmodSync(absolute, SEARCHABLE_DIR);
    for (let above = dirname(absolute); ; above = dirname(above)) {
      if (existsSync(above) && (statSync(above).mode & 0o001) === 0) {
        throw new Error(
          `tasks run as users of their own (the control plane runs as root) and cannot reach ${absolute}: ${above} does not let others search it (mode 0${(statSync(above).mode & 0o7777).toString(8)}). Choose a DATA_DIR elsewhere (e.g. /var/lib/cassini) or run chmod o+x ${above}.`,
        );
      }
      if (above === dirname(above)) return;
    }
  }

  /**
   * The user the task runs as: the volume's uid for a task with a home volume, a free one
   * otherwise, with the groups of the shared folders it attaches (each folder directory
   * created and given its group here).
   */
  claimUser(taskId: string, place: { volume?: string; volumesDir: string; folders: string[] }): Promise<TaskUser> {
    const claim = this.#allocating.then(async () => {
      const uid = (place.volume === undefined ? undefined : await this.#volumeUid(place.volume)) ?? (await this.#freeUid(place.volumesDir));
      this.#users.set(taskId, uid);
      const groups = [];
      for (const folder of place.folders) groups.push(await this.#folderGroup(folder));
      return { uid, gid: uid, groups: [...new Set(groups)] };
    });
    this.#allocating = claim.catch(() => undefined);
    return claim;
  }

  /** Gives the task its tree: directories searchable, home (or home volume) and private directory its own. */
  async placeTree(tree: TaskTree, user: TaskUser, volume: string | undefined): Promise<void> {
    await chmod(tree.dir, SEARCHABLE_DIR);
    await chmod(dirname(tree.home), SEARCHABLE_DIR);
    if (volume === undefined) await lchown(tree.home, user.uid, user.gid);
    else await ownTree(volume, user);
    await mkdir(privateDirOf(tree), { mode: PRIVATE_DIR }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await lchown(privateDirOf(tree), user.uid, user.gid);
  }

  /** Kills every process left of the task's uid, unless a sibling on the same home volume still runs as it. */
  sweep(taskId: string): void {
    const uid = this.#users.get(taskId);
    if (uid === undefined) return;
    const siblings = [...this.#users].filter(([other, otherUid]) => other !== taskId && otherUid === uid);
    if (siblings.length === 0 && killProcessesOfUser(uid)) this.#sweptClean.add(taskId);
  }

  /** Sweeps (unless a sweep already left the uid without a process), closes the task's tree and frees its uid. */
  async release(taskId: string, tree: TaskTree): Promise<void> {
    if (!this.#sweptClean.delete(taskId)) this.sweep(taskId);
    this.#sweptClean.delete(taskId);
    this.#users.delete(taskId);
    await chmod(tree.dir, PRIVATE_DIR).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // a launch that failed before the tree was made
    });
  }

  command(user: TaskUser, command: Command): Command {
    return asTaskUser(this.#options.setprivPath, user, command);
  }

  files(user: TaskUser): TaskFiles {
    return taskUserFiles(this.#options.setprivPath, user);
  }

  /** Two tasks on one volume at once (a second replica) share its uid, as they share its files. */
  async #volumeUid(volume: string): Promise<number | undefined> {
    const owner = (await stat(volume).catch(() => undefined))?.uid;
    return owner !== undefined && within(this.#options.uids, owner) ? owner : undefined;
  }

  async #freeUid(volumesDir: string): Promise<number> {
    const taken = new Set(this.#users.values());
    for (const entry of await readdir(volumesDir).catch(() => [])) {
      const owner = (await lstat(join(volumesDir, entry)).catch(() => undefined))?.uid;
      if (owner !== undefined) taken.add(owner);
    }
    return firstFree(this.#options.uids, this.#searchFrom.uid, taken, 'task uids (CASSINI_TASK_UIDS)');
  }

  async #folderGroup(folder: string): Promise<number> {
    await mkdir(dirname(folder), { recursive: true, mode: SEARCHABLE_DIR });
    await mkdir(folder, { recursive: true });
    const current = (await lstat(folder)).gid;
    const others = await this.#folderGids(folder);
    const gid = within(this.#options.folderGids, current) && !others.has(current) ? current : firstFree(this.#options.folderGids, this.#searchFrom.gid, others, 'shared folder gids (CASSINI_FOLDER_GIDS)');
    await lchown(folder, 0, gid);
    await chmod(folder, SHARED_FOLDER_DIR);
    return gid;
  }

  /** The groups of every shared folder but `folder`: `<foldersDir>/<owner>/<name>`. */
  async #folderGids(folder: string): Promise<Set<number>> {
    const foldersDir = dirname(dirname(folder));
    const gids = new Set<number>();
    for (const owner of await readdir(foldersDir).catch(() => [])) {
      for (const name of await readdir(join(foldersDir, owner)).catch(() => [])) {
        const path = join(foldersDir, owner, name);
        if (path === folder) continue;
        const gid = (await lstat(path).catch(() => undefined))?.gid;
        if (gid !== undefined) gids.add(gid);
      }
    }
    return gids;
  }
}

/** The directory, outside the home, for what the platform hands a task privately (a deploy key). */
export function privateDirOf(tree: TaskTree): string {
  return join(tree.dir, 'private');
}

/** Files for the task: as its user when sandboxed, as the control plane's otherwise. */
export function filesFor(sandbox: TaskSandbox | undefined, user: TaskUser | undefined): TaskFiles {
  return sandbox === undefined || user === undefined ? directTaskFiles : sandbox.files(user);
}

/**
 * A volume made before its uid (or under another): everything in it handed to the user, links
 * themselves not followed. A file with several hard links is left alone: one of them could be a
 * link to a file elsewhere that must not change hands.
 */
async function ownTree(path: string, user: TaskUser): Promise<void> {
  const info = await lstat(path);
  if (info.uid === user.uid && info.gid === user.gid) return;
  if (!info.isDirectory() && info.nlink > 1) return;
  await lchown(path, user.uid, user.gid);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await ownTree(join(path, entry), user);
}

function within(range: IdRange, id: number): boolean {
  return id >= range.first && id <= range.last;
}

function overlaps(a: IdRange, b: IdRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** The first id of `range` not taken, looking from `from` to the end and then from the start. */
function firstFree(range: IdRange, from: number, taken: Set<number>, what: string): number {
  const start = within(range, from) ? from : range.first;
  for (let id = start; id <= range.last; id++) if (!taken.has(id)) return id;
  for (let id = range.first; id < start; id++) if (!taken.has(id)) return id;
  throw new Error(`no free id left among the ${what} ${range.first}-${range.last}; widen the range`);
}

function randomIn(range: IdRange): number {
  return range.first + Math.floor(Math.random() * (range.last - range.first + 1));
}

