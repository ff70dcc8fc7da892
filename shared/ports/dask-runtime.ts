/**
 * The Dask port: keeps a resource's Dask cluster (one scheduler, N workers) running while the
 * resource runs. The planner turns a resource into a `DaskClusterPlan`; local processes and
 * ECS tasks (with Cloud Map) each realize it. Every call is idempotent, and a cluster is named
 * by the id of the resource it belongs to.
 */
import type { DaskClusterPlan } from '../domain/planner/dask-plan.ts';

export type DaskClusterStatus = 'starting' | 'running' | 'stopped' | 'unavailable' | 'error';

export interface DaskClusterDescription {
  status: DaskClusterStatus;
  /** `tls://host:port` (`tcp://` where the runtime has no TLS credentials), what `DASK_SCHEDULER_ADDRESS` holds; null while there is none. */
  scheduler_address: string | null;
  dashboard_url: string | null;
  /** Workers that run now. */
  num_workers: number;
  /** Why the cluster is `unavailable` or in `error`, in words a user can act on. */
  reason?: string;
}

export interface DaskRuntime {
  /**
   * Starts the cluster, or brings the running one to the plan (its worker count); resolves
   * once the scheduler's address is known (null when the cluster cannot run here).
   */
  ensure(plan: DaskClusterPlan): Promise<{ schedulerAddress: string | null }>;
  /** Sets the worker count of a running cluster; a cluster that does not run is left alone. */
  scale(resourceId: string, numWorkers: number): Promise<void>;
  /**
   * Stops the scheduler and every worker, and deletes the cluster's TLS credentials; resolves
   * once none runs. `owner` is the resource's owner, in whose folder the credentials are kept
   * on AWS: without it they stay, for a later stop that names it.
   */
  stop(resourceId: string, reason: string, owner?: string): Promise<void>;
  describe(resourceId: string): Promise<DaskClusterDescription>;
  /**
   * The scheduler's address for the resource's tasks, waiting for an `ensure` under way;
   * null when the resource has no cluster running here.
   */
  schedulerAddress(resourceId: string): Promise<string | null>;
}

export const STOPPED_CLUSTER: DaskClusterDescription = { status: 'stopped', scheduler_address: null, dashboard_url: null, num_workers: 0 };
