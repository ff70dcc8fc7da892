import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { fold } from '../../../shared/domain/decider.ts';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.ts';
import {
  FINISHED_RUN_STATUSES,
  retryDelaySeconds,
  runDecider,
  runFinished,
  runStreamId,
  type RunCommand,
  type RunState,
  type RunStatus,
  type RunTrigger,
} from '../../../shared/domain/run/run-decider.ts';
import type { RunEvent, RunPlan } from '../../../events/run-events.ts';

// Each step of a run happens a minute after the one before, so times show which event set them.
const QUEUED_AT = '2025-01-01T00:00:00.000Z';
const LAUNCHED_AT = '2025-01-01T00:01:00.000Z';
const STARTED_AT = '2025-01-01T00:02:00.000Z';
const ENDED_AT = '2025-01-01T00:03:00.000Z';
const LATE_AT = '2025-01-01T00:04:00.000Z';
const SYSTEM = 'system:reactor';

const RUN = 'r-1';
const JOB = 'job-1';

function plan(scale = 1, timeoutSeconds: number | null = 3600): RunPlan {
  return {
    command: 'python train.py',
    environment: { EPOCHS: '3' },
    image: 'docker.io/library/python:3.12-slim',
    instance_type: 'medium',
    scale,
    timeout_seconds: timeoutSeconds,
    start_script: null,
    working_directory: null,
  };
}


// Events, written the way the decider writes them.
function ev<T extends RunEvent['type']>(type: T, data: Extract<RunEvent, { type: T }>['data'], at: string, actor = SYSTEM): RunEvent {
  return { type, data, at, actor } as RunEvent;
}
const cancelled = (at = ENDED_AT) => ev('RunCancelled', { reason: 'cancelled by ann' }, at, 'ann');
interface RunOptions {
  scale?: number;
  timeoutSeconds?: number | null;
  trigger?: RunTrigger;
  attempt?: number;
  scheduledFor?: string | null;
  notBefore?: string | null;
}
function queued(options: RunOptions = {}): RunEvent {
  return ev(
    'RunQueued',
    {
      run_id: RUN,
      job_id: JOB,
      owner: 'ann',
      trigger: options.trigger ?? 'api',
      attempt: options.attempt ?? 1,
      scheduled_for: options.scheduledFor ?? null,
      not_before: options.notBefore ?? null,
      plan: plan(options.scale, options.timeoutSeconds),
    },
    QUEUED_AT,
  );
}
const taskId = (rank: number) => `task-${rank}`;
function launched(scale = 1): RunEvent {
  return ev('RunTasksLaunched', { tasks: Array.from({ length: scale }, (_, rank) => ({ rank, task_id: taskId(rank) })) }, LAUNCHED_AT);
}
const taskStarted = (rank: number, at = STARTED_AT) => ev('TaskStarted', { task_id: taskId(rank) }, at);
const runStarted = (at = STARTED_AT) => ev('RunStarted', {}, at);
const taskExited = (rank: number, exitCode: number | null, reason: string, at = ENDED_AT) => ev('TaskExited', { task_id: taskId(rank), exit_code: exitCode, reason }, at);
const skipped = ev('RunSkipped', { run_id: RUN, job_id: JOB, owner: 'ann', scheduled_for: '2025-01-01T00:00:00.000Z', reason: 'Forbid: run r-0 still active' }, QUEUED_AT);

// Histories that leave a run of one task (or `scale` tasks) in each status.
function history(scale = 1, timeoutSeconds: number | null = 3600) {
  const all = Array.from({ length: scale }, (_, rank) => rank);
  const running = [queued({ scale, timeoutSeconds }), launched(scale), taskStarted(0), runStarted()];
  return {
    queued: [queued({ scale, timeoutSeconds })],
    starting: [queued({ scale, timeoutSeconds }), launched(scale)],
    running,
    succeeded: [...running, ...all.map((rank) => taskExited(rank, 0, 'Essential container in task exited')), ev('RunSucceeded', {}, ENDED_AT)],
    failed: [...running, taskExited(0, 1, 'Essential container in task exited'), ev('RunFailed', { exit_code: 1, reason: 'task 0: Essential container in task exited' }, ENDED_AT)],
    cancelled: [...running, cancelled()],
    timed_out: [...running, ev('RunTimedOut', { timeout_seconds: 3600 }, ENDED_AT)],
    skipped: [skipped],
  } satisfies Record<RunStatus, RunEvent[]>;
}
type Status = keyof ReturnType<typeof history>;

// Commands, as the API, the scheduler target and the task-state handler send them.
function queueRun(options: RunOptions = {}): RunCommand {
  return {
    kind: 'QueueRun',
    runId: RUN,
    jobId: JOB,
    owner: 'ann',
    trigger: options.trigger ?? 'api',
    attempt: options.attempt ?? 1,
    scheduledFor: options.scheduledFor ?? null,
    notBefore: options.notBefore ?? null,
    plan: plan(options.scale, options.timeoutSeconds),
    at: QUEUED_AT,
    actor: SYSTEM,
  };
}
function skipRun(): RunCommand {
  return { kind: 'SkipRun', runId: RUN, jobId: JOB, owner: 'ann', scheduledFor: '2025-01-01T00:00:00.000Z', reason: 'Forbid: run r-0 still active', at: QUEUED_AT, actor: SYSTEM };
}
function recordLaunched(scale = 1): RunCommand {
  return { kind: 'RecordTasksLaunched', tasks: Array.from({ length: scale }, (_, rank) => ({ rank, taskId: taskId(rank) })), at: LAUNCHED_AT, actor: SYSTEM };
}
function reportStarted(rank: number, at = STARTED_AT): RunCommand {
  return { kind: 'ReportTaskStarted', taskId: taskId(rank), at, actor: SYSTEM };
}
function reportExited(rank: number, exitCode: number | null, reason = 'Essential container in task exited', at = ENDED_AT): RunCommand {
  return { kind: 'ReportTaskExited', taskId: taskId(rank), exitCode, reason, at, actor: SYSTEM };
}
function cancel(at = ENDED_AT): RunCommand {
  return { kind: 'CancelRun', reason: 'cancelled by ann', at, actor: 'ann' };
}
function timeOut(at = ENDED_AT): RunCommand {
  return { kind: 'TimeOutRun', at, actor: SYSTEM };
}

/**
 * given(events).when(command).then(expected): the decider's contract in one line. `then`
 * returns the state after the decided events, and `andReplayDecidesNothing` checks that the
 * same command against that state is a no-op.
 */
const given = deciderSpec(runDecider);

describe('run decider', () => {
  describe('QueueRun', () => {
    it('queues a new run with its job, trigger, attempt and plan; queueing it again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([]).when(queueRun()).then([queued()]);

      // Assess
      expect(state).toEqual({
        id: RUN,
        jobId: JOB,
        owner: 'ann',
        trigger: 'api',
        attempt: 1,
        scheduledFor: null,
        notBefore: null,
        status: 'queued',
        plan: plan(),
        tasks: [],
        createdAt: QUEUED_AT,
        startedAt: null,
        finishedAt: null,
        exitCode: null,
        reason: null,
      });
      andReplayDecidesNothing();
    });

    it('queues a retry with its attempt and the time before which it must not start', () => {
      // Prepare
      const notBefore = '2025-01-01T00:00:10.000Z';

      // Act
      const { state } = given([]).when(queueRun({ trigger: 'retry', attempt: 2, notBefore })).then([queued({ trigger: 'retry', attempt: 2, notBefore })]);

      // Assess
      expect(state).toMatchObject({ trigger: 'retry', attempt: 2, notBefore, status: 'queued' });
    });

    it('records a run refused at planning (its owner lost access to an attachment) as failed at once, with the reason', () => {
      // Prepare: the reason attachment-facts.ts gives when a secret was narrowed to its owner
      const refusal = 'bob may no longer use what the task attaches: spec.secrets[0].name: no secret named s owned by alice that bob may use';
      const refused = { ...(queueRun({ trigger: 'schedule', scheduledFor: QUEUED_AT }) as Extract<RunCommand, { kind: 'QueueRun' }>), refusal };

      // Act
      const { state, andReplayDecidesNothing } = given([])
        .when(refused)
        .then([queued({ trigger: 'schedule', scheduledFor: QUEUED_AT }), ev('RunFailed', { exit_code: null, reason: refusal }, QUEUED_AT)]);

      // Assess: ended before any task, so no launcher ever picks it up
      expect(state).toMatchObject({ status: 'failed', reason: refusal, tasks: [], exitCode: null, finishedAt: QUEUED_AT });
      andReplayDecidesNothing();
      given([queued(), ev('RunFailed', { exit_code: null, reason: refusal }, QUEUED_AT)]).when(recordLaunched()).then([]);
    });

    it('fails a queued run refused at launch (its owner lost access while it waited), and nothing once it launched', () => {
      const reason = 'ann may no longer use what the task attaches: secret bob/key: no secret named key owned by bob that ann may use';
      const refuse: RunCommand = { kind: 'RefuseLaunch', reason, at: LAUNCHED_AT, actor: SYSTEM };
      const { state, andReplayDecidesNothing } = given([queued()]).when(refuse).then([ev('RunFailed', { exit_code: null, reason }, LAUNCHED_AT)]);
      expect(state).toMatchObject({ status: 'failed', reason, tasks: [] });
      andReplayDecidesNothing();
      given(history().starting).when(refuse).then([]);
    });

    it('queues a scheduled run with the tick it is for', () => {
      // Prepare
      const tick = '2025-01-01T00:00:00.000Z';

      // Act
      const { state } = given([]).when(queueRun({ trigger: 'schedule', scheduledFor: tick })).then([queued({ trigger: 'schedule', scheduledFor: tick })]);

      // Assess
      expect(state).toMatchObject({ trigger: 'schedule', scheduledFor: tick, status: 'queued' });
    });

    it.each<[Status]>([['queued'], ['starting'], ['running'], ['succeeded'], ['failed'], ['cancelled'], ['timed_out'], ['skipped']])(
      'decides nothing for a run that exists and is %s, even with another plan',
      (status) => {
        given(history()[status]).when(queueRun({ scale: 4, trigger: 'retry', attempt: 2 })).then([]);
      },
    );
  });

  describe('SkipRun', () => {
    it('records a skipped scheduled run that has ended with its reason; skipping it again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([]).when(skipRun()).then([skipped]);

      // Assess
      expect(state).toMatchObject({
        id: RUN,
        jobId: JOB,
        trigger: 'schedule',
        attempt: 1,
        status: 'skipped',
        plan: null,
        tasks: [],
        scheduledFor: '2025-01-01T00:00:00.000Z',
        createdAt: QUEUED_AT,
        finishedAt: QUEUED_AT,
        reason: 'Forbid: run r-0 still active',
      });
      expect(runFinished(state!)).toBe(true);
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['queued'], ['running'], ['succeeded']])('decides nothing for a run that exists and is %s', (status) => {
      given(history()[status]).when(skipRun()).then([]);
    });

    it('launches, cancels and times out nothing for a skipped run', () => {
      given(history().skipped).when(recordLaunched()).then([]);
      given(history().skipped).when(cancel()).then([]);
      given(history().skipped).when(timeOut()).then([]);
    });
  });

  describe('commands for a run that does not exist', () => {
    it.each<[string, RunCommand]>([
      ['RecordTasksLaunched', recordLaunched()],
      ['ReportTaskStarted', reportStarted(0)],
      ['ReportTaskExited', reportExited(0, 0)],
      ['CancelRun', cancel()],
      ['TimeOutRun', timeOut()],
    ])('refuses %s as not found', (_kind, command) => {
      given([]).when(command).then(NotFoundError);
    });
  });

  describe('RecordTasksLaunched', () => {
    it('records one task per unit of scale with its rank, making the run starting; recording again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given(history(3).queued).when(recordLaunched(3)).then([launched(3)]);

      // Assess
      expect(state?.status).toBe('starting');
      expect(state?.tasks).toEqual([
        { rank: 0, taskId: 'task-0', status: 'launched', exitCode: null, reason: null, ref: null, logStream: null },
        { rank: 1, taskId: 'task-1', status: 'launched', exitCode: null, reason: null, ref: null, logStream: null },
        { rank: 2, taskId: 'task-2', status: 'launched', exitCode: null, reason: null, ref: null, logStream: null },
      ]);
      expect(state?.startedAt).toBeNull();
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['starting'], ['running'], ['succeeded'], ['failed'], ['cancelled'], ['timed_out']])(
      'decides nothing for a %s run: only a queued run is launched',
      (status) => {
        given(history()[status]).when(recordLaunched()).then([]);
      },
    );
  });

  describe('ReportTaskStarted', () => {
    it('marks the task running and the run running with the time it started; the same report again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given(history().starting).when(reportStarted(0)).then([taskStarted(0), runStarted()]);

      // Assess
      expect(state).toMatchObject({ status: 'running', startedAt: STARTED_AT, finishedAt: null });
      expect(state?.tasks[0]?.status).toBe('running');
      andReplayDecidesNothing();
    });

    it('starts the run once: a second task starting is recorded without moving the run', () => {
      // Act
      const { state } = given(history(2).running).when(reportStarted(1, LATE_AT)).then([taskStarted(1, LATE_AT)]);

      // Assess
      expect(state).toMatchObject({ status: 'running', startedAt: STARTED_AT });
      expect(state?.tasks.map((t) => t.status)).toEqual(['running', 'running']);
    });

    it('records the task\'s platform ref (its ECS task ARN) when the report carries one', () => {
      // Prepare
      const arn = 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/0123456789abcdef';

      // Act
      const { state, andReplayDecidesNothing } = given(history().starting)
        .when({ kind: 'ReportTaskStarted', taskId: taskId(0), ref: arn, at: STARTED_AT, actor: SYSTEM })
        .then([ev('TaskStarted', { task_id: taskId(0), ref: arn }, STARTED_AT), runStarted()]);

      // Assess
      expect(state?.tasks[0]).toMatchObject({ status: 'running', ref: arn });
      andReplayDecidesNothing();
    });

    it('leaves the ref null when the report carries none', () => {
      const { state } = given(history().starting).when(reportStarted(0)).then([taskStarted(0), runStarted()]);
      expect(state?.tasks[0]?.ref).toBeNull();
    });

    it('decides nothing for a task the run does not know', () => {
      given(history().starting).when({ kind: 'ReportTaskStarted', taskId: 'someone-else', at: STARTED_AT, actor: SYSTEM }).then([]);
    });

    it('decides nothing for a task that has already exited, so a report out of order leaves the run ended', () => {
      // Prepare
      const exitedBeforeStartReport = [...history().starting, taskExited(0, 0, 'done'), ev('RunSucceeded', {}, ENDED_AT)];

      // Act
      const { state } = given(exitedBeforeStartReport).when(reportStarted(0, LATE_AT)).then([]);

      // Assess
      expect(state?.status).toBe('succeeded');
    });

    it('records a late start of a task after the run was cancelled, and the run stays cancelled', () => {
      // Prepare
      const cancelledWhileStarting = [...history().starting, cancelled(STARTED_AT)];

      // Act
      const { state, andReplayDecidesNothing } = given(cancelledWhileStarting).when(reportStarted(0, LATE_AT)).then([taskStarted(0, LATE_AT)]);

      // Assess
      expect(state).toMatchObject({ status: 'cancelled', startedAt: null, finishedAt: STARTED_AT });
      andReplayDecidesNothing();
    });
  });

  describe('ReportTaskExited', () => {
    it('succeeds a run of one task that exits 0, with exit code 0 and the time it ended; the same report again decides nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given(history().running)
        .when(reportExited(0, 0, 'done'))
        .then([taskExited(0, 0, 'done'), ev('RunSucceeded', {}, ENDED_AT)]);

      // Assess
      expect(state).toMatchObject({ status: 'succeeded', exitCode: 0, reason: null, startedAt: STARTED_AT, finishedAt: ENDED_AT });
      expect(state?.tasks[0]).toMatchObject({ status: 'exited', exitCode: 0, reason: 'done' });
      andReplayDecidesNothing();
    });

    it('succeeds a run of three tasks only when the last of them exits 0', () => {
      // Act: tasks 2 and 0 exit first, in any order
      const afterFirst = given(history(3).running).when(reportExited(2, 0, 'done')).then([taskExited(2, 0, 'done')]).state;
      const afterSecond = given([...history(3).running, taskExited(2, 0, 'done')]).when(reportExited(0, 0, 'done')).then([taskExited(0, 0, 'done')]).state;
      const { state } = given([...history(3).running, taskExited(2, 0, 'done'), taskExited(0, 0, 'done')])
        .when(reportExited(1, 0, 'done'))
        .then([taskExited(1, 0, 'done'), ev('RunSucceeded', {}, ENDED_AT)]);

      // Assess
      expect(afterFirst?.status).toBe('running');
      expect(afterSecond?.status).toBe('running');
      expect(state).toMatchObject({ status: 'succeeded', exitCode: 0 });
    });

    it('fails the run as soon as one task fails, with its exit code and a reason naming its rank', () => {
      // Act
      const { state, andReplayDecidesNothing } = given(history(3).running)
        .when(reportExited(1, 137, 'OutOfMemoryError: Container killed due to memory usage'))
        .then([
          taskExited(1, 137, 'OutOfMemoryError: Container killed due to memory usage'),
          ev('RunFailed', { exit_code: 137, reason: 'task 1: OutOfMemoryError: Container killed due to memory usage' }, ENDED_AT),
        ]);

      // Assess
      expect(state).toMatchObject({ status: 'failed', exitCode: 137, reason: 'task 1: OutOfMemoryError: Container killed due to memory usage', finishedAt: ENDED_AT });
      andReplayDecidesNothing();
    });

    it('fails the run when a task ends without an exit code', () => {
      const { state } = given(history().running)
        .when(reportExited(0, null, 'CannotPullContainerError'))
        .then([taskExited(0, null, 'CannotPullContainerError'), ev('RunFailed', { exit_code: null, reason: 'task 0: CannotPullContainerError' }, ENDED_AT)]);
      expect(state).toMatchObject({ status: 'failed', exitCode: null });
    });

    it('fails the run when the last task fails after the others exited 0', () => {
      const { state } = given([...history(2).running, taskExited(0, 0, 'done')])
        .when(reportExited(1, 2, 'bad argument'))
        .then([taskExited(1, 2, 'bad argument'), ev('RunFailed', { exit_code: 2, reason: 'task 1: bad argument' }, ENDED_AT)]);
      expect(state?.status).toBe('failed');
    });

    it('lets the first failing exit decide: a later failure of another task is recorded and changes nothing else', () => {
      // Prepare
      const failedByTask0 = [...history(2).running, taskExited(0, 1, 'first'), ev('RunFailed', { exit_code: 1, reason: 'task 0: first' }, ENDED_AT)];

      // Act
      const { state, andReplayDecidesNothing } = given(failedByTask0).when(reportExited(1, 3, 'second', LATE_AT)).then([taskExited(1, 3, 'second', LATE_AT)]);

      // Assess
      expect(state).toMatchObject({ status: 'failed', exitCode: 1, reason: 'task 0: first', finishedAt: ENDED_AT });
      expect(state?.tasks[1]).toMatchObject({ status: 'exited', exitCode: 3, reason: 'second' });
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['cancelled'], ['timed_out']])('records a late exit after the run was %s, and the run keeps its end', (status) => {
      // Prepare
      const before = given(history()[status]).state;

      // Act
      const { state, andReplayDecidesNothing } = given(history()[status]).when(reportExited(0, 0, 'done', LATE_AT)).then([taskExited(0, 0, 'done', LATE_AT)]);

      // Assess
      expect(state).toMatchObject({ status, finishedAt: ENDED_AT, exitCode: before?.exitCode, reason: before?.reason });
      expect(state?.tasks[0]).toMatchObject({ status: 'exited', exitCode: 0 });
      andReplayDecidesNothing();
    });

    it('decides nothing for a second exit of a task after the run succeeded', () => {
      given(history().succeeded).when(reportExited(0, 1, 'again', LATE_AT)).then([]);
    });

    it('ends a run whose task exits before it was reported started, recording that it did start', () => {
      const { state } = given(history().starting).when(reportExited(0, 0, 'done')).then([runStarted(ENDED_AT), taskExited(0, 0, 'done'), ev('RunSucceeded', {}, ENDED_AT)]);
      expect(state?.status).toBe('succeeded');
      expect(state?.startedAt).toBe(ENDED_AT);
    });

    it('fails a run whose task could not start at all, without saying it started', () => {
      const { state } = given(history().starting).when(reportExited(0, null, 'could not start')).then([taskExited(0, null, 'could not start'), ev('RunFailed', { exit_code: null, reason: 'task 0: could not start' }, ENDED_AT)]);
      expect(state?.startedAt).toBeNull();
    });

    it('decides nothing for a task the run does not know', () => {
      given(history().running).when({ kind: 'ReportTaskExited', taskId: 'someone-else', exitCode: 1, reason: 'x', at: ENDED_AT, actor: SYSTEM }).then([]);
    });
  });

  describe('CancelRun', () => {
    it.each<[Status]>([['queued'], ['starting'], ['running']])('cancels a %s run with the reason and the time; cancelling again decides nothing', (status) => {
      // Act
      const { state, andReplayDecidesNothing } = given(history()[status]).when(cancel()).then([cancelled()]);

      // Assess
      expect(state).toMatchObject({ status: 'cancelled', reason: 'cancelled by ann', exitCode: null, finishedAt: ENDED_AT });
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['succeeded'], ['failed'], ['cancelled'], ['timed_out'], ['skipped']])('decides nothing for a run that has ended %s', (status) => {
      // Act
      const { state } = given(history()[status]).when(cancel(LATE_AT)).then([]);

      // Assess
      expect(state?.status).toBe(status);
    });
  });

  describe('TimeOutRun', () => {
    it.each<[Status]>([['queued'], ['starting'], ['running']])('times out a %s run with its plan timeout; timing out again decides nothing', (status) => {
      // Act
      const { state, andReplayDecidesNothing } = given(history(1, 90)[status]).when(timeOut()).then([ev('RunTimedOut', { timeout_seconds: 90 }, ENDED_AT)]);

      // Assess
      expect(state).toMatchObject({ status: 'timed_out', reason: 'timed out after 90 s', exitCode: null, finishedAt: ENDED_AT });
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['succeeded'], ['failed'], ['cancelled'], ['timed_out'], ['skipped']])('decides nothing for a run that has ended %s', (status) => {
      given(history()[status]).when(timeOut(LATE_AT)).then([]);
    });

    it.each<[Status]>([['queued'], ['running']])('refuses a %s run whose plan has no timeout', (status) => {
      given(history(1, null)[status]).when(timeOut()).then(ConflictError);
    });

    it('decides nothing for an ended run whose plan has no timeout', () => {
      given([...history(1, null).running, cancelled()]).when(timeOut(LATE_AT)).then([]);
    });
  });

  describe('a whole run', () => {
    it('goes queued → starting → running → failed, and a late report of the other task changes no status', () => {
      // Prepare
      const steps: RunCommand[] = [queueRun({ scale: 2 }), recordLaunched(2), reportStarted(0), reportStarted(1), reportExited(1, 1, 'boom'), reportExited(0, 0, 'done', LATE_AT)];

      // Act
      const statuses: Array<RunStatus | undefined> = [];
      let state: RunState = runDecider.initialState;
      for (const command of steps) {
        state = fold(runDecider, state, runDecider.decide(command, state));
        statuses.push(state?.status);
      }

      // Assess
      expect(statuses).toEqual(['queued', 'starting', 'running', 'running', 'failed', 'failed']);
      expect(state).toMatchObject({ exitCode: 1, reason: 'task 1: boom', startedAt: STARTED_AT, finishedAt: ENDED_AT });
      expect(state?.tasks.every((t) => t.status === 'exited')).toBe(true);
    });
  });

  describe('runFinished', () => {
    it.each<[Status, boolean]>([
      ['queued', false],
      ['starting', false],
      ['running', false],
      ['succeeded', true],
      ['failed', true],
      ['cancelled', true],
      ['timed_out', true],
      ['skipped', true],
    ])('says whether a %s run has ended: %s', (status, ended) => {
      const state = given(history()[status]).state;
      expect(state?.status).toBe(status);
      expect(runFinished(state!)).toBe(ended);
      expect(FINISHED_RUN_STATUSES.includes(status)).toBe(ended);
    });
  });

  it('keeps each run in a stream of its own', () => {
    expect(runStreamId('r-1')).toBe('run-r-1');
    expect(runStreamId('r-2')).not.toBe(runStreamId('r-1'));
  });
});

describe('retryDelaySeconds', () => {
  it.each<[number, number]>([
    [1, 10],
    [2, 20],
    [3, 40],
    [4, 80],
    [5, 160],
    [6, 300],
    [7, 300],
    [20, 300],
  ])('waits, after failed attempt %i, %i seconds: 10 s doubling, at most 5 minutes', (attempt, seconds) => {
    expect(retryDelaySeconds(attempt)).toBe(seconds);
  });
});
