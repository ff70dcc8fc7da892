/**
 * Usage as the event log records it: every stretch of time an instance ran, as an interval
 * from the event that says it started to the event that says it ended (open until then).
 * One fold per stream, so a projector can keep each stream's intervals incrementally and a
 * rebuild can fold the whole stream again and get the same answer.
 *
 * - A job run's tasks (every rank): `TaskStarted` … `TaskExited`. A task lost in a control
 *   plane crash counts until its loss is recorded (job recovery records its exit); a run that
 *   ends with a task still open closes it then.
 * - A deployment's or workspace's replicas: `ReplicaStarted` … `ReplicaExited` (closed at the
 *   latest when the resource is recorded stopped, failed or deleted).
 * - A Dask cluster: its scheduler and workers are not tasks of the event log, so they count
 *   while the platform wants the cluster to run, exactly as the Dask reactor follows it (a
 *   deployment or workspace started, a job with an active run), at the worker count and sizes
 *   of the spec or the last scale.
 */
import type { RecordedEvent } from '../../../events/envelope.ts';
import { isResourceEvent, isRunEvent } from '../../../events/event-versions.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';
import type { RunEvent, RunPlan } from '../../../events/run-events.ts';
import { storedSpec } from '../recipe/stored-spec.ts';
import type { ResourceSpec } from '../recipe/spec-types.ts';

export const USAGE_KINDS = ['task', 'replica', 'dask-scheduler', 'dask-worker'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

export interface UsageInterval {
  /** Unique within its stream: the task id, pod name, or Dask part and the version it opened at. */
  key: string;
  kind: UsageKind;
  resourceId: string;
  resourceType: 'workspace' | 'deployment' | 'job';
  owner: string;
  size: string;
  /** Instances running together in this interval (a Dask cluster's workers); 1 otherwise. */
  instances: number;
  start: string;
  /** Null while it still runs. */
  end: string | null;
}

/** What a resource stream's fold keeps beside its intervals: who it is and what it wants. */
interface ResourceContext {
  id: string;
  type: 'workspace' | 'deployment' | 'job';
  owner: string;
  name: string;
  instanceType: string;
  dask: { schedulerSize: string; workerSize: string; workers: number } | null;
  daskScaledTo: number | null;
  status: 'started' | 'stopped';
  activeRuns: string[];
}

export interface UsageStreamState {
  /** Stream version the fold has reached. */
  version: number;
  intervals: UsageInterval[];
  /** A resource stream's live incarnation; a run stream's job and plan. */
  resource: ResourceContext | null;
  run: { jobId: string; owner: string; size: string } | null;
  /** Resource names by id, every incarnation: usage rows name their resource. */
  names: Record<string, string>;
}

export const EMPTY_USAGE_STREAM: UsageStreamState = { version: 0, intervals: [], resource: null, run: null, names: {} };

type FoldedEvent = ResourceEvent | RunEvent;
type DataOf<T extends FoldedEvent['type']> = Extract<FoldedEvent, { type: T }>['data'];

/**
 * A recorded event of type `T` as the fold reads it: the data fields it needs (`Needs`), any
 * other field as the event's schema types it. Every stored resource and run event is one, and
 * property tests build them with the fields that matter and nothing else.
 */
type Reads<T extends FoldedEvent['type'], Needs = unknown> = T extends FoldedEvent['type']
  ? { type: T; data: Needs & Partial<Omit<DataOf<T>, keyof Needs>>; at: string; version: number }
  : never;

/** The events whose data the fold reads; of the others it reads only their type, if that. */
type ReadType = Extract<
  FoldedEvent['type'],
  'ResourceCreated' | 'ResourceSpecUpdated' | 'DaskClusterScaled' | 'ReplicaStarted' | 'ReplicaExited' | 'JobRunRequested' | 'JobRunFinished' | 'RunQueued' | 'TaskStarted' | 'TaskExited'
>;

/** A resource or run stream's events as the fold reads them: those it reads data of, with the fields it reads; the others by their type alone. */
export type UsageEvent =
  | Reads<'ResourceCreated', Pick<DataOf<'ResourceCreated'>, 'id' | 'type' | 'owner' | 'name' | 'spec'>>
  | Reads<'ResourceSpecUpdated', Pick<DataOf<'ResourceSpecUpdated'>, 'spec'>>
  | Reads<'DaskClusterScaled', Pick<DataOf<'DaskClusterScaled'>, 'num_workers'>>
  | Reads<'ReplicaStarted' | 'ReplicaExited', { pod: string }>
  | Reads<'JobRunRequested' | 'JobRunFinished', { run_id: string }>
  | Reads<'RunQueued', Pick<DataOf<'RunQueued'>, 'job_id' | 'owner'> & { plan: Pick<RunPlan, 'instance_type'> & Partial<RunPlan> }>
  | Reads<'TaskStarted' | 'TaskExited', { task_id: string }>
  | Reads<Exclude<FoldedEvent['type'], ReadType>>;

/**
 * The decoding boundary of the fold: a usage stream's stored events, as resource or run events
 * (the registry knows their types). An event of another aggregate carries no usage and is left out.
 */
export function usageEventsOf(events: readonly RecordedEvent[]): UsageEvent[] {
  return events.filter((e) => isResourceEvent(e) || isRunEvent(e));
}

const DEFAULT_SIZE = 'medium';

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function daskOf(spec: Pick<ResourceSpec, 'dask_cluster'>, instanceType: string): ResourceContext['dask'] {
  const cluster = spec.dask_cluster;
  if (!cluster) return null;
  return { schedulerSize: str(cluster.scheduler?.instance_type, instanceType), workerSize: str(cluster.worker?.instance_type, instanceType), workers: cluster.num_workers ?? 0 };
}

function closeWhere(intervals: UsageInterval[], at: string, matches: (i: UsageInterval) => boolean): UsageInterval[] {
  return intervals.map((i) => (i.end === null && matches(i) ? { ...i, end: at } : i));
}

const isDask = (i: UsageInterval) => i.kind === 'dask-scheduler' || i.kind === 'dask-worker';

/** Whether the cluster should run now, as the Dask reactor decides it (dask-reactor.ts). */
function daskWanted(resource: ResourceContext): boolean {
  if (!resource.dask) return false;
  if (resource.type === 'job') return resource.activeRuns.length > 0;
  return resource.status === 'started';
}

/** Closes the cluster's open intervals and opens new ones when it should run, at its current shape. */
function followDask(state: UsageStreamState, resource: ResourceContext, event: UsageEvent): UsageStreamState {
  const open = state.intervals.filter((i) => isDask(i) && i.end === null);
  const wanted = daskWanted(resource) && resource.dask ? resource.dask : null;
  const workers = wanted ? (resource.daskScaledTo ?? wanted.workers) : 0;
  const base = { resourceId: resource.id, resourceType: resource.type, owner: resource.owner, start: event.at, end: null };
  const desired: UsageInterval[] = wanted
    ? [
        { ...base, key: `dask-scheduler@${event.version}`, kind: 'dask-scheduler', size: wanted.schedulerSize, instances: 1 },
        ...(workers > 0 ? [{ ...base, key: `dask-workers@${event.version}`, kind: 'dask-worker' as const, size: wanted.workerSize, instances: workers }] : []),
      ]
    : [];
  const same = (a: UsageInterval, b: UsageInterval) => a.kind === b.kind && a.size === b.size && a.instances === b.instances && a.resourceId === b.resourceId;
  if (open.length === desired.length && open.every((o) => desired.some((d) => same(o, d)))) return state;
  return { ...state, intervals: [...closeWhere(state.intervals, event.at, isDask), ...desired] };
}

function evolveResource(state: UsageStreamState, event: UsageEvent): UsageStreamState {
  const resource = state.resource;
  switch (event.type) {
    case 'ResourceCreated': {
      const { id, type, owner, name } = event.data;
      const spec = storedSpec(type, event.data.spec);
      const instanceType = str(spec.instance_type, DEFAULT_SIZE);
      const created: ResourceContext = {
        id,
        type,
        owner,
        name,
        instanceType,
        dask: daskOf(spec, instanceType),
        daskScaledTo: null,
        status: 'stopped',
        activeRuns: [],
      };
      return { ...state, resource: created, names: { ...state.names, [id]: created.name } };
    }
    case 'ResourceSpecUpdated': {
      if (!resource) return state;
      const spec = storedSpec(resource.type, event.data.spec);
      const instanceType = str(spec.instance_type, DEFAULT_SIZE);
      const dask = daskOf(spec, instanceType);
      const keepsScale = JSON.stringify(dask) === JSON.stringify(resource.dask);
      const updated = { ...resource, instanceType, dask, daskScaledTo: keepsScale ? resource.daskScaledTo : null };
      return followDask({ ...state, resource: updated }, updated, event);
    }
    case 'DaskClusterScaled': {
      if (!resource) return state;
      const updated = { ...resource, daskScaledTo: event.data.num_workers };
      return followDask({ ...state, resource: updated }, updated, event);
    }
    case 'ResourceStartRequested':
    case 'ResourceRestartRequested':
    case 'ResourceBecameRunning':
      return resource ? followStatus(state, resource, 'started', event) : state;
    case 'ResourceStopRequested':
      return resource ? followStatus(state, resource, 'stopped', event) : state;
    case 'ResourceBecameStopped':
    case 'ResourceFailed':
    case 'ResourceDeleted': {
      if (!resource) return state;
      // Nothing of the resource runs any more: whatever the runtime did not report ended ends now.
      const closed = { ...state, intervals: closeWhere(state.intervals, event.at, () => true) };
      if (event.type === 'ResourceDeleted') return { ...closed, resource: null };
      // A job's cluster follows its active runs, not its status: it may open again at once.
      const updated = { ...resource, status: 'stopped' as const };
      return followDask({ ...closed, resource: updated }, updated, event);
    }
    case 'ReplicaStarted': {
      if (!resource) return state;
      const key = `replica:${event.data.pod}`;
      if (state.intervals.some((i) => i.key === key)) return state;
      const interval: UsageInterval = {
        key,
        kind: 'replica',
        resourceId: resource.id,
        resourceType: resource.type,
        owner: resource.owner,
        size: resource.instanceType,
        instances: 1,
        start: event.at,
        end: null,
      };
      return { ...state, intervals: [...state.intervals, interval] };
    }
    case 'ReplicaExited':
      return { ...state, intervals: closeWhere(state.intervals, event.at, (i) => i.key === `replica:${event.data.pod}`) };
    case 'JobRunRequested': {
      if (!resource) return state;
      const updated = { ...resource, activeRuns: [...new Set([...resource.activeRuns, event.data.run_id])] };
      return followDask({ ...state, resource: updated }, updated, event);
    }
    case 'JobRunFinished': {
      if (!resource) return state;
      const updated = { ...resource, activeRuns: resource.activeRuns.filter((r) => r !== event.data.run_id) };
      return followDask({ ...state, resource: updated }, updated, event);
    }
    default:
      return state;
  }
}

/** The Dask reactor follows `isActive` of the live resource: a start asks for pending, then running; a stop leaves both. */
function followStatus(state: UsageStreamState, resource: ResourceContext, status: ResourceContext['status'], event: UsageEvent): UsageStreamState {
  const updated = { ...resource, status };
  return followDask({ ...state, resource: updated }, updated, event);
}

function evolveRun(state: UsageStreamState, event: UsageEvent): UsageStreamState {
  switch (event.type) {
    case 'RunQueued': {
      const { job_id, owner, plan } = event.data;
      return { ...state, run: { jobId: job_id, owner, size: str(plan.instance_type, DEFAULT_SIZE) } };
    }
    case 'TaskStarted': {
      const run = state.run;
      const key = `task:${event.data.task_id}`;
      if (!run || state.intervals.some((i) => i.key === key)) return state;
      const interval: UsageInterval = { key, kind: 'task', resourceId: run.jobId, resourceType: 'job', owner: run.owner, size: run.size, instances: 1, start: event.at, end: null };
      return { ...state, intervals: [...state.intervals, interval] };
    }
    case 'TaskExited':
      return { ...state, intervals: closeWhere(state.intervals, event.at, (i) => i.key === `task:${event.data.task_id}`) };
    case 'RunSucceeded':
    case 'RunFailed':
    case 'RunCancelled':
    case 'RunTimedOut':
      // A finished run has no task left running; one whose exit went unrecorded ends here.
      return { ...state, intervals: closeWhere(state.intervals, event.at, () => true) };
    default:
      return state;
  }
}

/** The streams whose events carry usage. */
export function carriesUsage(streamId: string): boolean {
  return streamId.startsWith('resource-') || streamId.startsWith('run-');
}

/** Folds one event of `streamId` into its usage; events at or below the fold's version are repeats and change nothing. */
export function evolveUsage(streamId: string, state: UsageStreamState, event: UsageEvent): UsageStreamState {
  if (event.version <= state.version) return state;
  const next = streamId.startsWith('run-') ? evolveRun(state, event) : evolveResource(state, event);
  return { ...next, version: event.version };
}

export function foldUsage(streamId: string, events: readonly UsageEvent[], state: UsageStreamState = EMPTY_USAGE_STREAM): UsageStreamState {
  return events.reduce((s, e) => evolveUsage(streamId, s, e), state);
}
