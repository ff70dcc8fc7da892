/**
 * Events of the resource aggregate (workspaces, deployments, jobs). A resource's stream is
 * keyed by its type, owner and name; every incarnation (create … delete) lives in it.
 */
import * as z from 'zod';
import type { DomainEvent } from './envelope.ts';

const spec = z.record(z.string(), z.unknown());

export const resourceEventSchemas = {
  ResourceCreated: z.object({
    id: z.string(),
    type: z.enum(['workspace', 'deployment', 'job']),
    owner: z.string(),
    name: z.string(),
    incarnation: z.number().int().min(1),
    spec,
  }),
  ResourceSpecUpdated: z.object({ spec }),
  ResourceStartRequested: z.object({}),
  /** `reason` when the platform stopped it on its own, e.g. a workspace's auto_shutoff. */
  ResourceStopRequested: z.object({ reason: z.string().optional() }),
  ResourceRestartRequested: z.object({}),
  /** `active_runs`: a job's runs still going, which the delete cancels. */
  ResourceDeleted: z.object({ active_runs: z.array(z.string()).optional() }),
  /** Reported by the runtime (compute drivers) once everything the resource needs runs. */
  ResourceBecameRunning: z.object({}),
  /** A deployment's or workspace's replica (pod) started, passed its health check, or ended. */
  ReplicaStarted: z.object({ pod: z.string(), revision: z.number().int().min(1) }),
  ReplicaReady: z.object({ pod: z.string(), revision: z.number().int().min(1) }),
  /**
   * A local replica was found listening on an address other than loopback (`0.0.0.0:41234`):
   * reachable from the network without the proxy and its access rules. Reported once per pod.
   */
  ReplicaExposed: z.object({ pod: z.string(), revision: z.number().int().min(1), addresses: z.array(z.string()).min(1) }),
  ReplicaExited: z.object({
    pod: z.string(),
    revision: z.number().int().min(1),
    exit_code: z.number().int().nullable(),
    reason: z.string(),
    /** The runtime stopped it (a stop, a rollout); otherwise it ended or was killed on its own. */
    stopped_by_platform: z.boolean().optional(),
  }),
  /** Every replica of `revision` is healthy and serves; older ones are being stopped. */
  ServiceRolledOut: z.object({ revision: z.number().int().min(1) }),
  /** `revision` never became healthy; the previous revision's replicas keep serving. */
  ServiceRolledBack: z.object({ revision: z.number().int().min(1), reason: z.string() }),
  /** Reported by the runtime once nothing of the resource runs any more. */
  ResourceBecameStopped: z.object({}),
  /** Reported by the runtime when the resource cannot run; `reason` says why. */
  ResourceFailed: z.object({ reason: z.string(), revision: z.number().int().min(1).optional() }),
  JobScheduleSet: z.object({ schedule: z.string().nullable(), concurrency_policy: z.enum(['Allow', 'Forbid', 'Replace']) }),
  JobScheduleSuspended: z.object({}),
  JobScheduleResumed: z.object({}),
  /** A run of the job was asked for: by the API, a schedule tick, or a retry after a failure. */
  JobRunRequested: z.object({
    run_id: z.string(),
    trigger: z.enum(['api', 'schedule', 'retry']),
    attempt: z.number().int().min(1),
    scheduled_for: z.string().nullable(),
    not_before: z.string().nullable(),
    idempotency_key: z.string().nullable(),
    /** Per-run `command` and `environment_variables` given with an API request. */
    overrides: z.object({ command: z.string().optional(), environment_variables: z.record(z.string(), z.string()).optional() }).nullable(),
    /** Runs the concurrency policy Replace cancels for this one. */
    replaces: z.array(z.string()),
  }),
  /** A schedule tick the concurrency policy Forbid refused, recorded as a skipped run. */
  JobTickSkipped: z.object({ run_id: z.string(), scheduled_for: z.string(), reason: z.string() }),
  JobRunFinished: z.object({
    run_id: z.string(),
    status: z.enum(['succeeded', 'failed', 'cancelled', 'skipped', 'timed_out']),
    attempt: z.number().int().min(1),
    /** When the run itself ended; the event's own time is when the job heard of it. */
    finished_at: z.string().optional(),
  }),
  /** The resource's Dask cluster was scaled through the API; this count wins over the spec's `num_workers` until the spec's `dask_cluster` changes. */
  DaskClusterScaled: z.object({ num_workers: z.number().int().min(0).max(500) }),
  /**
   * Someone opened an SSH session into the workspace: `user` (the platform user the key belongs
   * to), `from` (the client's address and port as the SSH endpoint saw it), `key_fingerprint`.
   */
  SshSessionStarted: z.object({ session_id: z.string(), user: z.string(), from: z.string(), key_fingerprint: z.string() }),
  /** The session's connection closed. */
  SshSessionEnded: z.object({ session_id: z.string(), user: z.string(), from: z.string() }),
} as const;

type Schemas = typeof resourceEventSchemas;
export type ResourceEvent = {
  [K in keyof Schemas]: DomainEvent<K, z.infer<Schemas[K]>>;
}[keyof Schemas];
export type ResourceEventType = ResourceEvent['type'];
