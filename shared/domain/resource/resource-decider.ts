/**
 * The resource aggregate: a workspace, deployment or job through its lifecycle.
 *
 * Status is desired state meeting observed state: `start` asks for it to run (`pending` until
 * the runtime reports `running`), `stop` asks for it to stop (`stopping` until the runtime
 * reports `stopped`). Commands that would change nothing decide no events, which is what
 * makes retried requests harmless.
 */
import { isDeepStrictEqual } from 'node:util';
import { eventsOf, type CommandMeta, type Decider } from '../decider.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';
import type { ResourceType } from '../recipe/spec-schemas.ts';
import type { ConcurrencyPolicy, DeploymentSpec, JobSpec, TypedSpec, WorkspaceSpec } from '../recipe/spec-types.ts';
import { storedSpec } from '../recipe/stored-spec.ts';
import { addressOf, resourceId } from './resource-identity.ts';
import { decideJobRun, evolveJobRuns, NO_RUNS, runForKey, type JobRunCommand, type JobRuns } from './job-runs.ts';
import { decideReplica, endLivePods, evolveReplicas, NO_SERVICE, type ReplicaCommand, type ServiceState } from './service-replicas.ts';
import { decideDaskScale, scaleSurvives } from './dask-cluster.ts';

export type ResourceStatus = 'pending' | 'running' | 'stopping' | 'stopped' | 'error';

/** Whether a resource is started: asked to start (pending) or serving (running). */
export function isActive(live: { status: ResourceStatus }): boolean {
  return live.status === 'pending' || live.status === 'running';
}
export type { ConcurrencyPolicy };

/** What every live resource has, whatever its type. */
interface LiveCommon {
  id: string;
  owner: string;
  name: string;
  status: ResourceStatus;
  /** Why the resource is in `error`, as the runtime reported it. */
  reason: string | null;
  createdAt: string;
  updatedAt: string;
  /** Stream version of this incarnation's ResourceCreated. */
  firstStreamVersion: number;
  /** Dask workers asked for through the API (`DaskClusterScaled`); absent or null: the spec's `num_workers`. */
  daskScaledTo?: number | null;
  /** Workspaces only: the SSH sessions open now, by session id (absent: none). */
  sshSessions?: string[];
  /** Workspaces only: when an SSH session last started or ended (absent: never); activity for auto_shutoff. */
  sshActiveAt?: string;
}

export interface LiveWorkspace extends LiveCommon {
  type: 'workspace';
  spec: WorkspaceSpec;
  /** Revisions and replicas as the runtime reported them. */
  service: ServiceState;
}

export interface LiveDeployment extends LiveCommon {
  type: 'deployment';
  spec: DeploymentSpec;
  /** Revisions and replicas as the runtime reported them. */
  service: ServiceState;
}

export interface LiveJob extends LiveCommon {
  type: 'job';
  spec: JobSpec;
  scheduleSuspended: boolean;
  /** Active runs, recent idempotency keys and the last outcome. */
  runs: JobRuns;
}

/** A served resource: a deployment or a workspace. */
export type LiveService = LiveWorkspace | LiveDeployment;
/** A live resource; narrow it by `type` to reach what only its type has. */
export type LiveResource = LiveService | LiveJob;

/** The replicas and revisions of a served resource; null for a job. */
export function serviceOf(live: LiveResource): ServiceState | null {
  return live.type === 'job' ? null : live.service;
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
  | (CommandMeta &
      TypedSpec & {
        kind: 'ApplyRecipe';
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

const event = eventsOf<ResourceEvent>();

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
      const activeRuns = live.type === 'job' ? live.runs.active.map((r) => r.id) : [];
      return [event('ResourceDeleted', activeRuns.length > 0 ? { active_runs: activeRuns } : {}, command)];
    }
    case 'SetJobSchedule': {
      const job = requireJob(live);
      const concurrency_policy = command.concurrencyPolicy ?? job.spec.concurrency_policy;
      if (job.spec.schedule === (command.schedule ?? undefined) && job.spec.concurrency_policy === concurrency_policy) return [];
      return [event('JobScheduleSet', { schedule: command.schedule, concurrency_policy }, command)];
    }
    case 'SuspendJobSchedule': {
      const job = requireJob(live);
      if (!job.spec.schedule) throw new ConflictError(`Job ${job.name} has no schedule to suspend; set one with PATCH /api/jobs/${job.id}.`);
      return job.scheduleSuspended ? [] : [event('JobScheduleSuspended', {}, command)];
    }
    case 'ResumeJobSchedule': {
      const job = requireJob(live);
      if (!job.spec.schedule) throw new ConflictError(`Job ${job.name} has no schedule to resume; set one with PATCH /api/jobs/${job.id}.`);
      return job.scheduleSuspended ? [event('JobScheduleResumed', {}, command)] : [];
    }
    case 'ReportRunning':
      return status === 'pending' ? [event('ResourceBecameRunning', {}, command)] : [];
    case 'ReportStopped':
      // A stop report that arrives after a new start is about the old one. One that follows a
      // failure is the failure's own stop (nothing runs of a resource in error): the error and its
      // reason stand until someone stops or starts the resource.
      return status === 'stopped' || status === 'pending' || status === 'error' ? [] : [event('ResourceBecameStopped', {}, command)];
    case 'ReportFailed':
      if (command.revision !== undefined) {
        const current = command.revision === serviceOf(live)?.revision && (status === 'pending' || status === 'running');
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
      const shutoff = live.spec.auto_shutoff;
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
      const job = requireJob(live);
      const repeated = command.kind === 'RequestJobRun' && command.idempotencyKey && runForKey(job.runs, command.idempotencyKey, command.at);
      if (command.kind === 'RequestJobRun' && command.trigger === 'api' && status === 'stopping' && !repeated) {
        throw new ConflictError(`Job ${job.name} is stopping; start a run once its runs have ended.`);
      }
      // The fallbacks read specs recorded before these fields had defaults.
      return decideJobRun(command, job.runs, {
        schedule: job.spec.schedule,
        scheduleSuspended: job.scheduleSuspended,
        concurrencyPolicy: job.spec.concurrency_policy ?? 'Allow',
        retries: job.spec.retries ?? 0,
        stopping: status === 'stopping',
      });
    }
  }
}

/** A job is running while it has active runs; stopping ends once the last one has. */
function jobStatus(live: LiveJob, runs: JobRuns): ResourceStatus {
  if (runs.active.length > 0) return live.status === 'stopping' ? 'stopping' : 'running';
  return 'stopped';
}

function requireService(live: LiveResource): ServiceState {
  if (live.type === 'job') throw new NotFoundError(`No deployment or workspace with id ${live.id}.`);
  return live.service;
}

function formatIdle(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A deployment or workspace asked to run a new revision: a start, a restart, or a spec change while it runs. */
function nextRevision(service: ServiceState): ServiceState {
  return { ...service, revision: service.revision + 1, rolledBackRevision: null };
}

/** The resource with its service changed by `change`; a job, which has none, unchanged. */
function withService(live: LiveResource, change: (service: ServiceState) => ServiceState): LiveResource {
  return live.type === 'job' ? live : { ...live, service: change(live.service) };
}

/** The resource with `change` applied if it is a job; a served resource unchanged. */
function withJob(live: LiveResource, change: (job: LiveJob) => LiveJob): LiveResource {
  return live.type === 'job' ? change(live) : live;
}

function requireJob(live: LiveResource): LiveJob {
  if (live.type !== 'job') throw new NotFoundError(`No job with id ${live.id}.`);
  return live;
}

/** The live resource a `ResourceCreated` starts: stopped, with nothing run or served yet. */
function created(data: Extract<ResourceEvent, { type: 'ResourceCreated' }>['data'], at: string, firstStreamVersion: number): LiveResource {
  const common = { id: data.id, owner: data.owner, name: data.name, status: 'stopped' as const, reason: null, createdAt: at, updatedAt: at, firstStreamVersion };
  switch (data.type) {
    case 'job':
      return { ...common, type: 'job', spec: storedSpec('job', data.spec), scheduleSuspended: false, runs: NO_RUNS };
    case 'deployment':
      return { ...common, type: 'deployment', spec: storedSpec('deployment', data.spec), service: NO_SERVICE };
    case 'workspace':
      return { ...common, type: 'workspace', spec: storedSpec('workspace', data.spec), service: NO_SERVICE };
  }
}

/** The resource with a recorded spec of its own type. */
function respecified(live: LiveResource, spec: Record<string, unknown>): LiveResource {
  switch (live.type) {
    case 'job':
      return { ...live, spec: storedSpec('job', spec) };
    case 'deployment':
      return { ...live, spec: storedSpec('deployment', spec) };
    case 'workspace':
      return { ...live, spec: storedSpec('workspace', spec) };
  }
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
      live: created(e.data, e.at, streamVersion),
    };
  }
  const live = state.live;
  if (!live) return next;
  const touched: LiveResource = { ...live, updatedAt: e.at };
  switch (e.type) {
    case 'ResourceSpecUpdated': {
      const active = live.status === 'pending' || live.status === 'running';
      const respecced = respecified(touched, e.data.spec);
      const daskScaledTo = scaleSurvives(live.spec, respecced.spec) ? (live.daskScaledTo ?? null) : null;
      return { ...next, live: { ...(active ? withService(respecced, nextRevision) : respecced), daskScaledTo } };
    }
    case 'ResourceStartRequested':
    case 'ResourceRestartRequested':
      return { ...next, live: { ...withService(touched, nextRevision), status: 'pending', reason: null } };
    case 'ResourceStopRequested':
      // Nothing runs for a resource in error, so there is nothing to wait for.
      return { ...next, live: { ...touched, status: live.status === 'error' ? 'stopped' : 'stopping', reason: null } };
    case 'ResourceBecameRunning':
      return { ...next, live: { ...touched, status: 'running', reason: null } };
    case 'ResourceBecameStopped': {
      const stopped = withService(touched, (service) => ({ ...endLivePods(service, e.at, 'the service stopped'), servingRevision: null }));
      return { ...next, live: { ...stopped, status: 'stopped', reason: null } };
    }
    case 'ResourceFailed': {
      const failed = e.data.revision !== undefined ? withService(touched, (service) => ({ ...service, servingRevision: null })) : touched;
      return { ...next, live: { ...failed, status: 'error', reason: e.data.reason } };
    }
    case 'ServiceRolledOut':
      return { ...next, live: { ...withService(touched, (service) => ({ ...service, servingRevision: e.data.revision })), status: 'running', reason: null } };
    case 'ServiceRolledBack': {
      const rolledBack = withService(touched, (service) => ({ ...service, rolledBackRevision: e.data.revision }));
      return { ...next, live: { ...rolledBack, status: 'running', reason: `revision ${e.data.revision} was rolled back: ${e.data.reason}` } };
    }
    case 'ReplicaStarted':
    case 'ReplicaReady':
    case 'ReplicaExposed':
    case 'ReplicaExited':
      return { ...next, live: withService(touched, (service) => evolveReplicas(service, e)) };
    case 'ResourceDeleted':
      return { ...next, live: null };
    case 'JobScheduleSet':
      return {
        ...next,
        live: withJob(touched, (job) => {
          const { schedule: _old, ...rest } = job.spec;
          return { ...job, spec: { ...rest, ...(e.data.schedule ? { schedule: e.data.schedule } : {}), concurrency_policy: e.data.concurrency_policy } };
        }),
      };
    case 'JobScheduleSuspended':
      return { ...next, live: withJob(touched, (job) => ({ ...job, scheduleSuspended: true })) };
    case 'DaskClusterScaled':
      return { ...next, live: { ...touched, daskScaledTo: e.data.num_workers } };
    case 'JobScheduleResumed':
      return { ...next, live: withJob(touched, (job) => ({ ...job, scheduleSuspended: false })) };
    // A session is an audit fact, not a change to the resource: updated_at stays.
    case 'SshSessionStarted':
      return { ...next, live: { ...live, sshSessions: [...(live.sshSessions ?? []), e.data.session_id], sshActiveAt: e.at } };
    case 'SshSessionEnded':
      return { ...next, live: { ...live, sshSessions: (live.sshSessions ?? []).filter((id) => id !== e.data.session_id), sshActiveAt: e.at } };
    case 'JobRunRequested':
    case 'JobTickSkipped':
    case 'JobRunFinished':
      return {
        ...next,
        live: withJob(touched, (job) => {
          const runs = evolveJobRuns(job.runs, e);
          return { ...job, runs, status: jobStatus(job, runs) };
        }),
      };
  }
}

/** The decider for one resource stream; its initial state needs the stream id. */
export function resourceDecider(streamId: string): Decider<ResourceCommand, ResourceEvent, ResourceState> {
  return { initialState: initialResourceState(streamId), decide, evolve };
}
