/**
 * One run of a job, from queued to an end. A run of `scale` N has N tasks; it succeeds when
 * every task exits 0, fails as soon as one fails, and can be cancelled or time out while it
 * has not ended. Once ended it stays ended: late task reports are recorded, nothing more.
 */
import { eventsOf, type CommandMeta, type Decider } from '../decider.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { RunEvent, RunPlan } from '../../../events/run-events.ts';

export type RunStatus = 'queued' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'timed_out';
export type RunTrigger = 'api' | 'schedule' | 'retry';

export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'skipped', 'timed_out'];

export interface RunTask {
  rank: number;
  taskId: string;
  status: 'launched' | 'running' | 'exited';
  exitCode: number | null;
  reason: string | null;
  /** The platform's own id of the task once it started (on ECS its task ARN), else null. */
  ref: string | null;
  logStream: string | null;
}

export interface Run {
  id: string;
  jobId: string;
  owner: string;
  trigger: RunTrigger;
  attempt: number;
  scheduledFor: string | null;
  notBefore: string | null;
  status: RunStatus;
  plan: RunPlan | null;
  tasks: RunTask[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  reason: string | null;
}

export type RunState = Run | null;


export type RunCommand =
  | (CommandMeta & {
      kind: 'QueueRun';
      runId: string;
      jobId: string;
      owner: string;
      trigger: RunTrigger;
      attempt: number;
      scheduledFor: string | null;
      notBefore: string | null;
      plan: RunPlan;
      /**
       * Why the run may not start, decided when it was planned (its owner may no longer use an
       * attachment): the run is recorded, and failed at once with this reason, so nothing launches.
       */
      refusal?: string;
    })
  | (CommandMeta & { kind: 'SkipRun'; runId: string; jobId: string; owner: string; scheduledFor: string | null; reason: string })
  | (CommandMeta & { kind: 'RecordTasksLaunched'; tasks: Array<{ rank: number; taskId: string }> })
  | (CommandMeta & { kind: 'ReportTaskStarted'; taskId: string; ref?: string; logStream?: string })
  | (CommandMeta & { kind: 'ReportTaskExited'; taskId: string; exitCode: number | null; reason: string })
  | (CommandMeta & { kind: 'CancelRun'; reason: string })
  | (CommandMeta & { kind: 'TimeOutRun' })
  /** A queued run may not launch after all (its owner lost access to an attachment while it waited): it fails with the reason. */
  | (CommandMeta & { kind: 'RefuseLaunch'; reason: string });

export function runStreamId(runId: string): string {
  return `run-${runId}`;
}

export function runFinished(run: Run): boolean {
  return FINISHED_RUN_STATUSES.includes(run.status);
}

const event = eventsOf<RunEvent>();

function existing(state: RunState): Run {
  if (!state) throw new NotFoundError('No such run.');
  return state;
}

function decide(command: RunCommand, state: RunState): RunEvent[] {
  switch (command.kind) {
    case 'QueueRun':
      // The same run queued again (a redelivered request) is the run that exists.
      if (state) return [];
      return [
        event(
          'RunQueued',
          {
            run_id: command.runId,
            job_id: command.jobId,
            owner: command.owner,
            trigger: command.trigger,
            attempt: command.attempt,
            scheduled_for: command.scheduledFor,
            not_before: command.notBefore,
            plan: command.plan,
          },
          command,
        ),
        ...(command.refusal === undefined ? [] : [event('RunFailed', { exit_code: null, reason: command.refusal }, command)]),
      ];
    case 'SkipRun':
      if (state) return [];
      return [event('RunSkipped', { run_id: command.runId, job_id: command.jobId, owner: command.owner, scheduled_for: command.scheduledFor, reason: command.reason }, command)];
    case 'RecordTasksLaunched': {
      const run = existing(state);
      if (run.status !== 'queued') return [];
      return [event('RunTasksLaunched', { tasks: command.tasks.map((t) => ({ rank: t.rank, task_id: t.taskId })) }, command)];
    }
    case 'ReportTaskStarted': {
      const run = existing(state);
      const task = run.tasks.find((t) => t.taskId === command.taskId);
      if (!task || task.status !== 'launched') return [];
      const started = {
        task_id: command.taskId,
        ...(command.ref === undefined ? {} : { ref: command.ref }),
        ...(command.logStream === undefined ? {} : { log_stream: command.logStream }),
      };
      const events: RunEvent[] = [event('TaskStarted', started, command)];
      if (run.status === 'starting') events.push(event('RunStarted', {}, command));
      return events;
    }
    case 'ReportTaskExited': {
      const run = existing(state);
      const task = run.tasks.find((t) => t.taskId === command.taskId);
      if (!task || task.status === 'exited') return [];
      const events: RunEvent[] = [event('TaskExited', { task_id: command.taskId, exit_code: command.exitCode, reason: command.reason }, command)];
      if (runFinished(run)) return events;
      // A task can end before its start was reported (a quick command): it did start.
      if (run.status === 'starting' && command.exitCode !== null) events.unshift(event('RunStarted', {}, command));
      if (command.exitCode !== 0) {
        events.push(event('RunFailed', { exit_code: command.exitCode, reason: `task ${task.rank}: ${command.reason}` }, command));
      } else if (run.tasks.every((t) => t.taskId === command.taskId || (t.status === 'exited' && t.exitCode === 0))) {
        events.push(event('RunSucceeded', {}, command));
      }
      return events;
    }
    case 'CancelRun': {
      const run = existing(state);
      return runFinished(run) ? [] : [event('RunCancelled', { reason: command.reason }, command)];
    }
    case 'RefuseLaunch':
      return existing(state).status === 'queued' ? [event('RunFailed', { exit_code: null, reason: command.reason }, command)] : [];
    case 'TimeOutRun': {
      const run = existing(state);
      if (runFinished(run)) return [];
      const timeout = run.plan?.timeout_seconds;
      if (!timeout) throw new ConflictError(`Run ${run.id} has no timeout.`);
      return [event('RunTimedOut', { timeout_seconds: timeout }, command)];
    }
  }
}

function finish(run: Run, status: RunStatus, at: string, exitCode: number | null, reason: string | null): Run {
  return { ...run, status, finishedAt: at, exitCode, reason };
}

function evolve(state: RunState, e: RunEvent): RunState {
  if (e.type === 'RunQueued') {
    const d = e.data;
    return {
      id: d.run_id,
      jobId: d.job_id,
      owner: d.owner,
      trigger: d.trigger,
      attempt: d.attempt,
      scheduledFor: d.scheduled_for,
      notBefore: d.not_before,
      status: 'queued',
      plan: d.plan,
      tasks: [],
      createdAt: e.at,
      startedAt: null,
      finishedAt: null,
      exitCode: null,
      reason: null,
    };
  }
  if (e.type === 'RunSkipped') {
    const d = e.data;
    return {
      id: d.run_id,
      jobId: d.job_id,
      owner: d.owner,
      trigger: 'schedule',
      attempt: 1,
      scheduledFor: d.scheduled_for,
      notBefore: null,
      status: 'skipped',
      plan: null,
      tasks: [],
      createdAt: e.at,
      startedAt: null,
      finishedAt: e.at,
      exitCode: null,
      reason: d.reason,
    };
  }
  if (!state) return state;
  switch (e.type) {
    case 'RunTasksLaunched':
      return {
        ...state,
        status: 'starting',
        tasks: e.data.tasks.map((t) => ({ rank: t.rank, taskId: t.task_id, status: 'launched', exitCode: null, reason: null, ref: null, logStream: null })),
      };
    case 'TaskStarted':
      return { ...state, tasks: state.tasks.map((t) => (t.taskId === e.data.task_id ? { ...t, status: 'running', ref: e.data.ref ?? t.ref, logStream: e.data.log_stream ?? t.logStream } : t)) };
    case 'RunStarted':
      return { ...state, status: 'running', startedAt: e.at };
    case 'TaskExited':
      return {
        ...state,
        tasks: state.tasks.map((t) => (t.taskId === e.data.task_id ? { ...t, status: 'exited', exitCode: e.data.exit_code, reason: e.data.reason } : t)),
      };
    case 'RunSucceeded':
      return finish(state, 'succeeded', e.at, 0, null);
    case 'RunFailed':
      return finish(state, 'failed', e.at, e.data.exit_code, e.data.reason);
    case 'RunCancelled':
      return finish(state, 'cancelled', e.at, null, e.data.reason);
    case 'RunTimedOut':
      return finish(state, 'timed_out', e.at, null, `timed out after ${e.data.timeout_seconds} s`);
  }
}

export const runDecider: Decider<RunCommand, RunEvent, RunState> = { initialState: null, decide, evolve };

/** Exponential backoff before retry `attempt + 1`: 10 s, doubling, at most 5 minutes. */
export function retryDelaySeconds(failedAttempt: number): number {
  return Math.min(10 * 2 ** (failedAttempt - 1), 300);
}
