import { liveJob } from '../support/live-resource.ts';
import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { fold } from '../../../shared/domain/decider.ts';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.ts';
import type { RunOverrides } from '../../../shared/domain/planner/run-plan.ts';
import type { ResourceSpec } from '../../../shared/domain/recipe/spec-types.ts';
import { resourceDecider, type ResourceCommand, type ResourceState } from '../../../shared/domain/resource/resource-decider.ts';
import { runForKey } from '../../../shared/domain/resource/job-runs.ts';
import { resourceId, resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';

const AT = '2025-01-01T00:00:00.000Z';
const ACTOR = 'ann';
const SYSTEM = 'system:scheduler';

/** `AT` plus some seconds, as an ISO time. */
function later(seconds: number): string {
  return new Date(Date.parse(AT) + seconds * 1000).toISOString();
}
const HOUR = 3600;
// The API promises 24 hours; written out here so the test does not just echo the constant.
const DAY_MS = 24 * HOUR * 1000;

const JOB_STREAM = resourceStreamId('job', 'ann', 'train');
const WORKSPACE_STREAM = resourceStreamId('workspace', 'ann', 'lab');
const job1 = resourceId(JOB_STREAM, 1);
const workspace1 = resourceId(WORKSPACE_STREAM, 1);

type Policy = 'Allow' | 'Forbid' | 'Replace';
function jobSpec(options: { schedule?: string; policy?: Policy; retries?: number } = {}): ResourceSpec {
  return {
    name: 'train',
    owner: 'ann',
    command: 'python train.py',
    image: 'docker.io/library/python:3.12-slim',
    instance_type: 'medium',
    scale: 1,
    concurrency_policy: options.policy ?? 'Allow',
    retries: options.retries ?? 0,
    schedule_timezone: 'UTC',
    ...(options.schedule ? { schedule: options.schedule } : {}),
  };
}
const workspaceSpec: ResourceSpec = {
  name: 'lab',
  owner: 'ann',
  ide: 'jupyter',
  image: 'quay.io/jupyter/scipy-notebook:latest',
  instance_type: 'medium',
  auto_shutoff: '1 hour',
  disk_space: '10Gi',
};


// Events, written the way the decider writes them.
function ev<T extends ResourceEvent['type']>(type: T, data: Extract<ResourceEvent, { type: T }>['data'] = {} as never, at = AT, actor = ACTOR): ResourceEvent {
  return { type, data, at, actor } as ResourceEvent;
}
function created(spec: ResourceSpec = jobSpec()): ResourceEvent {
  return ev('ResourceCreated', { id: job1, type: 'job', owner: 'ann', name: 'train', incarnation: 1, spec });
}
const hourly = (policy: Policy = 'Allow') => created(jobSpec({ schedule: '0 * * * *', policy }));
const withRetries = (retries: number) => created(jobSpec({ retries }));

/** A run the API asked for, without or with an Idempotency-Key and per-run overrides. */
function apiRequested(runId: string, options: { key?: string; at?: string; overrides?: RunOverrides } = {}): ResourceEvent {
  return ev(
    'JobRunRequested',
    {
      run_id: runId,
      trigger: 'api',
      attempt: 1,
      scheduled_for: null,
      not_before: null,
      idempotency_key: options.key ?? null,
      overrides: options.overrides ?? null,
      replaces: [],
    },
    options.at ?? AT,
  );
}
/** A run a schedule tick asked for. */
function tickRequested(runId: string, tick: string, options: { replaces?: string[]; at?: string } = {}): ResourceEvent {
  return ev(
    'JobRunRequested',
    { run_id: runId, trigger: 'schedule', attempt: 1, scheduled_for: tick, not_before: null, idempotency_key: null, overrides: null, replaces: options.replaces ?? [] },
    options.at ?? tick,
    SYSTEM,
  );
}
/** A retry of a failed run. */
function retryRequested(runId: string, attempt: number, at: string, notBefore: string): ResourceEvent {
  return ev(
    'JobRunRequested',
    { run_id: runId, trigger: 'retry', attempt, scheduled_for: null, not_before: notBefore, idempotency_key: null, overrides: null, replaces: [] },
    at,
    SYSTEM,
  );
}
function tickSkipped(runId: string, tick: string, reason: string): ResourceEvent {
  return ev('JobTickSkipped', { run_id: runId, scheduled_for: tick, reason }, tick, SYSTEM);
}
type FinishStatus = 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'timed_out';
function runFinished(runId: string, status: FinishStatus, attempt = 1, at = later(60)): ResourceEvent {
  return ev('JobRunFinished', { run_id: runId, status, attempt }, at, SYSTEM);
}

// Commands, as the API, the schedule target and the run reactor send them.
function requestRun(runId: string, options: { key?: string; at?: string; id?: string; overrides?: RunOverrides } = {}): ResourceCommand {
  return {
    kind: 'RequestJobRun',
    id: options.id ?? job1,
    runId,
    trigger: 'api',
    ...(options.key ? { idempotencyKey: options.key } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    at: options.at ?? AT,
    actor: ACTOR,
  };
}
function tick(runId: string, scheduledFor: string, options: { at?: string; id?: string } = {}): ResourceCommand {
  return { kind: 'RequestJobRun', id: options.id ?? job1, runId, trigger: 'schedule', scheduledFor, at: options.at ?? scheduledFor, actor: SYSTEM };
}
function finish(runId: string, status: FinishStatus, options: { attempt?: number; at?: string; retryRunId?: string; id?: string } = {}): ResourceCommand {
  return {
    kind: 'RecordJobRunFinished',
    id: options.id ?? job1,
    runId,
    status,
    attempt: options.attempt ?? 1,
    retryRunId: options.retryRunId ?? `${runId}-retry`,
    at: options.at ?? later(60),
    actor: SYSTEM,
  };
}

/**
 * given(events).when(command).then(expected): the decider's contract in one line. `then`
 * returns the state after the decided events, and `andReplayDecidesNothing` checks that the
 * same command against that state is a no-op.
 */
function given(events: ResourceEvent[], streamId = JOB_STREAM) {
  return deciderSpec(resourceDecider(streamId))(events);
}

function activeRuns(state: ResourceState): string[] | undefined {
  return liveJob(state).runs.active.map((r) => r.id);
}

const T1 = '2025-01-01T01:00:00.000Z';
const T2 = '2025-01-01T02:00:00.000Z';
const T3 = '2025-01-01T03:00:00.000Z';

describe('job runs', () => {
  describe('RequestJobRun from the API', () => {
    it('starts a first run on a stopped job, making it running', () => {
      // Act
      const { state } = given([created()]).when(requestRun('r1')).then([apiRequested('r1')], { replayDecidesNothing: false });

      // Assess
      expect(state.live?.status).toBe('running');
      expect(liveJob(state).runs.active).toEqual([{ id: 'r1', attempt: 1, trigger: 'api' }]);
      expect(liveJob(state).runs.keys).toEqual([]);
    });

    it('starts another run for each request without an Idempotency-Key', () => {
      const { state } = given([created(), apiRequested('r1')]).when(requestRun('r2')).then([apiRequested('r2')], { replayDecidesNothing: false });
      expect(activeRuns(state)).toEqual(['r1', 'r2']);
    });

    it('carries the command and environment variables given for this run, and no overrides when none were given', () => {
      // Prepare
      const overrides = { command: 'python train.py --epochs 1', environment_variables: { SEED: '7' } };

      // Act & Assess
      given([created()]).when(requestRun('r1', { overrides })).then([apiRequested('r1', { overrides })], { replayDecidesNothing: false });
      given([created()]).when(requestRun('r1', { overrides: {} })).then([apiRequested('r1')], { replayDecidesNothing: false });
    });

    it('starts a run whatever the concurrency policy: policies govern schedule ticks', () => {
      given([hourly('Forbid'), apiRequested('r1')]).when(requestRun('r2')).then([apiRequested('r2')], { replayDecidesNothing: false });
      given([hourly('Replace'), apiRequested('r1')]).when(requestRun('r2')).then([apiRequested('r2')], { replayDecidesNothing: false });
    });

    it('remembers its Idempotency-Key with the run it started; the same request again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([created()]).when(requestRun('r1', { key: 'k-1' })).then([apiRequested('r1', { key: 'k-1' })]);

      // Assess
      expect(liveJob(state).runs.keys).toEqual([{ key: 'k-1', runId: 'r1', at: AT }]);
      expect(runForKey(liveJob(state).runs, 'k-1', AT)).toBe('r1');
      andReplayDecidesNothing();
    });

    it('decides nothing for a key seen within 24 hours, even for a new run id and after that run ended', () => {
      // Prepare
      const justInside = new Date(Date.parse(AT) + DAY_MS - 1).toISOString();
      const history = [created(), apiRequested('r1', { key: 'k-1' }), runFinished('r1', 'succeeded')];

      // Act
      const { state } = given(history).when(requestRun('r2', { key: 'k-1', at: justInside })).then([]);

      // Assess
      expect(runForKey(liveJob(state).runs, 'k-1', justInside)).toBe('r1');
    });

    it('starts a new run for a key last seen 24 hours ago, and forgets the old use', () => {
      // Prepare
      const aDayLater = new Date(Date.parse(AT) + DAY_MS).toISOString();
      const history = [created(), apiRequested('r1', { key: 'k-1' }), runFinished('r1', 'succeeded')];

      // Act
      const { state, andReplayDecidesNothing } = given(history)
        .when(requestRun('r2', { key: 'k-1', at: aDayLater }))
        .then([apiRequested('r2', { key: 'k-1', at: aDayLater })]);

      // Assess
      expect(liveJob(state).runs.keys).toEqual([{ key: 'k-1', runId: 'r2', at: aDayLater }]);
      expect(runForKey(liveJob(state).runs, 'k-1', aDayLater)).toBe('r2');
      andReplayDecidesNothing();
    });

    it('prunes keys older than 24 hours when a later run is requested', () => {
      // Prepare
      const history = [created(), apiRequested('r1', { key: 'old' }), apiRequested('r2', { key: 'recent', at: later(20 * HOUR) })];
      const nextDay = later(25 * HOUR);

      // Act
      const { state } = given(history).when(requestRun('r3', { at: nextDay })).then([apiRequested('r3', { at: nextDay })], { replayDecidesNothing: false });

      // Assess
      expect(liveJob(state).runs.keys.map((k) => k.key)).toEqual(['recent']);
    });

    it('starts a run for another key', () => {
      given([created(), apiRequested('r1', { key: 'k-1' })]).when(requestRun('r2', { key: 'k-2' })).then([apiRequested('r2', { key: 'k-2' })]);
    });

    it('remembers at most 1,000 keys, forgetting the oldest first', () => {
      // Prepare
      const history = [created(), ...Array.from({ length: 1001 }, (_, i) => apiRequested(`r${i}`, { key: `k-${i}`, at: later(i) }))];
      const at = later(1001);

      // Act
      const { state } = given(history);

      // Assess
      expect(liveJob(state).runs.keys).toHaveLength(1000);
      expect(runForKey(liveJob(state).runs, 'k-0', at)).toBeUndefined();
      expect(runForKey(liveJob(state).runs, 'k-1', at)).toBe('r1');
      expect(resourceDecider(JOB_STREAM).decide(requestRun('again', { key: 'k-1', at }), state)).toEqual([]);
      expect(resourceDecider(JOB_STREAM).decide(requestRun('again', { key: 'k-0', at }), state)).toEqual([apiRequested('again', { key: 'k-0', at })]);
    });

    it('refuses a run of a job that is stopping with a conflict', () => {
      given([created(), apiRequested('r1'), ev('ResourceStopRequested')]).when(requestRun('r2')).then(ConflictError);
    });

    it('refuses a workspace as not found: it is no job', () => {
      given([ev('ResourceCreated', { id: workspace1, type: 'workspace', owner: 'ann', name: 'lab', incarnation: 1, spec: workspaceSpec })], WORKSPACE_STREAM)
        .when(requestRun('r1', { id: workspace1 }))
        .then(NotFoundError);
    });
  });

  describe('RequestJobRun from a schedule tick', () => {
    it('starts a run for the tick; the same tick fired again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([hourly()]).when(tick('r1', T1)).then([tickRequested('r1', T1)]);

      // Assess
      expect(state.live?.status).toBe('running');
      expect(liveJob(state).runs).toMatchObject({ active: [{ id: 'r1', attempt: 1, trigger: 'schedule' }], lastTick: T1 });
      andReplayDecidesNothing();
    });

    it('starts one run for a double fire, even when the second fire carries another run id', () => {
      given([hourly(), tickRequested('r1', T1)]).when(tick('r1-again', T1)).then([]);
    });

    it('decides nothing for a tick older than the last one handled', () => {
      given([hourly(), tickRequested('r2', T2)]).when(tick('r1', T1, { at: later(2 * HOUR + 30) })).then([]);
    });

    it('still handles one run per tick after that run ended', () => {
      given([hourly(), tickRequested('r1', T1), runFinished('r1', 'failed', 1, later(HOUR + 60))]).when(tick('r1', T1)).then([]);
    });

    it('starts a run for the next tick', () => {
      const { state } = given([hourly(), tickRequested('r1', T1), runFinished('r1', 'succeeded', 1, later(HOUR + 60))]).when(tick('r2', T2)).then([tickRequested('r2', T2)]);
      expect(liveJob(state).runs.lastTick).toBe(T2);
    });

    it('keeps the last tick when an API run is requested in between', () => {
      const { state } = given([hourly(), tickRequested('r1', T1)]).when(requestRun('r2')).then([apiRequested('r2')], { replayDecidesNothing: false });
      expect(liveJob(state).runs.lastTick).toBe(T1);
      given([hourly(), tickRequested('r1', T1), apiRequested('r2')]).when(tick('r1', T1)).then([], { replayDecidesNothing: false });
    });

    it('ignores a tick for a job without a schedule', () => {
      given([created()]).when(tick('r1', T1)).then([]);
    });

    it('ignores a tick for a job whose schedule is suspended, and starts again once it is resumed', () => {
      given([hourly(), ev('JobScheduleSuspended')]).when(tick('r1', T1)).then([]);
      given([hourly(), ev('JobScheduleSuspended'), ev('JobScheduleResumed')]).when(tick('r1', T1)).then([tickRequested('r1', T1)]);
    });

    it('ignores a tick after the schedule was removed', () => {
      given([hourly(), ev('JobScheduleSet', { schedule: null, concurrency_policy: 'Allow' })]).when(tick('r1', T1)).then([]);
    });

    it('refuses a workspace as not found', () => {
      given([ev('ResourceCreated', { id: workspace1, type: 'workspace', owner: 'ann', name: 'lab', incarnation: 1, spec: workspaceSpec })], WORKSPACE_STREAM)
        .when(tick('r1', T1, { id: workspace1 }))
        .then(NotFoundError);
    });
  });

  describe('concurrency policies', () => {
    it('Allow starts a run for a tick while another is active', () => {
      const { state } = given([hourly('Allow'), tickRequested('r1', T1)]).when(tick('r2', T2)).then([tickRequested('r2', T2)]);
      expect(activeRuns(state)).toEqual(['r1', 'r2']);
    });

    it.each<[Policy]>([['Forbid'], ['Replace']])('%s starts a run for a tick when none is active', (policy) => {
      given([hourly(policy)]).when(tick('r1', T1)).then([tickRequested('r1', T1)]);
      given([hourly(policy), tickRequested('r1', T1), runFinished('r1', 'succeeded', 1, later(HOUR + 60))]).when(tick('r2', T2)).then([tickRequested('r2', T2)]);
    });

    it('Forbid skips a tick while a run is active, naming the run; the tick counts as handled', () => {
      // Prepare
      const reason = 'skipped: concurrency policy Forbid and run r1 still active';

      // Act
      const { state, andReplayDecidesNothing } = given([hourly('Forbid'), tickRequested('r1', T1)]).when(tick('r2', T2)).then([tickSkipped('r2', T2, reason)]);

      // Assess
      expect(activeRuns(state)).toEqual(['r1']);
      expect(liveJob(state).runs).toMatchObject({ lastTick: T2, last: { id: 'r2', status: 'skipped', at: T2 } });
      expect(state.live?.status).toBe('running');
      andReplayDecidesNothing();
    });

    it('Forbid starts the tick after the active run ended, having skipped the one before', () => {
      // Prepare
      const history = [
        hourly('Forbid'),
        tickRequested('r1', T1),
        tickSkipped('r2', T2, 'skipped: concurrency policy Forbid and run r1 still active'),
        runFinished('r1', 'succeeded', 1, later(2 * HOUR + 60)),
      ];

      // Act
      given(history).when(tick('r2', T2)).then([]);
      const { state } = given(history).when(tick('r3', T3)).then([tickRequested('r3', T3)]);

      // Assess
      expect(activeRuns(state)).toEqual(['r3']);
    });

    it('Forbid names every active run when it skips', () => {
      given([hourly('Forbid'), apiRequested('a1'), apiRequested('a2')])
        .when(tick('r1', T1))
        .then([tickSkipped('r1', T1, 'skipped: concurrency policy Forbid and run a1, a2 still active')]);
    });

    it('Replace starts a run that replaces the active ones; the same tick again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([hourly('Replace'), tickRequested('r1', T1), apiRequested('a1')])
        .when(tick('r2', T2))
        .then([tickRequested('r2', T2, { replaces: ['r1', 'a1'] })]);

      // Assess: the replaced runs stay active until they are reported finished
      expect(activeRuns(state)).toEqual(['r1', 'a1', 'r2']);
      expect(liveJob(state).runs.lastTick).toBe(T2);
      andReplayDecidesNothing();
    });

    it('follows a policy changed after the job was created', () => {
      given([hourly('Allow'), tickRequested('r1', T1), ev('JobScheduleSet', { schedule: '0 * * * *', concurrency_policy: 'Forbid' })])
        .when(tick('r2', T2))
        .then([tickSkipped('r2', T2, 'skipped: concurrency policy Forbid and run r1 still active')]);
    });
  });

  describe('RecordJobRunFinished', () => {
    it('records a run that succeeded as the last outcome and stops a job with no other run; recording it again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([created(), apiRequested('r1')]).when(finish('r1', 'succeeded')).then([runFinished('r1', 'succeeded')]);

      // Assess
      expect(state.live?.status).toBe('stopped');
      expect(liveJob(state).runs).toMatchObject({ active: [], last: { id: 'r1', status: 'succeeded', at: later(60) } });
      andReplayDecidesNothing();
    });

    it("keeps the run's own end time as the last outcome's time, not when the job heard of it", () => {
      const command = { ...finish('r1', 'failed'), finishedAt: later(30) } as ResourceCommand;
      const { state } = given([created(), apiRequested('r1')])
        .when(command)
        .then([{ ...runFinished('r1', 'failed'), data: { run_id: 'r1', status: 'failed', attempt: 1, finished_at: later(30) } } as ResourceEvent]);
      expect(liveJob(state).runs.last).toEqual({ id: 'r1', status: 'failed', at: later(30) });
    });

    it('keeps the job running while another run is active', () => {
      const { state } = given([created(), apiRequested('r1'), apiRequested('r2')]).when(finish('r1', 'succeeded')).then([runFinished('r1', 'succeeded')]);
      expect(state.live?.status).toBe('running');
      expect(activeRuns(state)).toEqual(['r2']);
    });

    it('decides nothing for a run that is not active', () => {
      given([created(), apiRequested('r1')]).when(finish('unknown', 'failed')).then([]);
      given([created(), apiRequested('r1'), runFinished('r1', 'succeeded')]).when(finish('r1', 'failed')).then([]);
    });

    it('decides nothing for a tick that Forbid skipped: it never became an active run', () => {
      given([hourly('Forbid'), tickRequested('r1', T1), tickSkipped('r2', T2, 'skipped')]).when(finish('r2', 'skipped')).then([]);
    });

    it('asks for no retry of a failed run when the job has no retries', () => {
      const { state } = given([withRetries(0), apiRequested('r1')]).when(finish('r1', 'failed')).then([runFinished('r1', 'failed')]);
      expect(state.live?.status).toBe('stopped');
      expect(liveJob(state).runs.last?.status).toBe('failed');
    });

    it('asks for a retry of a failed run with trigger retry, the next attempt and a backoff; recording it again asks for no second retry', () => {
      // Prepare
      const finishedAt = later(60);

      // Act
      const { state, andReplayDecidesNothing } = given([withRetries(2), apiRequested('r1')])
        .when(finish('r1', 'failed', { at: finishedAt, retryRunId: 'r1-retry' }))
        .then([runFinished('r1', 'failed', 1, finishedAt), retryRequested('r1-retry', 2, finishedAt, later(70))]);

      // Assess: the job keeps running, now for the retry
      expect(state.live?.status).toBe('running');
      expect(liveJob(state).runs.active).toEqual([{ id: 'r1-retry', attempt: 2, trigger: 'retry' }]);
      expect(liveJob(state).runs.last).toEqual({ id: 'r1', status: 'failed', at: finishedAt });
      andReplayDecidesNothing();
    });

    it.each<[number, number, number]>([
      [2, 1, 10],
      [2, 2, 20],
      [10, 3, 40],
      [10, 4, 80],
      [10, 5, 160],
      [10, 6, 300],
      [10, 7, 300],
    ])('with %i retries, retries failed attempt %i after %i seconds', (retries, attempt, delaySeconds) => {
      // Prepare
      const finishedAt = later(HOUR);
      const history = [withRetries(retries), attempt === 1 ? apiRequested('r') : retryRequested('r', attempt, AT, AT)];

      // Act & Assess
      given(history)
        .when(finish('r', 'failed', { attempt, at: finishedAt, retryRunId: 'next' }))
        .then([runFinished('r', 'failed', attempt, finishedAt), retryRequested('next', attempt + 1, finishedAt, later(HOUR + delaySeconds))]);
    });

    it('gives up once every retry was used: the last attempt is retries + 1', () => {
      const { state } = given([withRetries(2), retryRequested('r3', 3, AT, AT)]).when(finish('r3', 'failed', { attempt: 3 })).then([runFinished('r3', 'failed', 3)]);
      expect(state.live?.status).toBe('stopped');
    });

    it.each<[FinishStatus]>([['succeeded'], ['timed_out'], ['cancelled']])('never retries a run that %s', (status) => {
      const { state } = given([withRetries(3), apiRequested('r1')]).when(finish('r1', status)).then([runFinished('r1', status)]);
      expect(liveJob(state).runs.active).toEqual([]);
      expect(liveJob(state).runs.last?.status).toBe(status);
    });

    it('retries a retry that failed, counting attempts on', () => {
      given([withRetries(3), apiRequested('r1'), runFinished('r1', 'failed', 1, later(60)), retryRequested('r2', 2, later(60), later(70))])
        .when(finish('r2', 'failed', { attempt: 2, at: later(120), retryRunId: 'r3' }))
        .then([runFinished('r2', 'failed', 2, later(120)), retryRequested('r3', 3, later(120), later(140))]);
    });

    it('refuses a workspace as not found', () => {
      given([ev('ResourceCreated', { id: workspace1, type: 'workspace', owner: 'ann', name: 'lab', incarnation: 1, spec: workspaceSpec })], WORKSPACE_STREAM)
        .when(finish('r1', 'succeeded', { id: workspace1 }))
        .then(NotFoundError);
    });
  });

  describe('job status while it stops', () => {
    it('stays stopping while one of its runs is active, and is stopped when the last one ends', () => {
      // Prepare
      const stopping = [created(), apiRequested('r1'), apiRequested('r2'), ev('ResourceStopRequested')];

      // Act
      const afterFirst = given(stopping).when(finish('r1', 'cancelled')).then([runFinished('r1', 'cancelled')]).state;
      const afterLast = given([...stopping, runFinished('r1', 'cancelled')]).when(finish('r2', 'cancelled')).then([runFinished('r2', 'cancelled')]).state;

      // Assess
      expect(given(stopping).state.live?.status).toBe('stopping');
      expect(afterFirst.live?.status).toBe('stopping');
      expect(afterLast.live?.status).toBe('stopped');
    });

    it('accepts an API run again once the job has stopped', () => {
      given([created(), apiRequested('r1'), ev('ResourceStopRequested'), runFinished('r1', 'cancelled')]).when(requestRun('r2')).then([apiRequested('r2')], { replayDecidesNothing: false });
    });
  });

  describe('a scheduled job with retries', () => {
    it('runs a tick, retries its failure once, and a second fire of that tick starts nothing', () => {
      // Prepare
      const decider = resourceDecider(JOB_STREAM);
      let state = fold(decider, decider.initialState, [created(jobSpec({ schedule: '0 * * * *', policy: 'Forbid', retries: 1 }))]);
      const step = (command: ResourceCommand) => {
        const decided = decider.decide(command, state);
        state = fold(decider, state, decided);
        return decided.map((e) => e.type);
      };

      // Act
      const decided = [
        step(tick('r1', T1)),
        step(finish('r1', 'failed', { at: later(HOUR + 60), retryRunId: 'r1-2' })),
        step(tick('r1-again', T1)),
        step(finish('r1-2', 'failed', { attempt: 2, at: later(HOUR + 120), retryRunId: 'r1-3' })),
        step(tick('r2', T2)),
      ];

      // Assess
      expect(decided).toEqual([['JobRunRequested'], ['JobRunFinished', 'JobRunRequested'], [], ['JobRunFinished'], ['JobRunRequested']]);
      expect(liveJob(state).runs.active).toEqual([{ id: 'r2', attempt: 1, trigger: 'schedule' }]);
      expect(liveJob(state).runs.last).toEqual({ id: 'r1-2', status: 'failed', at: later(HOUR + 120) });
    });
  });
});
