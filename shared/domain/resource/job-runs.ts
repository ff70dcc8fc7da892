/**
 * The part of a job's state that is about its runs: which are active, which idempotency keys
 * were used in the last 24 hours, the last schedule tick handled and the last run's outcome.
 * The job stream decides what a request or a tick means (a new run, a skipped tick, a
 * replacement, a retry); each run then lives in a stream of its own.
 */
import type { CommandMeta } from '../decider.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';
import { retryDelaySeconds, type RunStatus } from '../run/run-decider.ts';
import type { RunOverrides } from '../planner/run-plan.ts';

/** Idempotency keys are honoured this long, as the API promises. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
/** At most this many keys are remembered per job; the oldest go first. */
const MAX_REMEMBERED_KEYS = 1000;

export interface JobRuns {
  active: Array<{ id: string; attempt: number; trigger: 'api' | 'schedule' | 'retry' }>;
  keys: Array<{ key: string; runId: string; at: string }>;
  /** The latest schedule tick handled (started, replaced or skipped). */
  lastTick: string | null;
  last: { id: string; status: Exclude<RunStatus, 'queued' | 'starting' | 'running'>; at: string } | null;
}

export const NO_RUNS: JobRuns = { active: [], keys: [], lastTick: null, last: null };


export type JobRunCommand =
  | (CommandMeta & {
      kind: 'RequestJobRun';
      id: string;
      /** The id the run gets if one is started; drawn by the caller. */
      runId: string;
      trigger: 'api' | 'schedule';
      scheduledFor?: string;
      idempotencyKey?: string;
      overrides?: RunOverrides;
      /** Why a scheduled tick may not start a run now (a usage limit): the tick is recorded skipped with it. */
      refusal?: string;
    })
  | (CommandMeta & {
      kind: 'RecordJobRunFinished';
      id: string;
      runId: string;
      status: 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'timed_out';
      attempt: number;
      finishedAt?: string;
      /** The id a retry gets if the failure calls for one. */
      retryRunId: string;
    });

export interface JobPolicy {
  schedule: string | undefined;
  scheduleSuspended: boolean;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  retries: number;
  /** A job being stopped retries nothing: its runs are meant to end. */
  stopping: boolean;
}

function withinWindow(at: string, now: string): boolean {
  return Date.parse(now) - Date.parse(at) < IDEMPOTENCY_WINDOW_MS;
}

/** The run an idempotency key already started within the window, if any. */
export function runForKey(runs: JobRuns, key: string, now: string): string | undefined {
  return runs.keys.find((k) => k.key === key && withinWindow(k.at, now))?.runId;
}

export function decideJobRun(command: JobRunCommand, runs: JobRuns, policy: JobPolicy): ResourceEvent[] {
  const meta = { at: command.at, actor: command.actor };
  if (command.kind === 'RecordJobRunFinished') {
    const active = runs.active.find((r) => r.id === command.runId);
    if (!active) return [];
    const finished = { run_id: command.runId, status: command.status, attempt: command.attempt, ...(command.finishedAt ? { finished_at: command.finishedAt } : {}) };
    const events: ResourceEvent[] = [{ type: 'JobRunFinished', data: finished, ...meta }];
    // A timeout wins over retries, and a cancelled run was stopped on purpose.
    if (command.status === 'failed' && command.attempt <= policy.retries && !policy.stopping) {
      const notBefore = new Date(Date.parse(command.at) + retryDelaySeconds(command.attempt) * 1000).toISOString();
      events.push({
        type: 'JobRunRequested',
        data: { run_id: command.retryRunId, trigger: 'retry', attempt: command.attempt + 1, scheduled_for: null, not_before: notBefore, idempotency_key: null, overrides: null, replaces: [] },
        ...meta,
      });
    }
    return events;
  }
  const request = { run_id: command.runId, attempt: 1, not_before: null, overrides: null, replaces: [] as string[] };
  if (command.trigger === 'api') {
    if (command.idempotencyKey && runForKey(runs, command.idempotencyKey, command.at)) return [];
    const overrides = command.overrides && Object.keys(command.overrides).length > 0 ? command.overrides : null;
    return [{ type: 'JobRunRequested', data: { ...request, trigger: 'api', scheduled_for: null, idempotency_key: command.idempotencyKey ?? null, overrides }, ...meta }];
  }
  const tick = command.scheduledFor;
  if (!tick) throw new Error('a schedule tick needs the time it was due');
  // One run per tick: a tick fired twice, or late after a newer one, starts nothing.
  if (!policy.schedule || policy.scheduleSuspended || (runs.lastTick !== null && tick <= runs.lastTick)) return [];
  if (command.refusal) return [{ type: 'JobTickSkipped', data: { run_id: command.runId, scheduled_for: tick, reason: `skipped: ${command.refusal}` }, ...meta }];
  const scheduled = { ...request, trigger: 'schedule' as const, scheduled_for: tick, idempotency_key: null };
  if (runs.active.length === 0 || policy.concurrencyPolicy === 'Allow') return [{ type: 'JobRunRequested', data: scheduled, ...meta }];
  if (policy.concurrencyPolicy === 'Forbid') {
    const reason = `skipped: concurrency policy Forbid and run ${runs.active.map((r) => r.id).join(', ')} still active`;
    return [{ type: 'JobTickSkipped', data: { run_id: command.runId, scheduled_for: tick, reason }, ...meta }];
  }
  return [{ type: 'JobRunRequested', data: { ...scheduled, replaces: runs.active.map((r) => r.id) }, ...meta }];
}

export function evolveJobRuns(runs: JobRuns, e: ResourceEvent): JobRuns {
  switch (e.type) {
    case 'JobRunRequested': {
      const keys = runs.keys.filter((k) => withinWindow(k.at, e.at));
      if (e.data.idempotency_key) keys.push({ key: e.data.idempotency_key, runId: e.data.run_id, at: e.at });
      return {
        ...runs,
        active: [...runs.active, { id: e.data.run_id, attempt: e.data.attempt, trigger: e.data.trigger }],
        keys: keys.slice(-MAX_REMEMBERED_KEYS),
        lastTick: e.data.scheduled_for ?? runs.lastTick,
      };
    }
    case 'JobTickSkipped':
      return { ...runs, lastTick: e.data.scheduled_for, last: { id: e.data.run_id, status: 'skipped', at: e.at } };
    case 'JobRunFinished':
      return { ...runs, active: runs.active.filter((r) => r.id !== e.data.run_id), last: { id: e.data.run_id, status: e.data.status, at: e.data.finished_at ?? e.at } };
    default:
      return runs;
  }
}
