/**
 * What a resource's Dask cluster runs: one scheduler and `num_workers` workers, on the
 * resource's image, with the resource's environment, start script and attachments (secrets,
 * git checkouts, shared folders, config files, extra packages, IAM role: what `client.submit`
 * needs on a worker to import, read and reach what the resource's own code does), sized by
 * `dask_cluster.scheduler.instance_type` and `dask_cluster.worker.instance_type` (default the
 * resource's own size), workers on spot capacity when `use_spot_instances`. Pure: the runtimes
 * (local processes, ECS tasks) realize the same plan.
 */
import type { LiveResource } from '../resource/resource-decider.ts';
import type { TaskAttachments } from './task-spec.ts';
import type { ResourceSpec } from '../recipe/spec-types.ts';
import { daskClusterOf, desiredDaskWorkers } from '../resource/dask-cluster.ts';
import { planAttachments, type AttachingSpec, type AttachmentCatalogFacts } from './task-attachments.ts';

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
  /**
   * The resource's attachments, as its own tasks get them (`planAttachments`); absent when it
   * attaches nothing. Part of the cluster's shape: a change of them is a new cluster (locally)
   * and a new task definition (ECS). No SATURN_TOKEN: the cluster's tasks get none yet.
   */
  attachments?: DaskAttachments;
  labels: Record<string, string>;
}

/** What a cluster's tasks carry: a task's attachments without the platform token. */
export type DaskAttachments = Omit<TaskAttachments, 'platformTokenFor'>;

export type DaskPlanInput = Pick<LiveResource, 'id' | 'type' | 'owner' | 'name' | 'daskScaledTo'> & {
  /** Of any type's spec, only what a cluster reads. */
  spec: AttachingSpec & Pick<ResourceSpec, 'dask_cluster' | 'instance_type' | 'image' | 'start_script' | 'environment_variables'> & Record<string, unknown>;
};

/**
 * The resource's cluster plan, or null when its spec attaches no `dask_cluster`. `catalog` is
 * what the catalog says about the spec's folders and role, as for the resource's own tasks.
 */
export function planDaskCluster(resource: DaskPlanInput, catalog: AttachmentCatalogFacts = {}): DaskClusterPlan | null {
  const cluster = daskClusterOf(resource.spec);
  const numWorkers = desiredDaskWorkers(resource.spec, resource.daskScaledTo);
  if (!cluster || numWorkers === null) return null;
  const { spec } = resource;
  const size = spec.instance_type;
  const startScript = spec.start_script;
  const attachments = daskAttachments(spec, resource.owner, catalog);
  return {
    resourceId: resource.id,
    type: resource.type,
    owner: resource.owner,
    name: resource.name,
    image: spec.image,
    numWorkers,
    scheduler: { instanceType: cluster.scheduler?.instance_type ?? size },
    worker: {
      instanceType: cluster.worker?.instance_type ?? size,
      numProcesses: cluster.worker?.num_processes ?? 1,
      numThreads: cluster.worker?.num_threads ?? 1,
      spot: cluster.worker?.use_spot_instances === true,
    },
    environment: { ...(spec.environment_variables ?? {}) },
    ...(startScript ? { startScript } : {}),
    ...(attachments ? { attachments } : {}),
    labels: { owner: resource.owner, resource: resource.id, [resource.type]: resource.name },
  };
}

/**
 * The resource's attachments for its cluster's tasks, or undefined when there are none, so a
 * cluster without any keeps the plan (and shape, and task definition) it had before attachments.
 */
function daskAttachments(spec: AttachingSpec, owner: string, catalog: AttachmentCatalogFacts): DaskAttachments | undefined {
  // A token per Dask task (issued at its start, revoked at its end) is not built yet (README).
  const { platformTokenFor: _token, ...attachments } = planAttachments(spec, owner, catalog);
  return Object.keys(attachments).length > 0 ? attachments : undefined;
}

/**
 * How a cluster's members talk: `tls` with the cluster's own credentials wherever the runtime
 * has them (shared/app/dask-tls/), `tcp` only where it has none.
 */
export type DaskProtocol = 'tcp' | 'tls';

/** Where a scheduler listens: ports as numbers, or as shell words the task expands (`"$PORT_8786"` locally). */
export interface SchedulerListen {
  port: number | string;
  dashboardPort: number | string;
  /** Bind to this interface only (local mode keeps it on 127.0.0.1); all interfaces when absent. */
  host?: string;
  /** `tls`: listen for TLS only (the dashboard stays HTTP); dask's default, tcp, when absent. */
  protocol?: DaskProtocol;
}

export function daskSchedulerCommand(listen: SchedulerListen = { port: DASK_SCHEDULER_PORT, dashboardPort: DASK_DASHBOARD_PORT }): string {
  const host = listen.host ? ` --host ${listen.host}` : '';
  const protocol = listen.protocol === 'tls' ? ' --protocol tls' : '';
  return `dask scheduler${host}${protocol} --port ${listen.port} --dashboard-address ${listen.host ?? ''}:${listen.dashboardPort}`;
}

export function daskWorkerCommand(worker: DaskWorkerPlan, schedulerAddress: string, options: { host?: string } = {}): string {
  const host = options.host ? ` --host ${options.host}` : '';
  return `dask worker ${schedulerAddress}${host} --nworkers ${worker.numProcesses} --nthreads ${worker.numThreads}`;
}

/** A worker takes its protocol from this address: `tls://` makes it listen and connect with TLS too. */
export function daskSchedulerAddress(host: string, port: number = DASK_SCHEDULER_PORT, protocol: DaskProtocol = 'tcp'): string {
  return `${protocol}://${host}:${port}`;
}
