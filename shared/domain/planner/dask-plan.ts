/**
 * What a resource's Dask cluster runs: one scheduler and `num_workers` workers, on the
 * resource's image, with the resource's environment and start script, sized by
 * `dask_cluster.scheduler.instance_type` and `dask_cluster.worker.instance_type` (default the
 * resource's own size), workers on spot capacity when `use_spot_instances`. Pure: the runtimes
 * (local processes, ECS tasks) realize the same plan.
 */
import type { LiveResource } from '../resource/resource-decider.ts';
import { daskClusterOf, desiredDaskWorkers } from '../resource/dask-cluster.ts';

/** The scheduler's port and its dashboard's, as dask's own defaults have them. */
export const DASK_SCHEDULER_PORT = 8786;
export const DASK_DASHBOARD_PORT = 8787;

/** The variable that gives the attached resource (and dask's `Client()`) the scheduler's address. */
export const DASK_ADDRESS_VARIABLE = 'DASK_SCHEDULER_ADDRESS';

export interface DaskWorkerPlan {
  instanceType: string;
  /** `--nworkers`: worker processes per worker task. */
  numProcesses: number;
  /** `--nthreads`: threads per worker process. */
  numThreads: number;
  spot: boolean;
}

export interface DaskClusterPlan {
  /** The resource the cluster belongs to; one cluster per resource. */
  resourceId: string;
  type: LiveResource['type'];
  owner: string;
  name: string;
  image: string;
  numWorkers: number;
  scheduler: { instanceType: string };
  worker: DaskWorkerPlan;
  /** The resource's own environment variables and start script, so workers import what its code imports. */
  environment: Record<string, string>;
  startScript?: string;
  labels: Record<string, string>;
}

export type DaskPlanInput = Pick<LiveResource, 'id' | 'type' | 'owner' | 'name' | 'spec' | 'daskScaledTo'>;

/** The resource's cluster plan, or null when its spec attaches no `dask_cluster`. */
export function planDaskCluster(resource: DaskPlanInput): DaskClusterPlan | null {
  const cluster = daskClusterOf(resource.spec);
  const numWorkers = desiredDaskWorkers(resource.spec, resource.daskScaledTo);
  if (!cluster || numWorkers === null) return null;
  const { spec } = resource;
  const size = spec.instance_type as string;
  const startScript = spec.start_script as string | undefined;
  return {
    resourceId: resource.id,
    type: resource.type,
    owner: resource.owner,
    name: resource.name,
    image: spec.image as string,
    numWorkers,
    scheduler: { instanceType: cluster.scheduler?.instance_type ?? size },
    worker: {
      instanceType: cluster.worker?.instance_type ?? size,
      numProcesses: cluster.worker?.num_processes ?? 1,
      numThreads: cluster.worker?.num_threads ?? 1,
      spot: cluster.worker?.use_spot_instances === true,
    },
    environment: { ...((spec.environment_variables as Record<string, string> | undefined) ?? {}) },
    ...(startScript ? { startScript } : {}),
    labels: { owner: resource.owner, resource: resource.id, [resource.type]: resource.name },
  };
}

/** Where a scheduler listens: ports as numbers, or as shell words the task expands (`"$PORT_8786"` locally). */
export interface SchedulerListen {
  port: number | string;
  dashboardPort: number | string;
  /** Bind to this interface only (local mode keeps it on 127.0.0.1); all interfaces when absent. */
  host?: string;
}

export function daskSchedulerCommand(listen: SchedulerListen = { port: DASK_SCHEDULER_PORT, dashboardPort: DASK_DASHBOARD_PORT }): string {
  const host = listen.host ? ` --host ${listen.host}` : '';
  return `dask scheduler${host} --port ${listen.port} --dashboard-address ${listen.host ?? ''}:${listen.dashboardPort}`;
}

export function daskWorkerCommand(worker: DaskWorkerPlan, schedulerAddress: string, options: { host?: string } = {}): string {
  const host = options.host ? ` --host ${options.host}` : '';
  return `dask worker ${schedulerAddress}${host} --nworkers ${worker.numProcesses} --nthreads ${worker.numThreads}`;
}

export function daskSchedulerAddress(host: string, port: number = DASK_SCHEDULER_PORT): string {
  return `tcp://${host}:${port}`;
}
