/**
 * One task's life as a process: prepared (its attachments put in place, see task-preparation.ts),
 * then `sh -c` spawned detached in the task's tree, its output
 * captured line by line, stopped with SIGTERM to the whole group and SIGKILL after a grace
 * period, and its end settled exactly once: the log flushed, exit.json claimed, and only then
 * `ended` resolves. Nothing a task does (failing to start, flooding its output, outliving its
 * shell) throws into the control plane; it all ends as a reported exit.
 */
import type { TaskUser } from './task-user.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { COMMAND_STARTED_PREFIX, type TaskExit, type TaskSpec } from '../../../shared/ports/task-driver.ts';
import { describeExit } from './exit-reason.ts';
import { LineSplitter } from './line-splitter.ts';
import { LogWriter } from './log-writer.ts';
import { isGroupRunning, processIdentity, signalGroup, waitForGroupToEnd } from './process-group.ts';
import { claimExit, exitRecorded, writeTaskRecord, type TaskRecord } from './task-records.ts';
import { CONTAINER_HOME, type TaskTree } from './task-tree.ts';
import { PreparationFailed, type PreparationContext } from './preparation-step.ts';
import type { PreparedTask } from './task-preparation.ts';

export interface TaskLaunch {
  spec: TaskSpec;
  tree: TaskTree;
  /** The host directory the shell starts in. */
  cwd: string;
  /** Puts the task's attachments in place and gives its environment; runs before the command. */
  prepare: (context: PreparationContext) => Promise<PreparedTask>;
  port: number;
  /** The variable name (`PORT`, `PORT_8787`) → the host port it was given. */
  ports: Record<string, number>;
  startedAt: string;
  shell: string;
  clock: () => Date;
  stopGraceMs: number;
  /** The most the task's log keeps on disk; older lines are rotated out. */
  logMaxBytes?: number;
  /** Ends what the task left running outside its process group (a `setsid` child), once the group is gone. */
  sweep?: () => void;
}

/** How to run a process inside a running task, as its own command runs. */
export interface TaskShellContext {
  env: Record<string, string>;
  /** The host directory the task's command started in. */
  cwd: string;
  /** The task's $HOME on this host. */
  home: string;
  runAs: PreparedTask['runAs'];
  /** The task's process group (and session), led by its shell. */
  pgid: number;
  /** The task's own user, when it runs as one (the control plane runs as root). */
  user?: TaskUser;
}

export interface TaskEnd {
  exit: TaskExit;
  /** Another driver on the same tree (a restarted control plane recovering) recorded the end first. */
  reportedElsewhere: boolean;
}

type EndFacts = Pick<TaskExit, 'exitCode' | 'signal' | 'reason'>;

interface StopRequest {
  reason: string;
  lastSignal: NodeJS.Signals;
  deadline: number;
  timer: NodeJS.Timeout;
}

// Once the shell has exited, output still in the pipes is read for at most this long: a
// process that left the group (setsid) can hold them open for ever.
const STDIO_DRAIN_MS = 2_000;
// How long a group that was sent SIGKILL may take to vanish before the end is reported anyway.
const KILL_SETTLE_MS = 2_000;

export class RunningTask {
  readonly ended: Promise<TaskEnd>;
  /** Resolves once the command runs (its pid recorded), or once the task ended before it could. */
  readonly started: Promise<void>;
  #resolveStarted: () => void = () => undefined;
  readonly #launch: TaskLaunch;
  readonly #log: LogWriter;
  readonly #splitters: LineSplitter[] = [];
  #resolveEnded: (end: TaskEnd) => void = () => undefined;
  #pgid: number | undefined;
  #leaderExited = false;
  #settling = false;
  #outputPaused = false;
  #stop: StopRequest | undefined;
  /** Set while the attachments are prepared: a stop then aborts the preparation. */
  #preparing: AbortController | undefined;
  #prepareStopReason: string | undefined;
  /** The pid of what runs now: a preparation step's, then the shell's. */
  #pid: number | null = null;
  #prepared: PreparedTask | undefined;

  private constructor(launch: TaskLaunch) {
    this.#launch = launch;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.started = new Promise((resolve) => (this.#resolveStarted = resolve));
    this.#log = new LogWriter(launch.tree.logFile, launch.clock, launch.logMaxBytes);
  }

  /**
   * Claims the task on disk, then prepares and spawns it in the background. Throws only if
   * task.json cannot be written, before anything started.
   */
  static start(launch: TaskLaunch): RunningTask {
    const task = new RunningTask(launch);
    try {
      // Claims the id on disk before anything runs: a crash from here on is recoverable.
      writeTaskRecord(launch.tree.taskFile, task.#record());
    } catch (error) {
      void task.#log.close();
      throw error;
    }
    void task.#prepareAndSpawn();
    return task;
  }

  /**
   * What a shell opened into the running task needs to see what its own command sees (an SSH
   * session): its environment, working directory, user and process group. Undefined until the
   * command runs, and once it has ended.
   */
  get shellContext(): TaskShellContext | undefined {
    const prepared = this.#prepared;
    if (prepared === undefined || this.#pgid === undefined || this.#leaderExited || this.#settling) return undefined;
    return { env: prepared.env, cwd: this.#launch.cwd, home: this.#launch.tree.home, runAs: prepared.runAs, pgid: this.#pgid, ...(prepared.user === undefined ? {} : { user: prepared.user }) };
  }

  /** The id of the task's SATURN_TOKEN, once issued: revoked when the task ends. */
  get platformTokenId(): string | undefined {
    return this.#prepared?.tokenId;
  }

  /**
   * SIGTERM to the whole group now, SIGKILL at the end of the grace period; idempotent. While
   * the task is being prepared, the preparation is abandoned and the command never starts.
   */
  stop(reason: string): void {
    if (this.#preparing !== undefined) {
      this.#prepareStopReason ??= reason;
      this.#preparing.abort();
      return;
    }
    const pgid = this.#pgid;
    if (pgid === undefined || this.#stop !== undefined || this.#leaderExited || this.#settling) return;
    const { stopGraceMs } = this.#launch;
    const timer = setTimeout(() => {
      if (!isGroupRunning(pgid)) return;
      signalGroup(pgid, 'SIGKILL');
      if (this.#stop !== undefined) this.#stop.lastSignal = 'SIGKILL';
    }, stopGraceMs);
    this.#stop = { reason, lastSignal: 'SIGTERM', deadline: Date.now() + stopGraceMs, timer };
    signalGroup(pgid, 'SIGTERM');
  }

  async #prepareAndSpawn(): Promise<void> {
    const controller = new AbortController();
    this.#preparing = controller;
    const { spec, tree } = this.#launch;
    const context: PreparationContext = {
      spec,
      tree,
      say: (message) => void this.#log.write('system', message),
      output: (stream, line) => void this.#log.write(stream, line),
      signal: controller.signal,
      onProcess: (pid) => this.#recordProcess(pid),
    };
    let prepared: PreparedTask;
    try {
      prepared = await this.#launch.prepare(context);
      this.#prepared = prepared;
    } catch (error) {
      this.#preparing = undefined;
      if (this.#prepareStopReason !== undefined) return void this.#settle({ exitCode: null, signal: null, reason: this.#prepareStopReason }, this.#launch.clock().toISOString());
      if (!(error instanceof PreparationFailed)) console.error(`process driver: preparing task ${spec.taskId} failed:`, error);
      return this.#couldNotStart(error);
    }
    this.#preparing = undefined;
    if (this.#prepareStopReason !== undefined) {
      return void this.#settle({ exitCode: null, signal: null, reason: this.#prepareStopReason }, this.#launch.clock().toISOString());
    }
    try {
      this.#spawn(prepared);
    } catch (error) {
      this.#couldNotStart(error);
    }
  }

  /** Records the process group that runs now, so a restarted control plane can end it. */
  #recordProcess(pid: number | null): void {
    this.#pid = pid;
    try {
      writeTaskRecord(this.#launch.tree.taskFile, this.#record());
    } catch (error) {
      console.error(`process driver: could not record pid ${pid} of task ${this.#launch.spec.taskId}; a crash now would lose it:`, error);
    }
  }

  #spawn(prepared: PreparedTask): void {
    const { spec, cwd, shell } = this.#launch;
    const script = spec.startScript ? `${spec.startScript}\n${spec.command}` : spec.command;
    // As the task's user when it has one: setpriv execs the shell in place, so the pid and group stay the shell's.
    const command = prepared.runAs({ file: shell, args: ['-c', script] });
    let child: ChildProcess;
    try {
      child = spawn(command.file, command.args, { cwd, env: prepared.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      // Synchronous refusals, e.g. an environment value holding a NUL byte.
      this.#couldNotStart(error);
      return;
    }
    child.on('error', (error) => {
      if (child.pid === undefined) this.#couldNotStart(error);
    });
    const pid = child.pid;
    if (pid === undefined) return;
    // Detached, the shell leads a new session, hence a process group whose id is its pid.
    this.#pgid = pid;
    this.#recordProcess(pid);
    this.#resolveStarted();
    const ports = Object.entries(this.#launch.ports).map(([name, port]) => `${name}=${port}`);
    this.#log.write('system', `${COMMAND_STARTED_PREFIX}${pid}, working directory ${this.#containerCwd()}, ${ports.join(', ')}`);
    const stdioClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.#capture(child);
    child.once('exit', (code, signal) => void this.#onLeaderExit(code, signal, pid, child, stdioClosed));
  }

  #capture(child: ChildProcess): void {
    const sources: Array<[Readable | null, 'stdout' | 'stderr']> = [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ];
    const streams = sources.flatMap(([stream]) => (stream === null ? [] : [stream]));
    for (const [stream, name] of sources) {
      if (stream === null) continue;
      const splitter = new LineSplitter((line) => {
        if (!this.#log.write(name, line)) this.#pauseUntilLogged(streams);
      });
      this.#splitters.push(splitter);
      stream.on('data', (chunk: Buffer) => splitter.push(chunk));
      stream.on('end', () => splitter.flush());
      // A broken pipe ends the capture, not the control plane.
      stream.on('error', () => splitter.flush());
    }
  }

  /** Backpressure: a task that writes faster than the disk takes waits, instead of filling memory. */
  #pauseUntilLogged(streams: Readable[]): void {
    if (this.#outputPaused) return;
    this.#outputPaused = true;
    for (const stream of streams) stream.pause();
    this.#log.onDrain(() => {
      this.#outputPaused = false;
      for (const stream of streams) stream.resume();
    });
  }

  async #onLeaderExit(
    code: number | null,
    signal: NodeJS.Signals | null,
    pgid: number,
    child: ChildProcess,
    stdioClosed: Promise<void>,
  ): Promise<void> {
    this.#leaderExited = true;
    const finishedAt = this.#launch.clock().toISOString();
    const stop = this.#stop;
    try {
      if (stop === undefined) {
        // As when a container's main process ends: whatever it left running goes with it.
        signalGroup(pgid, 'SIGKILL');
      } else {
        // A stop gives the whole group its grace, not only the shell; the timer sends SIGKILL.
        await waitForGroupToEnd(pgid, Math.max(0, stop.deadline - Date.now()) + KILL_SETTLE_MS);
      }
      // Before the pipes are drained: a process that left the group may be what holds them open.
      this.#launch.sweep?.();
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([stdioClosed, new Promise((resolve) => (drainTimer = setTimeout(resolve, STDIO_DRAIN_MS)))]);
      clearTimeout(drainTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
    } catch (error) {
      console.error(`process driver: while ending task ${this.#launch.spec.taskId}:`, error);
    }
    const facts: EndFacts =
      stop === undefined
        ? { exitCode: code, signal, reason: describeExit(code, signal) }
        : { exitCode: null, signal: signal ?? stop.lastSignal, reason: stop.reason };
    await this.#settle(facts, finishedAt);
  }

  #couldNotStart(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    void this.#settle({ exitCode: null, signal: null, reason: `could not start: ${message}` }, this.#launch.clock().toISOString());
  }

  async #settle(facts: EndFacts, finishedAt: string): Promise<void> {
    if (this.#settling) return;
    this.#settling = true;
    this.#resolveStarted();
    if (this.#stop !== undefined) clearTimeout(this.#stop.timer);
    const { spec, tree } = this.#launch;
    const exit: TaskExit = { taskId: spec.taskId, group: spec.group, ...facts, finishedAt };
    let reportedElsewhere = false;
    try {
      for (const splitter of this.#splitters) splitter.flush();
      if (!exitRecorded(tree.exitFile)) {
        const how = this.#stop !== undefined && facts.signal !== null ? ` (ended by ${facts.signal})` : '';
        this.#log.write('system', `${facts.reason}${how}`);
      }
      await this.#log.close();
      reportedElsewhere = !claimExit(tree.exitFile, exit);
    } catch (error) {
      // The end happened whatever the disk says: it is reported even when it cannot be recorded.
      console.error(`process driver: could not record the end of task ${spec.taskId}:`, error);
    }
    this.#resolveEnded({ exit, reportedElsewhere });
  }

  #record(): TaskRecord {
    const { spec, startedAt, port, ports } = this.#launch;
    const pid = this.#pid;
    const identity = pid === null ? null : processIdentity(pid);
    const prepared = this.#prepared;
    return {
      taskId: spec.taskId,
      group: spec.group,
      command: spec.command,
      ...(spec.startScript === undefined ? {} : { startScript: spec.startScript }),
      environmentNames: [...new Set([...Object.keys(spec.environment), ...(prepared?.addedNames ?? [])])].sort(),
      ...(spec.workingDirectory === undefined ? {} : { workingDirectory: spec.workingDirectory }),
      extraPorts: spec.extraPorts ?? [],
      labels: spec.labels,
      ...(spec.homeVolume === undefined ? {} : { homeVolume: spec.homeVolume }),
      ...(spec.attachments === undefined ? {} : { attachments: recordedAttachments(spec.attachments) }),
      ...(prepared?.tokenId === undefined ? {} : { platformTokenId: prepared.tokenId }),
      ...(prepared?.user === undefined ? {} : { uid: prepared.user.uid }),
      startedAt,
      port,
      ports,
      pid,
      pgid: pid,
      bootId: identity?.bootId ?? null,
      pidStartTicks: identity?.startTicks ?? null,
    };
  }

  /** The working directory as the user wrote it, not the host path it maps to. */
  #containerCwd(): string {
    const { workingDirectory } = this.#launch.spec;
    return workingDirectory === undefined || workingDirectory === '' ? CONTAINER_HOME : workingDirectory;
  }
}

/** The attachments as task.json keeps them: references and paths; config files without their content. */
function recordedAttachments(attachments: NonNullable<TaskSpec['attachments']>): TaskRecord['attachments'] {
  const { configFiles, ...rest } = attachments;
  return { ...rest, ...(configFiles === undefined ? {} : { configFiles: configFiles.map(({ path, mode }) => ({ path, mode })) }) };
}
