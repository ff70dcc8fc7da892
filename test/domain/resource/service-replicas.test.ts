import { liveService } from '../support/live-resource.ts';
import { describe, expect, it } from 'vitest';
import { fold } from '../../../shared/domain/decider.ts';
import { NotFoundError } from '../../../shared/domain/errors.ts';
import type { DeploymentSpec, JobSpec, ResourceSpec, WorkspaceSpec } from '../../../shared/domain/recipe/spec-types.ts';
import type { ResourceType } from '../../../shared/domain/recipe/spec-schemas.ts';
import { resourceDecider, type ResourceCommand, type ResourceState } from '../../../shared/domain/resource/resource-decider.ts';
import { resourceId, resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import { ENDED_PODS_KEPT } from '../../../shared/domain/resource/service-replicas.ts';
import { eventSchema } from '../../../events/event-schemas.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';

const AT = '2025-01-01T00:00:00.000Z';
const meta = { at: AT, actor: 'system:runtime' };

const DEPLOYMENT = resourceStreamId('deployment', 'ann', 'api');
const WORKSPACE = resourceStreamId('workspace', 'ann', 'lab');
const JOB = resourceStreamId('job', 'ann', 'train');
const deploymentId = resourceId(DEPLOYMENT, 1);
const workspaceId = resourceId(WORKSPACE, 1);
const jobId = resourceId(JOB, 1);

const deploymentSpec: DeploymentSpec = { name: 'api', owner: 'ann', command: 'python serve.py', scale: 2, image: 'python:3.12', instance_type: 'medium', healthcheck: '/', subdomain: 'api-ann' };
const workspaceSpec: WorkspaceSpec = { name: 'lab', owner: 'ann', ide: 'jupyter', auto_shutoff: '1 hour', image: 'jupyter', instance_type: 'medium', disk_space: '10Gi' };
const jobSpec: JobSpec = { name: 'train', owner: 'ann', command: 'python train.py', image: 'python:3.12', instance_type: 'medium', scale: 1, concurrency_policy: 'Allow', retries: 0, schedule_timezone: 'UTC' };

function ev<T extends ResourceEvent['type']>(type: T, data: Extract<ResourceEvent, { type: T }>['data'] = {} as never): ResourceEvent {
  return { type, data, ...meta } as ResourceEvent;
}
function created(type: ResourceType, streamId: string, spec: ResourceSpec): ResourceEvent {
  return ev('ResourceCreated', { id: resourceId(streamId, 1), type, owner: 'ann', name: spec.name, incarnation: 1, spec });
}

const deploymentStarted = [created('deployment', DEPLOYMENT, deploymentSpec), ev('ResourceStartRequested')];
const deploymentServing = [...deploymentStarted, ev('ServiceRolledOut', { revision: 1 })];

function stateAfter(events: ResourceEvent[], streamId = DEPLOYMENT): ResourceState {
  const decider = resourceDecider(streamId);
  return fold(decider, decider.initialState, events);
}

/** Decides, checks every decided event against the catalog, and returns the events and the state after them. */
function decide(events: ResourceEvent[], command: ResourceCommand, streamId = DEPLOYMENT) {
  const decider = resourceDecider(streamId);
  const state = stateAfter(events, streamId);
  const decided = decider.decide(command, state);
  for (const e of decided) expect(eventSchema(e.type)!.safeParse(e.data).success).toBe(true);
  const next = fold(decider, state, decided);
  return { decided, next, replay: () => decider.decide(command, next) };
}

const replica = (kind: 'ReportReplicaStarted' | 'ReportReplicaReady', pod: string, revision = 1): ResourceCommand => ({ kind, id: deploymentId, pod, revision, ...meta });
const exited = (pod: string, exitCode: number | null, revision = 1): ResourceCommand => ({
  kind: 'ReportReplicaExited',
  id: deploymentId,
  pod,
  revision,
  exitCode,
  reason: exitCode === null ? 'stopped by the platform' : `exited with code ${exitCode}`,
  ...meta,
});

describe('service revisions', () => {
  it('a start asks for revision 1; a spec change while running asks for the next one', () => {
    expect(liveService(stateAfter(deploymentStarted)).service.revision).toBe(1);
    const updated = stateAfter([...deploymentServing, ev('ResourceSpecUpdated', { spec: { ...deploymentSpec, command: 'python serve2.py' } })]);
    expect(liveService(updated).service).toMatchObject({ revision: 2, servingRevision: 1 });
    expect(updated.live?.status).toBe('running');
  });

  it('a spec change while stopped waits for the next start', () => {
    const state = stateAfter([created('deployment', DEPLOYMENT, deploymentSpec), ev('ResourceSpecUpdated', { spec: { ...deploymentSpec, scale: 3 } })]);
    expect(liveService(state).service.revision).toBe(0);
  });

  it('jobs have no service state, and service reports about them are refused', () => {
    const events = [created('job', JOB, jobSpec), ev('ResourceStartRequested')];
    expect(stateAfter(events, JOB).live).not.toHaveProperty('service');
    expect(() => decide(events, { kind: 'ReportRolledOut', id: jobId, revision: 1, ...meta }, JOB)).toThrow(NotFoundError);
  });
});

describe('ReportRolledOut', () => {
  it('makes a pending deployment running at that revision; repeated, it decides nothing', () => {
    const { decided, next, replay } = decide(deploymentStarted, { kind: 'ReportRolledOut', id: deploymentId, revision: 1, ...meta });
    expect(decided).toEqual([ev('ServiceRolledOut', { revision: 1 })]);
    expect(next.live).toMatchObject({ status: 'running', service: { servingRevision: 1 } });
    expect(replay()).toEqual([]);
  });

  it('ignores a late report about an older revision', () => {
    const events = [...deploymentServing, ev('ResourceRestartRequested')];
    expect(decide(events, { kind: 'ReportRolledOut', id: deploymentId, revision: 1, ...meta }).decided).toEqual([]);
  });

  it('ignores a report for a stopping deployment', () => {
    const events = [...deploymentServing, ev('ResourceStopRequested')];
    expect(decide(events, { kind: 'ReportRolledOut', id: deploymentId, revision: 1, ...meta }).decided).toEqual([]);
  });
});

describe('ReportRolledBack', () => {
  const updated = [...deploymentServing, ev('ResourceSpecUpdated', { spec: { ...deploymentSpec, command: 'false' } })];

  it('keeps the deployment running on the old revision, with the reason; repeated, it decides nothing', () => {
    const { decided, next, replay } = decide(updated, { kind: 'ReportRolledBack', id: deploymentId, revision: 2, reason: 'no replica passed its health check', ...meta });
    expect(decided).toEqual([ev('ServiceRolledBack', { revision: 2, reason: 'no replica passed its health check' })]);
    expect(next.live).toMatchObject({ status: 'running', reason: 'revision 2 was rolled back: no replica passed its health check', service: { servingRevision: 1 } });
    expect(replay()).toEqual([]);
  });

  it('a later successful rollout clears the reason', () => {
    const rolledBack = [...updated, ev('ServiceRolledBack', { revision: 2, reason: 'x' }), ev('ResourceSpecUpdated', { spec: deploymentSpec })];
    const { next } = decide(rolledBack, { kind: 'ReportRolledOut', id: deploymentId, revision: 3, ...meta });
    expect(next.live).toMatchObject({ status: 'running', reason: null, service: { servingRevision: 3 } });
  });
});

describe('ReportFailed with a revision', () => {
  it('puts the deployment in error when the current revision fails', () => {
    const { decided, next } = decide(deploymentStarted, { kind: 'ReportFailed', id: deploymentId, revision: 1, reason: 'crash loop', ...meta });
    expect(decided).toEqual([ev('ResourceFailed', { reason: 'crash loop', revision: 1 })]);
    expect(next.live).toMatchObject({ status: 'error', reason: 'crash loop' });
  });

  it('ignores a failure of an older revision and a failure after a stop', () => {
    const restarted = [...deploymentServing, ev('ResourceRestartRequested')];
    expect(decide(restarted, { kind: 'ReportFailed', id: deploymentId, revision: 1, reason: 'old', ...meta }).decided).toEqual([]);
    const stopped = [...deploymentServing, ev('ResourceStopRequested'), ev('ResourceBecameStopped')];
    expect(decide(stopped, { kind: 'ReportFailed', id: deploymentId, revision: 1, reason: 'late', ...meta }).decided).toEqual([]);
  });
});

describe('replica reports', () => {
  it('record pods through start, ready and exit; each repeated report decides nothing', () => {
    let events = deploymentStarted;
    for (const command of [replica('ReportReplicaStarted', 'p1'), replica('ReportReplicaReady', 'p1'), exited('p1', 137)]) {
      const { decided, next, replay } = decide(events, command);
      expect(decided).toHaveLength(1);
      expect(replay()).toEqual([]);
      events = [...events, ...decided];
      void next;
    }
    expect(liveService(stateAfter(events)).service.pods).toEqual([
      { name: 'p1', revision: 1, status: 'failed', startedAt: AT, endedAt: AT, lastSeen: AT, exitCode: 137, reason: 'exited with code 137' },
    ]);
  });

  it('a pod the platform stopped, or that exited 0, ended as stopped; one killed or exiting non-zero failed', () => {
    const pods = ['p1', 'p2', 'p3', 'p4'];
    const after = stateAfter([
      ...deploymentStarted,
      ...pods.flatMap((pod) => [ev('ReplicaStarted', { pod, revision: 1 }), ev('ReplicaReady', { pod, revision: 1 })]),
      ev('ReplicaExited', { pod: 'p1', revision: 1, exit_code: null, reason: 'replaced by revision 2', stopped_by_platform: true }),
      ev('ReplicaExited', { pod: 'p2', revision: 1, exit_code: 0, reason: 'exited with code 0' }),
      ev('ReplicaExited', { pod: 'p3', revision: 1, exit_code: null, reason: 'killed by SIGKILL' }),
      ev('ReplicaExited', { pod: 'p4', revision: 1, exit_code: 3, reason: 'exited with code 3' }),
    ]);
    expect(liveService(after).service.pods.map((p) => [p.name, p.status])).toEqual([
      ['p4', 'failed'],
      ['p3', 'failed'],
      ['p2', 'stopped'],
      ['p1', 'stopped'],
    ]);
  });

  it('records that the platform stopped a pod', () => {
    const command: ResourceCommand = { ...(exited('p1', null) as Extract<ResourceCommand, { kind: 'ReportReplicaExited' }>), stoppedByPlatform: true };
    expect(decide(deploymentStarted, command).decided).toEqual([
      ev('ReplicaExited', { pod: 'p1', revision: 1, exit_code: null, reason: 'stopped by the platform', stopped_by_platform: true }),
    ]);
  });

  it('records an exit whose start report was lost', () => {
    const { decided } = decide(deploymentStarted, exited('lost', 1));
    expect(decided).toEqual([ev('ReplicaExited', { pod: 'lost', revision: 1, exit_code: 1, reason: 'exited with code 1' })]);
  });

  it('keeps every live pod and only the newest ended ones', () => {
    const many: ResourceEvent[] = [];
    for (let i = 0; i < ENDED_PODS_KEPT + 10; i++) {
      many.push(ev('ReplicaStarted', { pod: `p${i}`, revision: 1 }), ev('ReplicaExited', { pod: `p${i}`, revision: 1, exit_code: 1, reason: 'crash' }));
    }
    many.push(ev('ReplicaStarted', { pod: 'live', revision: 1 }));
    const pods = liveService(stateAfter([...deploymentStarted, ...many])).service.pods;
    expect(pods).toHaveLength(ENDED_PODS_KEPT + 1);
    expect(pods[0]!.name).toBe('live');
    expect(pods[1]!.name).toBe(`p${ENDED_PODS_KEPT + 9}`);
  });

  it('a stopped service has no live pod left, even one whose exit was never reported', () => {
    const events = [...deploymentServing, ev('ReplicaStarted', { pod: 'p1', revision: 1 }), ev('ResourceStopRequested'), ev('ResourceBecameStopped')];
    const state = stateAfter(events);
    expect(liveService(state).service.pods[0]).toMatchObject({ name: 'p1', status: 'stopped', endedAt: AT });
    expect(liveService(state).service.servingRevision).toBeNull();
  });
});

describe('ReportIdle', () => {
  const running = [created('workspace', WORKSPACE, workspaceSpec), ev('ResourceStartRequested'), ev('ServiceRolledOut', { revision: 1 })];
  const idle: ResourceCommand = { kind: 'ReportIdle', id: workspaceId, idleSeconds: 3600, ...meta };

  it('stops a running workspace with a reason saying why; repeated, it decides nothing', () => {
    const { decided, next, replay } = decide(running, idle, WORKSPACE);
    expect(decided).toEqual([ev('ResourceStopRequested', { reason: 'auto_shutoff: no request or open connection for 1 h (auto_shutoff is 1 hour)' })]);
    expect(next.live?.status).toBe('stopping');
    expect(replay()).toEqual([]);
  });

  it('never stops a deployment', () => {
    expect(decide(deploymentServing, { ...idle, id: deploymentId }).decided).toEqual([]);
  });

  it('does nothing for a workspace that is still starting', () => {
    expect(decide(running.slice(0, 2), idle, WORKSPACE).decided).toEqual([]);
  });
});

describe('a replica reachable without the proxy (issue 19 item 6)', () => {
  const exposed = (pod: string, addresses: string[]): ResourceCommand => ({ kind: 'ReportReplicaExposed', id: deploymentId, pod, revision: 1, addresses, ...meta });
  const running = [...deploymentServing, ev('ReplicaStarted', { pod: 'p1', revision: 1 })];

  it('records where a live replica listens beyond loopback, once', () => {
    const { decided, next, replay } = decide(running, exposed('p1', ['0.0.0.0:41234']));
    expect(decided).toEqual([ev('ReplicaExposed', { pod: 'p1', revision: 1, addresses: ['0.0.0.0:41234'] })]);
    expect(liveService(next).service.pods[0]?.exposedOn).toEqual(['0.0.0.0:41234']);
    expect(replay()).toEqual([]);
  });

  it('records nothing for an unknown or ended replica, or without an address', () => {
    expect(decide(running, exposed('p2', ['0.0.0.0:1'])).decided).toEqual([]);
    expect(decide([...running, ev('ReplicaExited', { pod: 'p1', revision: 1, exit_code: 0, reason: 'done' })], exposed('p1', ['0.0.0.0:1'])).decided).toEqual([]);
    expect(decide(running, exposed('p1', [])).decided).toEqual([]);
  });
});
