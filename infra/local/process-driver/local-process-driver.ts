/**
 * The compute port on one machine, without containers: each task is `sh -c` in a directory
 * tree of its own under `rootDir`, with $HOME at `home/jovyan`, a free port as $PORT, only
 * the environment its spec declares, and its output in a timestamped log. It survives its own
 * crash: a restarted control plane calls `recover()` and learns of every task that was lost.
 * A task given a `homeVolume` has a persistent home instead, under `volumesDir`. Before the
 * command starts, the task's attachments are put in place (task-preparation.ts): secrets read
 * through `secrets`, shared folders under `foldersDir`, a SATURN_TOKEN from `tokens`, revoked
 * when the task ends.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ValidationError } from '../../../shared/domain/errors.ts';
import type { LaunchedTask, LogPage, TaskDriver, TaskExit, TaskSpec } from '../../../shared/ports/task-driver.ts';
import { freePort } from './free-port.ts';
import { deleteVolume, linkHomeVolume, volumePath } from './home-volume.ts';
import { readLogPage } from './log-reader.ts';
import { recoverLostTasks } from './lost-tasks.ts';
import { RunningTask, type TaskEnd, type TaskShellContext } from './running-task.ts';
import { taskEnvironment } from './task-environment.ts';
import { readTaskRecord } from './task-records.ts';
import { CONTAINER_HOME, isValidTaskId, TaskTree } from './task-tree.ts';
import type { SecretReader } from '../../../shared/ports/secret-store.ts';
import type { TaskTokens } from '../../../shared/ports/task-tokens.ts';
import { prepareTask } from './task-preparation.ts';
import { sameUserAccess, type TaskAccess } from './task-access.ts';
import { privateDirOf, type TaskSandbox } from './task-sandbox.ts';
import { sharedFolderPath } from './shared-folder-links.ts';
import { killProcessesWithHome } from './home-processes.ts';
import type { DaskCredentialReader } from '../dask/local-dask-credentials.ts';

export interface LocalProcessDriverOptions {
  /** Where task trees live, e.g. `<DATA_DIR>/tasks`. */
  rootDir: string;
  /** Stamps log lines, starts and ends. */
  clock?: () => Date;
  /** How long a stopped task has between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  /** The shell that runs `-c <script>`; an absolute path, so a task's PATH cannot hide it. */
  shell?: string;
  /** Where home volumes live, e.g. `<DATA_DIR>/volumes`; by default `volumes` beside `rootDir`. */
  volumesDir?: string;
  /** Where the values of tasks' secrets are read; a task that attaches a secret fails to start without it. */
  secrets?: SecretReader;
  /** Where shared folders live, e.g. `<DATA_DIR>/shared-folders`; by default `shared-folders` beside `rootDir`. */
  foldersDir?: string;
  /** Issues and revokes tasks' SATURN_TOKEN; without it tasks get none. */
  tokens?: TaskTokens;
  /** The most each task's log keeps on disk (10 MB by default); older lines are rotated out. */
  logMaxBytes?: number;
  /** Runs each task as a user of its own (the control plane runs as root); without it tasks run as this process's user. */
  sandbox?: TaskSandbox;
  /** The Dask clusters' TLS credentials (local-dask-credentials.ts), for the tasks of a cluster and of its resource. */
  daskCredentials?: DaskCredentialReader;
}

/** A launched task with the host port of each container port it serves: 8000 ($PORT) and its extra ports. */
export interface LocalLaunchedTask extends LaunchedTask {
  ports: Record<number, number>;
}

export const DEFAULT_STOP_GRACE_MS = 5_000;
export const SHUTDOWN_REASON = 'the control plane shut down while the task was running; it was stopped';

/** The container port that is $PORT itself on AWS; asked for as an extra port, it is $PORT here too. */
const MAIN_CONTAINER_PORT = 8000;

export class LocalProcessDriver implements TaskDriver {
  readonly #rootDir: string;
  readonly #clock: () => Date;
  readonly #stopGraceMs: number;
  readonly #shell: string;
  readonly #volumesDir: string;
  readonly #foldersDir: string;
  readonly #secrets: SecretReader | undefined;
  readonly #tokens: TaskTokens | undefined;
  readonly #daskCredentials: DaskCredentialReader | undefined;
  readonly #sandbox: TaskSandbox | undefined;
  readonly #logMaxBytes: number | undefined;
  /** Launches in flight or running, by task id: what makes `launch` idempotent within a process. */
  readonly #launches = new Map<string, Promise<LocalLaunchedTask>>();
  readonly #tasks = new Map<string, RunningTask>();
  readonly #portsInUse = new Set<number>();
  /** Task id → the home volume it runs on, while it runs: a volume in use is not removed. */
  readonly #volumesInUse = new Map<string, string>();
  readonly #listeners: Array<(exit: TaskExit) => void> = [];
  /** Task id → its end being reported (token revoked, listeners told), until it is. */
  readonly #reports = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: LocalProcessDriverOptions) {
    this.#rootDir = options.rootDir;
    this.#clock = options.clock ?? (() => new Date());
    this.#stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.#shell = options.shell ?? '/bin/sh';
    this.#volumesDir = options.volumesDir ?? join(options.rootDir, '..', 'volumes');
    this.#foldersDir = options.foldersDir ?? join(options.rootDir, '..', 'shared-folders');
    this.#secrets = options.secrets;
    this.#tokens = options.tokens;
    this.#daskCredentials = options.daskCredentials;
    this.#sandbox = options.sandbox;
    this.#logMaxBytes = options.logMaxBytes;
    // Tasks must reach their trees, volumes and folders through directories no one else may list.
    for (const dir of [this.#rootDir, this.#volumesDir, this.#foldersDir]) this.#sandbox?.openDirectory(dir);
  }

  /**
   * Starts the task, or returns how it was started if this id was launched before (running,
   * ended, or left by a crashed predecessor). Resolves once the attachments are in place and the
   * command runs, or once the task ended before it could. Rejects a spec it cannot place (a bad
   * task id, a working directory outside /home/jovyan); a task that fails to start (a failed
   * clone, a missing secret) is a reported exit.
   */
  launch(spec: TaskSpec): Promise<LocalLaunchedTask> {
    if (this.#closed) return Promise.reject(new Error('the process driver is closed; it launches no more tasks'));
    const known = this.#launches.get(spec.taskId);
    if (known !== undefined) return known;
    const launching = this.#launch(spec);
    this.#launches.set(spec.taskId, launching);
    launching.catch(() => this.#launches.delete(spec.taskId));
    return launching;
  }

  /** Ends the task and everything it started; resolves once its exit has been reported. */
  async stop(taskId: string, reason: string): Promise<void> {
    // A task being prepared is stopped at once; a launch not yet that far is waited for.
    if (!this.#tasks.has(taskId)) await this.#launches.get(taskId)?.catch(() => undefined);
    const task = this.#tasks.get(taskId);
    if (task === undefined) return;
    task.stop(reason);
    await task.ended;
    await this.#reports.get(taskId);
  }

  /** Every end of a task this driver launched, once each, after its log is complete. */
  onExit(listener: (exit: TaskExit) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Whether the id was ever launched on this tree, by this driver or one before it: a launch of
   * it would start nothing new. Lets a supervisor pick replica ids a previous control plane never used.
   */
  hasLaunched(taskId: string): boolean {
    if (this.#launches.has(taskId) || this.#tasks.has(taskId)) return true;
    return isValidTaskId(taskId) && existsSync(new TaskTree(this.#rootDir, taskId).taskFile);
  }

  /**
   * Deletes a home volume and everything in it (a workspace removed); idempotent. Refuses a name
   * that is not a plain directory name, and a volume a running task has as its home.
   */
  async removeVolume(name: string): Promise<void> {
    const volume = volumePath(this.#volumesDir, name);
    const user = [...this.#volumesInUse].find(([, inUse]) => inUse === name)?.[0];
    if (user !== undefined) throw new ConflictError(`home volume ${name} is the home of running task ${user}; stop it first`);
    await deleteVolume(volume);
  }

  /** How to run a process inside a task that runs now (an SSH session into a workspace); undefined for any other. */
  shellContext(taskId: string): TaskShellContext | undefined {
    return this.#tasks.get(taskId)?.shellContext;
  }

  /** Tasks launched here whose end has not been reported yet. */
  running(): string[] {
    return [...this.#tasks.keys()];
  }

  /** A page of the task's log; see `readLogPage` for the cursor. An unknown task has an empty log. */
  async logs(taskId: string, options: { cursor?: string | null; limit: number }): Promise<LogPage> {
    if (!isValidTaskId(taskId)) return { lines: [], next: null };
    const tree = new TaskTree(this.#rootDir, taskId);
    return readLogPage(tree.logFile, { ...options, complete: existsSync(tree.exitFile) });
  }

  /**
   * For a driver started after a crash: ends every task the previous control plane left
   * running (SIGKILL to its group, if any of it survived) and returns their exits. They are
   * returned, not passed to `onExit` listeners; a second call returns nothing new.
   */
  recover(): Promise<TaskExit[]> {
    return recoverLostTasks({
      rootDir: this.#rootDir,
      clock: this.#clock,
      isOwnTask: (taskId) => this.#launches.has(taskId) || this.#tasks.has(taskId),
      // A lost task's SATURN_TOKEN would outlive it: revoked here, before its end is reported.
      onLost: (record) => this.#revokeToken(record.taskId, record.platformTokenId),
    });
  }

  /** Clean shutdown: launches no more, stops every running task and waits for their exits. */
  async close(): Promise<void> {
    this.#closed = true;
    // Tasks being prepared stop too (their launches see `closed` and stop what they register).
    await Promise.all(this.running().map((taskId) => this.stop(taskId, SHUTDOWN_REASON)));
    await Promise.allSettled(this.#launches.values());
    await Promise.all(this.running().map((taskId) => this.stop(taskId, SHUTDOWN_REASON)));
  }

  async #launch(spec: TaskSpec): Promise<LocalLaunchedTask> {
    const tree = new TaskTree(this.#rootDir, spec.taskId);
    const previous = readTaskRecord(tree.taskFile);
    if (previous !== undefined) {
      return { taskId: previous.taskId, startedAt: previous.startedAt, port: previous.port, ports: containerPorts(previous.ports, previous.port) };
    }
    const cwd = tree.hostPath(spec.workingDirectory ?? CONTAINER_HOME, 'workingDirectory');
    checkContainerPorts(spec.extraPorts ?? []);
    const volume = spec.homeVolume === undefined ? undefined : volumePath(this.#volumesDir, spec.homeVolume);
    if (volume === undefined) await mkdir(tree.home, { recursive: true, mode: 0o700 });
    else await linkHomeVolume(volume, tree.home);
    const ports = await this.#reservePorts(spec.extraPorts ?? []);
    const port = ports.get(MAIN_CONTAINER_PORT) ?? 0;
    const extraPorts = new Map([...ports].filter(([containerPort]) => containerPort !== MAIN_CONTAINER_PORT));
    const startedAt = this.#clock().toISOString();
    let task: RunningTask;
    try {
      task = RunningTask.start({
        spec,
        tree,
        cwd,
        prepare: async (context) => {
          const access = await this.#access(spec, tree, volume);
          // The home was made (and given to the task's user) above: only another working directory costs a process as that user.
          if (cwd !== tree.home) await access.files.makeDirectory(cwd);
          return prepareTask(
            context,
            {
              secrets: this.#secrets,
              foldersDir: this.#foldersDir,
              tokens: this.#tokens,
              ...(this.#daskCredentials ? { daskCredentials: this.#daskCredentials } : {}),
              shell: this.#shell,
              hostPath: process.env.PATH,
              access,
            },
            { cwd, environment: (added) => taskEnvironment({ declared: { ...spec.environment, ...added }, home: tree.home, port, extraPorts, hostPath: process.env.PATH }) },
          );
        },
        // Whatever left the task's process group: by its uid when it has one, else by its HOME (best effort).
        sweep: () => (this.#sandbox === undefined ? killProcessesWithHome(tree.home) : this.#sandbox.sweep(spec.taskId)),
        port,
        ports: Object.fromEntries([['PORT', port], ...[...extraPorts].map(([containerPort, hostPort]) => [`PORT_${containerPort}`, hostPort])]),
        startedAt,
        shell: this.#shell,
        clock: this.#clock,
        stopGraceMs: this.#stopGraceMs,
        ...(this.#logMaxBytes === undefined ? {} : { logMaxBytes: this.#logMaxBytes }),
      });
    } catch (error) {
      for (const hostPort of ports.values()) this.#portsInUse.delete(hostPort);
      throw error;
    }
    this.#tasks.set(spec.taskId, task);
    if (spec.homeVolume !== undefined) this.#volumesInUse.set(spec.taskId, spec.homeVolume);
    this.#reports.set(spec.taskId, task.ended.then((end) => this.#ended(task, end, ports)));
    if (this.#closed) task.stop(SHUTDOWN_REASON);
    await task.started;
    return { taskId: spec.taskId, startedAt, port, ports: Object.fromEntries(ports) };
  }

  /** The task's own user and tree when sandboxed; the control plane's user otherwise. */
  async #access(spec: TaskSpec, tree: TaskTree, volume: string | undefined): Promise<TaskAccess> {
    const sandbox = this.#sandbox;
    if (sandbox === undefined) return sameUserAccess(tree.dir);
    const folders = (spec.attachments?.sharedFolders ?? []).map((folder) => sharedFolderPath(this.#foldersDir, folder));
    const user = await sandbox.claimUser(spec.taskId, { ...(volume === undefined ? {} : { volume }), volumesDir: this.#volumesDir, folders });
    await sandbox.placeTree(tree, user, volume);
    return { ownUser: true, user, files: sandbox.files(user), command: (command) => sandbox.command(user, command), privateDir: privateDirOf(tree) };
  }

  /** A host port for $PORT (container port 8000) and each extra container port, none shared with a live task. */
  async #reservePorts(extraPorts: number[]): Promise<Map<number, number>> {
    const ports = new Map<number, number>();
    for (const containerPort of [MAIN_CONTAINER_PORT, ...extraPorts]) {
      if (ports.has(containerPort)) continue;
      try {
        const hostPort = await freePort(this.#portsInUse);
        this.#portsInUse.add(hostPort);
        ports.set(containerPort, hostPort);
      } catch (error) {
        for (const hostPort of ports.values()) this.#portsInUse.delete(hostPort);
        throw error;
      }
    }
    return ports;
  }

  async #ended(task: RunningTask, end: TaskEnd, ports: Map<number, number>): Promise<void> {
    const { taskId } = end.exit;
    if (this.#tasks.get(taskId) === task) this.#tasks.delete(taskId);
    this.#volumesInUse.delete(taskId);
    // Forgotten here, remembered on disk: a later launch of the id finds task.json.
    this.#launches.delete(taskId);
    for (const hostPort of ports.values()) this.#portsInUse.delete(hostPort);
    // Revoked before the end is reported: whoever learns the task ended finds its token dead.
    await this.#revokeToken(taskId, task.platformTokenId);
    await this.#sandbox?.release(taskId, new TaskTree(this.#rootDir, taskId)).catch((error: unknown) => console.error(`process driver: could not close the tree of task ${taskId}:`, error));
    this.#reports.delete(taskId);
    if (end.reportedElsewhere) return;
    for (const listener of this.#listeners) {
      try {
        listener(end.exit);
      } catch (error) {
        console.error(`process driver: an exit listener failed on task ${taskId}:`, error);
      }
    }
  }

  async #revokeToken(taskId: string, tokenId: string | undefined): Promise<void> {
    if (tokenId === undefined || this.#tokens === undefined) return;
    try {
      await this.#tokens.revoke(tokenId);
    } catch (error) {
      console.error(`process driver: could not revoke the SATURN_TOKEN ${tokenId} of task ${taskId}; it expires on its own:`, error);
    }
  }
}

/** The container ports of a recorded task, from the variables they were given as (`PORT` is 8000). */
function containerPorts(variables: Record<string, number> | undefined, port: number): Record<number, number> {
  const ports: Record<number, number> = { [MAIN_CONTAINER_PORT]: port };
  for (const [name, hostPort] of Object.entries(variables ?? {})) {
    const containerPort = /^PORT_(\d+)$/.exec(name)?.[1];
    if (containerPort !== undefined) ports[Number(containerPort)] = hostPort;
  }
  return ports;
}

/** Each extra port names a variable, `PORT_<n>`: it has to be a TCP port number. */
function checkContainerPorts(extraPorts: number[]): void {
  extraPorts.forEach((containerPort, index) => {
    if (Number.isInteger(containerPort) && containerPort >= 1 && containerPort <= 65_535) return;
    const message = `${JSON.stringify(containerPort)} is not a TCP port number`;
    throw new ValidationError(`extraPorts: ${message}`, [{ path: `extraPorts.${index}`, message }]);
  });
}
