/**
 * A preparation step that is a process of its own (git, a package manager): spawned in a new
 * process group so that a stop, or the step's end, takes everything it started with it; its
 * output goes line by line into the task's log; an abort kills the group at once. The platform
 * starts these itself, so they get no grace period: a stopped preparation just ends.
 */
import { spawn } from 'node:child_process';
import { LineSplitter } from './line-splitter.ts';
import { signalGroup } from './process-group.ts';

export interface StepProcess {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  /** Each line the step prints. */
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** The step's process group while it runs (its pid), then null: for the task's record. */
  onProcess: (pid: number | null) => void;
}

export interface StepOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote to stderr, for a failure's reason. */
  lastErrors: string[];
}

const REMEMBERED_ERROR_LINES = 5;

export class StepAborted extends Error {
  constructor() {
    super('the step was stopped');
    this.name = 'StepAborted';
  }
}

export function runStep(step: StepProcess): Promise<StepOutcome> {
  if (step.signal.aborted) return Promise.reject(new StepAborted());
  return new Promise((resolve, reject) => {
    const lastErrors: string[] = [];
    const child = spawn(step.file, step.args, { cwd: step.cwd, env: step.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    const abort = () => {
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    };
    step.signal.addEventListener('abort', abort, { once: true });
    if (pid !== undefined) step.onProcess(pid);
    const splitters = (['stdout', 'stderr'] as const).map((name) => {
      const splitter = new LineSplitter((line) => {
        if (name === 'stderr') {
          lastErrors.push(line);
          if (lastErrors.length > REMEMBERED_ERROR_LINES) lastErrors.shift();
        }
        step.onLine(name, line);
      });
      const stream = name === 'stdout' ? child.stdout : child.stderr;
      stream?.on('data', (chunk: Buffer) => splitter.push(chunk));
      stream?.on('error', () => splitter.flush());
      return splitter;
    });
    const finish = (settle: () => void) => {
      step.signal.removeEventListener('abort', abort);
      for (const splitter of splitters) splitter.flush();
      step.onProcess(null);
      settle();
    };
    child.once('error', (error) => finish(() => reject(error)));
    // What the step left running goes with it, as a task's leftovers do (and so its pipes close).
    child.once('exit', () => {
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    });
    child.once('close', (code, signal) => {
      finish(() => (step.signal.aborted ? reject(new StepAborted()) : resolve({ exitCode: code, signal, lastErrors })));
    });
  });
}
