import { liveJob } from '../support/live-resource.ts';
import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.ts';
import type { JobSpec, ResourceSpec, WorkspaceSpec } from '../../../shared/domain/recipe/spec-types.ts';
import { storedSpec } from '../../../shared/domain/recipe/stored-spec.ts';
import type { ResourceType } from '../../../shared/domain/recipe/spec-schemas.ts';
import {
  resourceDecider,
  resourceVersion,
  type ResourceCommand,
  type ResourceState,
} from '../../../shared/domain/resource/resource-decider.ts';
import { addressOf, resourceId, resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';

const AT = '2025-01-01T00:00:00.000Z';
const ACTOR = 'ann';
const meta = { at: AT, actor: ACTOR };

const JOB_STREAM = resourceStreamId('job', 'ann', 'train');
const WORKSPACE_STREAM = resourceStreamId('workspace', 'ann', 'lab');
const job1 = resourceId(JOB_STREAM, 1);
const job2 = resourceId(JOB_STREAM, 2);
const workspace1 = resourceId(WORKSPACE_STREAM, 1);

const jobSpec: JobSpec = {
  name: 'train',
  owner: 'ann',
  command: 'python train.py',
  image: 'docker.io/library/python:3.12-slim',
  instance_type: 'medium',
  scale: 1,
  concurrency_policy: 'Allow',
  retries: 0,
  schedule_timezone: 'UTC',
};
const scheduledJobSpec: JobSpec = { ...jobSpec, schedule: '0 * * * *' };
const workspaceSpec: WorkspaceSpec = {
  name: 'lab',
  owner: 'ann',
  ide: 'jupyter',
  image: 'quay.io/jupyter/scipy-notebook:latest',
  instance_type: 'medium',
  auto_shutoff: '1 hour',
  disk_space: '10Gi',
};


// Events, written the way the decider writes them.
function ev<T extends ResourceEvent['type']>(type: T, data: Extract<ResourceEvent, { type: T }>['data'] = {} as never): ResourceEvent {
  return { type, data, ...meta } as ResourceEvent;
}
function created(incarnation = 1, spec: ResourceSpec = jobSpec, type: ResourceType = 'job', streamId = JOB_STREAM): ResourceEvent {
  return ev('ResourceCreated', { id: resourceId(streamId, incarnation), type, owner: spec.owner, name: spec.name, incarnation, spec });
}
const startRequested = ev('ResourceStartRequested');
const stopRequested = ev('ResourceStopRequested');
const restartRequested = ev('ResourceRestartRequested');
const becameRunning = ev('ResourceBecameRunning');
const becameStopped = ev('ResourceBecameStopped');
const deleted = ev('ResourceDeleted');
const failed = (reason: string) => ev('ResourceFailed', { reason });

// Histories that leave the first incarnation of the job in each status.
const history = {
  stopped: [created()],
  pending: [created(), startRequested],
  running: [created(), startRequested, becameRunning],
  stopping: [created(), startRequested, becameRunning, stopRequested],
  error: [created(), startRequested, failed('image not found')],
} satisfies Record<string, ResourceEvent[]>;
type Status = keyof typeof history;

function apply(spec: ResourceSpec, options: { createOnly?: boolean; expectedVersion?: number; type?: ResourceType } = {}): ResourceCommand {
  const command = { kind: 'ApplyRecipe' as const, createOnly: options.createOnly ?? false, expectedVersion: options.expectedVersion, ...meta };
  switch (options.type ?? 'job') {
    case 'job':
      return { ...command, type: 'job', spec: storedSpec('job', spec) };
    case 'deployment':
      return { ...command, type: 'deployment', spec: storedSpec('deployment', spec) };
    case 'workspace':
      return { ...command, type: 'workspace', spec: storedSpec('workspace', spec) };
  }
}
function act(kind: 'StartResource' | 'StopResource' | 'RestartResource' | 'DeleteResource', id = job1): ResourceCommand {
  return { kind, id, ...meta };
}
function report(kind: 'ReportRunning' | 'ReportStopped', id = job1): ResourceCommand {
  return { kind, id, ...meta };
}
function reportFailed(reason: string, id = job1): ResourceCommand {
  return { kind: 'ReportFailed', id, reason, ...meta };
}
function setSchedule(schedule: string | null, concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace', id = job1): ResourceCommand {
  return { kind: 'SetJobSchedule', id, schedule, ...(concurrencyPolicy ? { concurrencyPolicy } : {}), ...meta };
}
function schedule(kind: 'SuspendJobSchedule' | 'ResumeJobSchedule', id = job1): ResourceCommand {
  return { kind, id, ...meta };
}

/**
 * given(events).when(command).then(expected): the decider's contract in one line. `then`
 * returns the state after the decided events, and `andReplayDecidesNothing` checks that the
 * same command against that state is a no-op.
 */
function given(events: ResourceEvent[], streamId = JOB_STREAM) {
  return deciderSpec(resourceDecider(streamId))(events);
}

function statusAfter(events: ResourceEvent[]): string | undefined {
  return given(events).state.live?.status;
}

describe('resource identity', () => {
  it('gives each incarnation of a name its own 32-hex-digit id that parses back to the stream', () => {
    // Act
    const address = addressOf(job2);

    // Assess
    expect(job1).toMatch(/^[0-9a-f]{32}$/);
    expect(job2).not.toBe(job1);
    expect(job2.endsWith('00000002')).toBe(true);
    expect(address).toEqual({ streamId: JOB_STREAM, incarnation: 2 });
  });

  it('keys streams by type, owner and name', () => {
    expect(resourceStreamId('job', 'ann', 'train')).toBe(JOB_STREAM);
    expect(resourceStreamId('deployment', 'ann', 'train')).not.toBe(JOB_STREAM);
    expect(resourceStreamId('job', 'bob', 'train')).not.toBe(JOB_STREAM);
    expect(resourceStreamId('job', 'ann', 'train2')).not.toBe(JOB_STREAM);
  });

  it('refuses ids that cannot be ours', () => {
    expect(addressOf('not-an-id')).toBeUndefined();
    expect(addressOf(job1.toUpperCase())).toBeUndefined();
    expect(addressOf(job1.slice(1))).toBeUndefined();
    expect(addressOf(job1.slice(0, 24) + '00000000')).toBeUndefined();
  });
});

describe('resource decider', () => {
  describe('ApplyRecipe', () => {
    it('creates a stopped resource at version 1 on a fresh stream, and applying again changes nothing', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([]).when(apply(jobSpec)).then([created()]);

      // Assess
      expect(state.live).toMatchObject({ id: job1, type: 'job', owner: 'ann', name: 'train', status: 'stopped', spec: jobSpec, createdAt: AT });
      expect(resourceVersion(state)).toBe(1);
      expect(state.address).toEqual({ type: 'job', owner: 'ann', name: 'train' });
      andReplayDecidesNothing();
    });

    it('creates with createOnly when the name is free', () => {
      given([]).when(apply(jobSpec, { createOnly: true })).then([created()], { replayDecidesNothing: false });
    });

    it('updates the spec when it changed, and the same update again changes nothing', () => {
      // Prepare
      const changed = { ...jobSpec, command: 'python train.py --epochs 3' };

      // Act
      const { state, andReplayDecidesNothing } = given(history.stopped).when(apply(changed)).then([ev('ResourceSpecUpdated', { spec: changed })]);

      // Assess
      expect(state.live?.spec).toEqual(changed);
      expect(resourceVersion(state)).toBe(2);
      andReplayDecidesNothing();
    });

    it('decides nothing when the spec is unchanged', () => {
      given(history.running).when(apply({ ...jobSpec })).then([]);
    });

    it('keeps the status when the spec changes', () => {
      const { state } = given(history.running).when(apply({ ...jobSpec, scale: 2 })).then([ev('ResourceSpecUpdated', { spec: { ...jobSpec, scale: 2 } })]);
      expect(state.live?.status).toBe('running');
    });

    it('refuses createOnly when the name is taken, even with the same spec', () => {
      given(history.stopped).when(apply(jobSpec, { createOnly: true })).then(ConflictError);
      given(history.stopped).when(apply({ ...jobSpec, scale: 3 }, { createOnly: true })).then(ConflictError);
    });

    it('refuses an If-Match version that is not the current one', () => {
      given(history.stopped).when(apply({ ...jobSpec, scale: 2 }, { expectedVersion: 2 })).then(ConflictError);
      given(history.running).when(apply({ ...jobSpec, scale: 2 }, { expectedVersion: 1 })).then(ConflictError);
      given([]).when(apply(jobSpec, { expectedVersion: 1 })).then(ConflictError);
    });

    it('applies when the If-Match version is the current one', () => {
      given(history.running).when(apply({ ...jobSpec, scale: 2 }, { expectedVersion: 3 })).then([ev('ResourceSpecUpdated', { spec: { ...jobSpec, scale: 2 } })], { replayDecidesNothing: false });
      given([]).when(apply(jobSpec, { expectedVersion: 0 })).then([created()], { replayDecidesNothing: false });
    });

    it('re-creates a deleted name as incarnation 2 with a new id and version 1', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([created(), deleted]).when(apply(jobSpec)).then([created(2)]);

      // Assess
      expect(state.incarnation).toBe(2);
      expect(state.live?.id).toBe(job2);
      expect(state.live?.id).not.toBe(job1);
      expect(state.live?.firstStreamVersion).toBe(3);
      expect(state.incarnationStarts).toEqual([1, 3]);
      expect(resourceVersion(state)).toBe(1);
      andReplayDecidesNothing();
    });

    it('re-creates a deleted name with createOnly, which a replay then refuses: the name is taken again', () => {
      const { state } = given([created(), deleted]).when(apply(jobSpec, { createOnly: true })).then([created(2)], { replayDecidesNothing: false });
      expect(() => resourceDecider(JOB_STREAM).decide(apply(jobSpec, { createOnly: true }), state)).toThrow(ConflictError);
    });
  });

  describe('StartResource', () => {
    it.each<[Status]>([['stopped'], ['stopping'], ['error']])('asks a %s resource to start, making it pending', (status) => {
      const { state, andReplayDecidesNothing } = given(history[status]).when(act('StartResource')).then([startRequested]);
      expect(state.live?.status).toBe('pending');
      expect(state.live?.reason).toBeNull();
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['pending'], ['running']])('decides nothing for a %s resource', (status) => {
      given(history[status]).when(act('StartResource')).then([]);
    });
  });

  describe('StopResource', () => {
    it.each<[Status]>([['running'], ['pending']])('asks a %s resource to stop, making it stopping', (status) => {
      const { state, andReplayDecidesNothing } = given(history[status]).when(act('StopResource')).then([stopRequested]);
      expect(state.live?.status).toBe('stopping');
      andReplayDecidesNothing();
    });

    it('stops a resource in error at once, since nothing of it runs, and forgets why it failed', () => {
      const { state, andReplayDecidesNothing } = given(history.error).when(act('StopResource')).then([stopRequested]);
      expect(state.live?.status).toBe('stopped');
      expect(state.live?.reason).toBeNull();
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['stopped'], ['stopping']])('decides nothing for a %s resource', (status) => {
      given(history[status]).when(act('StopResource')).then([]);
    });
  });

  describe('RestartResource', () => {
    it.each<[Status]>([['running'], ['pending']])('asks a %s resource to restart', (status) => {
      // A restart is an action: asked again, it restarts again.
      const { state } = given(history[status]).when(act('RestartResource')).then([restartRequested], { replayDecidesNothing: false });
      expect(state.live?.status).toBe('pending');
    });

    it('restarts again when asked again: a restart is an action, not a desired state', () => {
      const { state } = given(history.running).when(act('RestartResource')).then([restartRequested], { replayDecidesNothing: false });
      expect(resourceDecider(JOB_STREAM).decide(act('RestartResource'), state)).toEqual([restartRequested]);
    });

    it.each<[Status]>([['stopped'], ['stopping'], ['error']])('starts a %s resource', (status) => {
      // Once started, a restart restarts it: again an action.
      const { state } = given(history[status]).when(act('RestartResource')).then([startRequested], { replayDecidesNothing: false });
      expect(state.live?.status).toBe('pending');
    });
  });

  describe('DeleteResource', () => {
    it.each<[Status]>([['stopped'], ['pending'], ['running'], ['stopping'], ['error']])('deletes a %s resource, and deleting again is a no-op', (status) => {
      // Act
      const { state, andReplayDecidesNothing } = given(history[status]).when(act('DeleteResource')).then([deleted]);

      // Assess
      expect(state.live).toBeNull();
      expect(resourceVersion(state)).toBe(0);
      // The address stays, so read models can drop the view.
      expect(state.address).toEqual({ type: 'job', owner: 'ann', name: 'train' });
      andReplayDecidesNothing();
    });

    it('decides nothing for an id that is already deleted', () => {
      given([created(), deleted]).when(act('DeleteResource')).then([]);
    });

    it("decides nothing for a previous incarnation's id while the next one lives, and leaves that one alone", () => {
      given([created(), deleted, created(2)]).when(act('DeleteResource', job1)).then([]);
    });

    it('deletes the live incarnation by its own id', () => {
      given([created(), deleted, created(2)]).when(act('DeleteResource', job2)).then([deleted]);
    });

    it('refuses an id of an incarnation that never existed', () => {
      given([created()]).when(act('DeleteResource', job2)).then(NotFoundError);
      given([]).when(act('DeleteResource', job1)).then(NotFoundError);
    });

    it("refuses another stream's id and a malformed id", () => {
      given(history.running).when(act('DeleteResource', workspace1)).then(NotFoundError);
      given(history.running).when(act('DeleteResource', 'nope')).then(NotFoundError);
    });
  });

  describe('commands by id', () => {
    const byId: Array<[string, (id: string) => ResourceCommand]> = [
      ['StartResource', (id) => act('StartResource', id)],
      ['StopResource', (id) => act('StopResource', id)],
      ['RestartResource', (id) => act('RestartResource', id)],
      ['SetJobSchedule', (id) => setSchedule('@daily', undefined, id)],
      ['SuspendJobSchedule', (id) => schedule('SuspendJobSchedule', id)],
      ['ResumeJobSchedule', (id) => schedule('ResumeJobSchedule', id)],
      ['ReportRunning', (id) => report('ReportRunning', id)],
      ['ReportStopped', (id) => report('ReportStopped', id)],
      ['ReportFailed', (id) => reportFailed('oom', id)],
    ];

    it.each(byId)('refuses %s on a deleted resource with a conflict', (_kind, command) => {
      given([created(1, scheduledJobSpec), deleted]).when(command(job1)).then(ConflictError);
    });

    it.each(byId)("refuses %s on a previous incarnation's id with a conflict", (_kind, command) => {
      given([created(1, scheduledJobSpec), deleted, created(2, scheduledJobSpec)]).when(command(job1)).then(ConflictError);
    });

    it.each(byId)("refuses %s on another stream's id as not found", (_kind, command) => {
      given([created(1, scheduledJobSpec)]).when(command(workspace1)).then(NotFoundError);
    });

    it.each(byId)('refuses %s on malformed ids as not found', (_kind, command) => {
      for (const id of ['', 'abc', job1.toUpperCase(), job1 + '0', job1.slice(0, 24) + '00000000']) {
        given([created(1, scheduledJobSpec)]).when(command(id)).then(NotFoundError);
      }
    });

    it.each(byId)('refuses %s on an id whose incarnation is yet to come as not found', (_kind, command) => {
      given([created(1, scheduledJobSpec)]).when(command(job2)).then(NotFoundError);
      given([]).when(command(job1)).then(NotFoundError);
    });
  });

  describe('SetJobSchedule', () => {
    it('sets a schedule on an unscheduled job, keeping its concurrency policy; the same again is a no-op', () => {
      // Act
      const { state, andReplayDecidesNothing } = given([created()])
        .when(setSchedule('0 * * * *'))
        .then([ev('JobScheduleSet', { schedule: '0 * * * *', concurrency_policy: 'Allow' })]);

      // Assess
      expect(liveJob(state).spec.schedule).toBe('0 * * * *');
      expect(liveJob(state).spec.concurrency_policy).toBe('Allow');
      expect(state.live?.spec.command).toBe(jobSpec.command);
      andReplayDecidesNothing();
    });

    it('changes only the concurrency policy', () => {
      const { state, andReplayDecidesNothing } = given([created(1, scheduledJobSpec)])
        .when(setSchedule('0 * * * *', 'Forbid'))
        .then([ev('JobScheduleSet', { schedule: '0 * * * *', concurrency_policy: 'Forbid' })]);
      expect(liveJob(state).spec.concurrency_policy).toBe('Forbid');
      andReplayDecidesNothing();
    });

    it('decides nothing when schedule and policy are what they are', () => {
      given([created(1, scheduledJobSpec)]).when(setSchedule('0 * * * *', 'Allow')).then([]);
      given([created(1, scheduledJobSpec)]).when(setSchedule('0 * * * *')).then([]);
    });

    it('removes the schedule with null, and removing it again is a no-op', () => {
      const { state, andReplayDecidesNothing } = given([created(1, scheduledJobSpec)])
        .when(setSchedule(null))
        .then([ev('JobScheduleSet', { schedule: null, concurrency_policy: 'Allow' })]);
      expect(state.live?.spec).not.toHaveProperty('schedule');
      andReplayDecidesNothing();
    });

    it('decides nothing when clearing the schedule of an unscheduled job', () => {
      given([created()]).when(setSchedule(null)).then([]);
    });

    it('refuses a workspace as not found: it is no job', () => {
      given([created(1, workspaceSpec, 'workspace', WORKSPACE_STREAM)], WORKSPACE_STREAM).when(setSchedule('@daily', undefined, workspace1)).then(NotFoundError);
    });
  });

  describe('SuspendJobSchedule', () => {
    it('suspends a scheduled job, and suspending again is a no-op', () => {
      const { state, andReplayDecidesNothing } = given([created(1, scheduledJobSpec)]).when(schedule('SuspendJobSchedule')).then([ev('JobScheduleSuspended')]);
      expect(liveJob(state).scheduleSuspended).toBe(true);
      expect(liveJob(state).spec.schedule).toBe('0 * * * *');
      andReplayDecidesNothing();
    });

    it('refuses a job without a schedule with a conflict', () => {
      given([created()]).when(schedule('SuspendJobSchedule')).then(ConflictError);
    });

    it('refuses a workspace as not found', () => {
      given([created(1, workspaceSpec, 'workspace', WORKSPACE_STREAM)], WORKSPACE_STREAM).when(schedule('SuspendJobSchedule', workspace1)).then(NotFoundError);
    });
  });

  describe('ResumeJobSchedule', () => {
    it('resumes a suspended schedule, and resuming again is a no-op', () => {
      const { state, andReplayDecidesNothing } = given([created(1, scheduledJobSpec), ev('JobScheduleSuspended')])
        .when(schedule('ResumeJobSchedule'))
        .then([ev('JobScheduleResumed')]);
      expect(liveJob(state).scheduleSuspended).toBe(false);
      andReplayDecidesNothing();
    });

    it('decides nothing for a schedule that is not suspended', () => {
      given([created(1, scheduledJobSpec)]).when(schedule('ResumeJobSchedule')).then([]);
    });

    it('refuses a job without a schedule with a conflict', () => {
      given([created()]).when(schedule('ResumeJobSchedule')).then(ConflictError);
    });

    it('refuses a workspace as not found', () => {
      given([created(1, workspaceSpec, 'workspace', WORKSPACE_STREAM)], WORKSPACE_STREAM).when(schedule('ResumeJobSchedule', workspace1)).then(NotFoundError);
    });
  });

  describe('ReportRunning', () => {
    it('marks a pending resource running; the same report again is a no-op', () => {
      const { state, andReplayDecidesNothing } = given(history.pending).when(report('ReportRunning')).then([becameRunning]);
      expect(state.live?.status).toBe('running');
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['running'], ['stopping'], ['stopped'], ['error']])('ignores the report for a %s resource', (status) => {
      given(history[status]).when(report('ReportRunning')).then([]);
    });
  });

  describe('ReportStopped', () => {
    it.each<[Status]>([['stopping'], ['running']])('marks a %s resource stopped; the same report again is a no-op', (status) => {
      const { state, andReplayDecidesNothing } = given(history[status]).when(report('ReportStopped')).then([becameStopped]);
      expect(state.live?.status).toBe('stopped');
      andReplayDecidesNothing();
    });

    it.each<[Status]>([['stopped'], ['pending']])('decides nothing for a %s resource (a late report of an earlier stop)', (status) => {
      given(history[status]).when(report('ReportStopped')).then([]);
    });

    it('keeps a resource in error, with its reason, when the runtime reports the stop its failure caused', () => {
      const { state } = given(history.error).when(report('ReportStopped')).then([]);
      expect(state.live).toMatchObject({ status: 'error', reason: expect.any(String) });
    });
  });

  describe('ReportFailed', () => {
    it.each<[Status]>([['pending'], ['running'], ['stopping'], ['stopped']])('puts a %s resource in error with the reason; the same report again is a no-op', (status) => {
      const { state, andReplayDecidesNothing } = given(history[status]).when(reportFailed('OutOfMemory')).then([failed('OutOfMemory')]);
      expect(state.live).toMatchObject({ status: 'error', reason: 'OutOfMemory' });
      andReplayDecidesNothing();
    });

    it('records a new reason for a resource already in error', () => {
      const { state } = given(history.error).when(reportFailed('OutOfMemory')).then([failed('OutOfMemory')]);
      expect(state.live?.reason).toBe('OutOfMemory');
    });

    it('decides nothing for the reason already recorded', () => {
      given(history.error).when(reportFailed('image not found')).then([]);
    });
  });

  describe('evolve', () => {
    it('counts every event of every incarnation in the stream version and touches updatedAt', () => {
      // Prepare
      const later = '2025-01-02T00:00:00.000Z';
      const events = [created(), deleted, created(2), { ...startRequested, at: later }];

      // Act
      const state: ResourceState = given(events).state;

      // Assess
      expect(state.streamVersion).toBe(4);
      expect(resourceVersion(state)).toBe(2);
      expect(state.live).toMatchObject({ createdAt: AT, updatedAt: later, status: 'pending' });
    });

    it('leaves the state of a deleted resource alone for events that need a live one', () => {
      expect(statusAfter([created(), deleted, startRequested])).toBeUndefined();
    });
  });
});

describe('SSH sessions of a workspace', () => {
  const givenWorkspace = deciderSpec(resourceDecider(WORKSPACE_STREAM));
  const workspaceCreated = created(1, workspaceSpec, 'workspace', WORKSPACE_STREAM);
  const session = { sessionId: 's1', user: 'bob', from: '10.0.0.9:51234' };
  const started = ev('SshSessionStarted', { session_id: 's1', user: 'bob', from: '10.0.0.9:51234', key_fingerprint: 'SHA256:abc' });

  it('records who opened a session from where, once per session id', () => {
    givenWorkspace([workspaceCreated, startRequested, becameRunning])
      .when({ kind: 'RecordSshSessionStarted', id: workspace1, keyFingerprint: 'SHA256:abc', ...session, ...meta })
      .then([started]);
  });

  it('records its end once, and nothing for a session it never saw start', () => {
    givenWorkspace([workspaceCreated, started]).when({ kind: 'RecordSshSessionEnded', id: workspace1, ...session, ...meta }).then([ev('SshSessionEnded', { session_id: 's1', user: 'bob', from: '10.0.0.9:51234' })]);
    givenWorkspace([workspaceCreated]).when({ kind: 'RecordSshSessionEnded', id: workspace1, ...session, ...meta }).then([]);
  });

  it('leaves updated_at as it was: a session changes nothing of the workspace', () => {
    const later = { ...started, at: '2025-06-01T00:00:00.000Z' };
    const state = givenWorkspace([workspaceCreated, later]).state;
    expect(state.live?.updatedAt).toBe(AT);
  });

  it('refuses a session on a job: only workspaces are SSH targets', () => {
    deciderSpec(resourceDecider(JOB_STREAM))([created()]).when({ kind: 'RecordSshSessionStarted', id: job1, keyFingerprint: 'SHA256:abc', ...session, ...meta }).then(NotFoundError);
  });
});
