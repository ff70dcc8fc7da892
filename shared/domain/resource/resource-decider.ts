/**
 * The resource aggregate: a workspace, deployment or job through its lifecycle.
 *
 * Status is desired state meeting observed state: `start` asks for it to run (`pending` until
 * the runtime reports `running`), `stop` asks for it to stop (`stopping` until the runtime
 * reports `stopped`). Commands that would change nothing decide no events, which is what
 * makes retried requests harmless.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';
import type { ResourceType } from '../recipe/spec-schemas.ts';
import type { NormalizedSpec } from '../recipe/recipe.ts';
import { addressOf, resourceId } from './resource-identity.ts';
import { decideJobRun, evolveJobRuns, NO_RUNS, runForKey, type JobRunCommand, type JobRuns } from './job-runs.ts';
import { decideReplica, endLivePods, evolveReplicas, NO_SERVICE, type ReplicaCommand, type ServiceState } from './service-replicas.ts';
import { decideDaskScale, scaleSurvives } from './dask-cluster.ts';

export type ResourceStatus = 'pending' | 'running' | 'stopping' | 'stopped' | 'error';

/** Whether a resource is started: asked to start (pending) or serving (running). */
export function isActive(live: { status: ResourceStatus }): boolean {
  return live.status === 'pending' || live.status === 'running';
}
export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

export interface LiveResource {
  id: string;
  type: ResourceType;
  owner: string;
  name: string;
  spec: NormalizedSpec;
  status: ResourceStatus;
  /** Why the resource is in `error`, as the runtime reported it. */
  reason: string | null;
  scheduleSuspended: boolean;
  /** Jobs only: their active runs, recent idempotency keys and last outcome. */
  runs: JobRuns | null;
  /** Deployments and workspaces only: revisions and replicas as the runtime reported them. */
  service: ServiceState | null;
  createdAt: string;
  updatedAt: string;
  /** Stream version of this incarnation's ResourceCreated. */
  firstStreamVersion: number;
  /** Dask workers asked for through the API (`DaskClusterScaled`); absent or null: the spec's `num_workers`. */
  daskScaledTo?: number | null;
  /** Workspaces only: the SSH sessions open now, by session id (absent: none). */
  sshSessions?: string[];
}

export interface ResourceState {
  streamId: string;
  /** Events in the stream so far, all incarnations together. */
  streamVersion: number;
  /** Incarnations created so far; the live one, if any, is the last. */
  incarnation: number;
  /** Stream versions at which each incarnation started (index 0 is incarnation 1). */
  incarnationStarts: number[];
  /** Type, owner and name of the stream, kept after a delete so read models can drop it. */
  address: { type: ResourceType; owner: string; name: string } | null;
  live: LiveResource | null;
}


export type ResourceCommand =
  | (CommandMeta & {
      kind: 'ApplyRecipe';
      type: ResourceType;
      spec: NormalizedSpec;
      /** `POST /api/recipes`: refuse when the name is taken. */
      createOnly: boolean;
      /** `If-Match`: the version the caller last saw. */
      expectedVersion?: number;
    })
  | (CommandMeta & { kind: 'StartResource' | 'RestartResource' | 'DeleteResource'; id: string })
  | (CommandMeta & { kind: 'StopResource'; id: string; reason?: string })
  | (CommandMeta & { kind: 'SetJobSchedule'; id: string; schedule: string | null; concurrencyPolicy?: ConcurrencyPolicy })
  | (CommandMeta & { kind: 'SuspendJobSchedule' | 'ResumeJobSchedule'; id: string })
  | (CommandMeta & { kind: 'ReportRunning' | 'ReportStopped'; id: string })
  /** `revision`: the service revision that failed; a report about an older one changes nothing. */
  | (CommandMeta & { kind: 'ReportFailed'; id: string; reason: string; revision?: number })
  | (CommandMeta & { kind: 'ReportRolledOut'; id: string; revision: number })
  | (CommandMeta & { kind: 'ReportRolledBack'; id: string; revision: number; reason: string })
  /** The runtime saw no request or connection for `idleSeconds`: a workspace past its auto_shutoff stops. */
  | (CommandMeta & { kind: 'ReportIdle'; id: string; idleSeconds: number })
  /** `POST /api/{kind}/{id}/dask/scale`. */
  | (CommandMeta & { kind: 'ScaleDaskCluster'; id: string; numWorkers: number })
  /** The SSH endpoint opened or closed a session into a workspace (ssh-session.ts decides who may). */
  | (CommandMeta & { kind: 'RecordSshSessionStarted'; id: string; sessionId: string; user: string; from: string; keyFingerprint: string })
  | (CommandMeta & { kind: 'RecordSshSessionEnded'; id: string; sessionId: string; user: string; from: string })
  | ReplicaCommand
  | JobRunCommand;

export function initialResourceState(streamId: string): ResourceState {
  return { streamId, streamVersion: 0, incarnation: 0, incarnationStarts: [], address: null, live: null };
}

/** The version clients see: events of this incarnation so far, starting at 1. */
export function resourceVersion(state: ResourceState): number {
  return state.live ? state.streamVersion - state.live.firstStreamVersion + 1 : 0;
}

function event<E extends ResourceEvent>(type: E['type'], data: E['data'], meta: CommandMeta): ResourceEvent {
  return { type, data, at: meta.at, actor: meta.actor } as ResourceEvent;
}

function decideApply(command: Extract<ResourceCommand, { kind: 'ApplyRecipe' }>, state: ResourceState): ResourceEvent[] {
  const live = state.live;
  if (command.expectedVersion !== undefined && command.expectedVersion !== resourceVersion(state)) {
    throw new ConflictError(
      `The ${command.type} is at version ${resourceVersion(state)}, not ${command.expectedVersion}; fetch it again and re-apply your change.`,
    );
  }
  if (!live) {
    const incarnation = state.incarnation + 1;
    return [
      event(
        'ResourceCreated',
        { id: resourceId(state.streamId, incarnation), type: command.type, owner: command.spec.owner, name: command.spec.name, incarnation, spec: command.spec },
        command,
      ),
    ];
  }
  if (command.createOnly) {
    throw new ConflictError(`A ${command.type} named "${command.spec.name}" already exists for ${command.spec.owner}; choose another name or apply with PUT.`);
  }
  if (isDeepStrictEqual(live.spec, command.spec)) return [];
  return [event('ResourceSpecUpdated', { spec: command.spec }, command)];
}

/** The live resource a command names by id, or the error a client should see. */
function target(state: ResourceState, id: string): LiveResource {
  const address = addressOf(id);
  if (!address || address.streamId !== state.streamId || address.incarnation > state.incarnation) {
    throw new NotFoundError(`No resource with id ${id}.`);
  }
  if (!state.live || state.live.id !== id) throw new ConflictError(`Resource ${id} was deleted; apply its recipe again to create a new one.`);
  return state.live;
}

function decide(command: ResourceCommand, state: ResourceState): ResourceEvent[] {
  if (command.kind === 'ApplyRecipe') return decideApply(command, state);
  if (command.kind === 'DeleteResource' && state.live?.id !== command.id && addressOf(command.id)?.streamId === state.streamId) {
    // Deleting what is already deleted is a no-op, so a retried DELETE succeeds.
    const address = addressOf(command.id)!;
    if (address.incarnation <= state.incarnation) return [];
  }
  const live = target(state, command.id);
  const { status } = live;
  switch (command.kind) {
    case 'StartResource':
      return status === 'pending' || status === 'running' ? [] : [event('ResourceStartRequested', {}, command)];
    case 'StopResource':
      return status === 'stopped' || status === 'stopping' ? [] : [event('ResourceStopRequested', command.reason ? { reason: command.reason } : {}, command)];
    case 'RestartResource':
      return status === 'pending' || status === 'running'
        ? [event('ResourceRestartRequested', {}, command)]
        : [event('ResourceStartRequested', {}, command)];
    case 'DeleteResource': {
      const activeRuns = live.runs?.active.map((r) => r.id) ?? [];
      return [event('ResourceDeleted', activeRuns.length > 0 ? { active_runs: activeRuns } : {}, command)];
    }
    case 'SetJobSchedule': {
      requireJob(live);
      const concurrency_policy = command.concurrencyPolicy ?? (live.spec.concurrency_policy as ConcurrencyPolicy);
      if (live.spec.schedule === (command.schedule ?? undefined) && live.spec.concurrency_policy === concurrency_policy) return [];
      return [event('JobScheduleSet', { schedule: command.schedule, concurrency_policy }, command)];
    }
    case 'SuspendJobSchedule':
      requireJob(live);
      if (!live.spec.schedule) throw new ConflictError(`Job ${live.name} has no schedule to suspend; set one with PATCH /api/jobs/${live.id}.`);
      return live.scheduleSuspended ? [] : [event('JobScheduleSuspended', {}, command)];
    case 'ResumeJobSchedule':
      requireJob(live);
      if (!live.spec.schedule) throw new ConflictError(`Job ${live.name} has no schedule to resume; set one with PATCH /api/jobs/${live.id}.`);
      return live.scheduleSuspended ? [event('JobScheduleResumed', {}, command)] : [];
    case 'ReportRunning':
      return status === 'pending' ? [event('ResourceBecameRunning', {}, command)] : [];
    case 'ReportStopped':
      // A stop report that arrives after a new start is about the old one. One that follows a
      // failure is the failure's own stop (nothing runs of a resource in error): the error and its
      // reason stand until someone stops or starts the resource.
      return status === 'stopped' || status === 'pending' || status === 'error' ? [] : [event('ResourceBecameStopped', {}, command)];
    case 'ReportFailed':
      if (command.revision !== undefined) {
        const current = command.revision === live.service?.revision && (status === 'pending' || status === 'running');
        return current ? [event('ResourceFailed', { reason: command.reason, revision: command.revision }, command)] : [];
      }
      return status === 'error' && live.reason === command.reason ? [] : [event('ResourceFailed', { reason: command.reason }, command)];
    case 'ReportRolledOut': {
      const service = requireService(live);
      if (command.revision !== service.revision || !(status === 'pending' || status === 'running')) return [];
      if (status === 'running' && service.servingRevision === command.revision) return [];
      return [event('ServiceRolledOut', { revision: command.revision }, command)];
    }
    case 'ReportRolledBack': {
      const service = requireService(live);
      if (command.revision !== service.revision || !(status === 'pending' || status === 'running')) return [];
      if (service.rolledBackRevision === command.revision) return [];
      return [event('ServiceRolledBack', { revision: command.revision, reason: command.reason }, command)];
    }
    case 'ReportIdle': {
      requireService(live);
      if (live.type !== 'workspace' || status !== 'running') return [];
      const shutoff = live.spec.auto_shutoff as string | undefined;
      const reason = `auto_shutoff: no request or open connection for ${formatIdle(command.idleSeconds)}${shutoff ? ` (auto_shutoff is ${shutoff})` : ''}`;
      return [event('ResourceStopRequested', { reason }, command)];
    }
    case 'ScaleDaskCluster': {
      const scaled = decideDaskScale({ id: live.id, spec: live.spec, scaledTo: live.daskScaledTo, numWorkers: command.numWorkers });
      return scaled ? [event('DaskClusterScaled', scaled, command)] : [];
    }
    case 'RecordSshSessionStarted':
      if (live.type !== 'workspace') throw new NotFoundError(`No workspace with id ${live.id}.`);
      if (live.sshSessions?.includes(command.sessionId)) return [];
      return [event('SshSessionStarted', { session_id: command.sessionId, user: command.user, from: command.from, key_fingerprint: command.keyFingerprint }, command)];
    case 'RecordSshSessionEnded':
      if (!live.sshSessions?.includes(command.sessionId)) return [];
      return [event('SshSessionEnded', { session_id: command.sessionId, user: command.user, from: command.from }, command)];
    case 'ReportReplicaStarted':
    case 'ReportReplicaReady':
    case 'ReportReplicaExposed':
    case 'ReportReplicaExited':
      return decideReplica(command, requireService(live));
    case 'RequestJobRun':
    case 'RecordJobRunFinished': {
      requireJob(live);
      const repeated = command.kind === 'RequestJobRun' && command.idempotencyKey && runForKey(live.runs ?? NO_RUNS, command.idempotencyKey, command.at);
      if (command.kind === 'RequestJobRun' && command.trigger === 'api' && status === 'stopping' && !repeated) {
        throw new ConflictError(`Job ${live.name} is stopping; start a run once its runs have ended.`);
      }
      return decideJobRun(command, live.runs ?? NO_RUNS, {
        schedule: live.spec.schedule as string | undefined,
        scheduleSuspended: live.scheduleSuspended,
        concurrencyPolicy: (live.spec.concurrency_policy as ConcurrencyPolicy) ?? 'Allow',
        retries: (live.spec.retries as number | undefined) ?? 0,
        stopping: status === 'stopping',
      });
    }
  }
}

/** A job is running while it has active runs; stopping ends once the last one has. */
function jobStatus(live: LiveResource, runs: JobRuns): ResourceStatus {
  if (runs.active.length > 0) return live.status === 'stopping' ? 'stopping' : 'running';
  return 'stopped';
}

function requireService(live: LiveResource): ServiceState {
  if (!live.service) throw new NotFoundError(`No deployment or workspace with id ${live.id}.`);
  return live.service;
}

function formatIdle(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A deployment or workspace asked to run a new revision: a start, a restart, or a spec change while it runs. */
function nextRevision(live: LiveResource): LiveResource['service'] {
  return live.service ? { ...live.service, revision: live.service.revision + 1, rolledBackRevision: null } : null;
}

function requireJob(live: LiveResource): void {
  if (live.type !== 'job') throw new NotFoundError(`No job with id ${live.id}.`);
}

function evolve(state: ResourceState, e: ResourceEvent): ResourceState {
  const streamVersion = state.streamVersion + 1;
  const next: ResourceState = { ...state, streamVersion };
  if (e.type === 'ResourceCreated') {
    return {
      ...next,
      incarnation: e.data.incarnation,
      incarnationStarts: [...state.incarnationStarts, streamVersion],
      address: { type: e.data.type, owner: e.data.owner, name: e.data.name },
      live: {
        id: e.data.id,
        type: e.data.type,
        owner: e.data.owner,
        name: e.data.name,
        spec: e.data.spec as NormalizedSpec,
        status: 'stopped',
        reason: null,
        scheduleSuspended: false,
        runs: e.data.type === 'job' ? NO_RUNS : null,
        service: e.data.type === 'job' ? null : NO_SERVICE,
        createdAt: e.at,
        updatedAt: e.at,
        firstStreamVersion: streamVersion,
      },
    };
  }
  const live = state.live;
  if (!live) return next;
  const touched = { ...live, updatedAt: e.at };
  switch (e.type) {
    case 'ResourceSpecUpdated': {
      const active = live.status === 'pending' || live.status === 'running';
      const spec = e.data.spec as NormalizedSpec;
      const daskScaledTo = scaleSurvives(live.spec, spec) ? (live.daskScaledTo ?? null) : null;
      return { ...next, live: { ...touched, spec, service: active ? nextRevision(live) : live.service, daskScaledTo } };
    }
    case 'ResourceStartRequested':
    case 'ResourceRestartRequested':
      return { ...next, live: { ...touched, status: 'pending', reason: null, service: nextRevision(live) } };
    case 'ResourceStopRequested':
      // Nothing runs for a resource in error, so there is nothing to wait for.
      return { ...next, live: { ...touched, status: live.status === 'error' ? 'stopped' : 'stopping', reason: null } };
    case 'ResourceBecameRunning':
      return { ...next, live: { ...touched, status: 'running', reason: null } };
    case 'ResourceBecameStopped': {
      const service = live.service ? { ...endLivePods(live.service, e.at, 'the service stopped'), servingRevision: null } : null;
      return { ...next, live: { ...touched, status: 'stopped', reason: null, service } };
    }
    case 'ResourceFailed': {
      const service = live.service && e.data.revision !== undefined ? { ...live.service, servingRevision: null } : live.service;
      return { ...next, live: { ...touched, status: 'error', reason: e.data.reason, service } };
    }
    case 'ServiceRolledOut':
      return { ...next, live: { ...touched, status: 'running', reason: null, service: { ...live.service!, servingRevision: e.data.revision } } };
    case 'ServiceRolledBack':
      return {
        ...next,
        live: { ...touched, status: 'running', reason: `revision ${e.data.revision} was rolled back: ${e.data.reason}`, service: { ...live.service!, rolledBackRevision: e.data.revision } },
      };
    case 'ReplicaStarted':
    case 'ReplicaReady':
    case 'ReplicaExposed':
    case 'ReplicaExited':
      return { ...next, live: { ...touched, service: evolveReplicas(live.service ?? NO_SERVICE, e) } };
    case 'ResourceDeleted':
      return { ...next, live: null };
    case 'JobScheduleSet': {
      const { schedule: _old, ...rest } = live.spec;
      const spec = { ...rest, ...(e.data.schedule ? { schedule: e.data.schedule } : {}), concurrency_policy: e.data.concurrency_policy };
      return { ...next, live: { ...touched, spec: spec as NormalizedSpec } };
    }
    case 'JobScheduleSuspended':
      return { ...next, live: { ...touched, scheduleSuspended: true } };
    case 'DaskClusterScaled':
      return { ...next, live: { ...touched, daskScaledTo: e.data.num_workers } };
    case 'JobScheduleResumed':
      return { ...next, live: { ...touched, scheduleSuspended: false } };
    // A session is an audit fact, not a change to the resource: updated_at stays.
    case 'SshSessionStarted':
      return { ...next, live: { ...live, sshSessions: [...(live.sshSessions ?? []), e.data.session_id] } };
    case 'SshSessionEnded':
      return { ...next, live: { ...live, sshSessions: (live.sshSessions ?? []).filter((id) => id !== e.data.session_id) } };
    case 'JobRunRequested':
    case 'JobTickSkipped':
    case 'JobRunFinished': {
      const runs = evolveJobRuns(live.runs ?? NO_RUNS, e);
      return { ...next, live: { ...touched, runs, status: jobStatus(live, runs) } };
    }
  }
}

/** The decider for one resource stream; its initial state needs the stream id. */
export function resourceDecider(streamId: string): Decider<ResourceCommand, ResourceEvent, ResourceState> {
  return { initialState: initialResourceState(streamId), decide, evolve };
}
