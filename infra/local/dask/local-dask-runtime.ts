/**
 * Dask clusters on one machine: the scheduler and each worker are tasks of the process driver
 * (`sh -c` in their own trees, stopped with their process groups), run with the resource's
 * environment, start script and attachments (secrets, checkouts, shared folders, config files,
 * packages, put in place by the driver before the command, as for the resource's own tasks).
 * The scheduler listens on 127.0.0.1 only, on free ports given to it as PORT_8786 and
 * PORT_8787, so its address is `tls://127.0.0.1:<port>`. Members speak TLS with credentials
 * of the cluster's own (local-dask-credentials.ts), made before its scheduler starts and deleted
 * when it stops; the driver gives them to each task of the cluster and of its resource
 * (`TaskSpec.daskCluster`), and to no other. Without a credential store (tests of other parts)
 * members speak tcp. A worker that
 * exits while the cluster runs is replaced after a pause; a scheduler that exits puts the
 * cluster in `error` (its workers stop: the attached tasks hold the old address).
 *
 * When `dask` is not on the PATH, a cluster is `unavailable` with the reason, and the resource
 * it belongs to runs without one.
 */
import { randomBytes } from 'node:crypto';
import type { DaskClusterDescription, DaskRuntime } from '../../../shared/ports/dask-runtime.ts';
import { STOPPED_CLUSTER } from '../../../shared/ports/dask-runtime.ts';
import type { TaskExit, TaskSpec } from '../../../shared/ports/task-driver.ts';
import {
  DASK_DASHBOARD_PORT,
  DASK_SCHEDULER_PORT,
  daskSchedulerAddress,
  daskSchedulerCommand,
  daskWorkerCommand,
  type DaskClusterPlan,
} from '../../../shared/domain/planner/dask-plan.ts';
import type { LocalProcessDriver } from '../process-driver/local-process-driver.ts';
import { DASK_MISSING_REASON, findDask } from './dask-on-path.ts';
import type { LocalDaskCredentials } from './local-dask-credentials.ts';

const HOST = '127.0.0.1';
export const DEFAULT_REPLACE_DELAY_MS = 1_000;

export type DaskDriver = Pick<LocalProcessDriver, 'launch' | 'stop' | 'onExit'>;

export interface LocalDaskRuntimeOptions {
  /** The raw driver: the cluster's own tasks get no DASK_SCHEDULER_ADDRESS wrapper. */
  driver: DaskDriver;
  /** Where `dask` is looked up; by default on the control plane's PATH. */
  findDask?: () => Promise<string | null>;
  /** Pause before a lost worker is replaced. */
  replaceDelayMs?: number;
  /** Each cluster's TLS credentials; give the driver the same store to read them from. Without it members speak tcp. */
  credentials?: Pick<LocalDaskCredentials, 'ensure' | 'remove'>;
}

interface Cluster {
  plan: DaskClusterPlan;
  /** The plan without its worker count (its attachments included): a change of it means a new cluster. */
  shape: string;
  /** Part of every task id of this cluster: ids stay unique across restarts of the cluster and of the control plane. */
  nonce: string;
  status: 'starting' | 'running' | 'unavailable' | 'error';
  reason?: string;
  address: string | null;
  dashboard: string | null;
  schedulerTask: string | null;
  workers: Set<string>;
  nextWorker: number;
  stopping: boolean;
  replaceTimer?: NodeJS.Timeout;
}

export class LocalDaskRuntime implements DaskRuntime {
  readonly #driver: DaskDriver;
  readonly #findDask: () => Promise<string | null>;
  readonly #replaceDelayMs: number;
  readonly #credentials: Pick<LocalDaskCredentials, 'ensure' | 'remove'> | undefined;
  readonly #clusters = new Map<string, Cluster>();
  /** Per resource, the tail of its operations: one at a time, in order. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #closed = false;

  constructor(options: LocalDaskRuntimeOptions) {
    this.#driver = options.driver;
    this.#findDask = options.findDask ?? (() => findDask());
    this.#replaceDelayMs = options.replaceDelayMs ?? DEFAULT_REPLACE_DELAY_MS;
    this.#credentials = options.credentials;
    this.#driver.onExit((exit) => this.#exited(exit));
  }

  ensure(plan: DaskClusterPlan): Promise<{ schedulerAddress: string | null }> {
    return this.#serially(plan.resourceId, async () => {
      const known = this.#clusters.get(plan.resourceId);
      const shape = shapeOf(plan);
      if (known && known.shape === shape && known.status !== 'error' && known.status !== 'unavailable') {
        known.plan = plan;
        await this.#reconcileWorkers(known);
        return { schedulerAddress: known.address };
      }
      if (known) await this.#stopCluster(known, 'the cluster was replaced by a new one');
      return { schedulerAddress: (await this.#start(plan, shape)).address };
    });
  }

  scale(resourceId: string, numWorkers: number): Promise<void> {
    return this.#serially(resourceId, async () => {
      const cluster = this.#clusters.get(resourceId);
      if (!cluster || cluster.status === 'unavailable' || cluster.status === 'error') return;
      cluster.plan = { ...cluster.plan, numWorkers };
      await this.#reconcileWorkers(cluster);
    });
  }

  stop(resourceId: string, reason: string): Promise<void> {
    return this.#serially(resourceId, async () => {
      const cluster = this.#clusters.get(resourceId);
      if (cluster) await this.#stopCluster(cluster, reason);
      await this.#credentials?.remove(resourceId);
    });
  }

  async describe(resourceId: string): Promise<DaskClusterDescription> {
    const cluster = this.#clusters.get(resourceId);
    if (!cluster) return STOPPED_CLUSTER;
    return {
      status: cluster.status,
      scheduler_address: cluster.address,
      dashboard_url: cluster.dashboard,
      num_workers: cluster.workers.size,
      ...(cluster.reason ? { reason: cluster.reason } : {}),
    };
  }

  async schedulerAddress(resourceId: string): Promise<string | null> {
    await this.#queues.get(resourceId)?.catch(() => undefined);
    return this.#clusters.get(resourceId)?.address ?? null;
  }

  /** Stops every cluster (the driver's own close would too; this also cancels pending replacements). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#clusters.keys()].map((id) => this.stop(id, 'the control plane shut down')));
  }

  #serially<T>(resourceId: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(resourceId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.#queues.set(resourceId, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.#queues.get(resourceId) === next) this.#queues.delete(resourceId);
      });
    return next;
  }

  async #start(plan: DaskClusterPlan, shape: string): Promise<Cluster> {
    const cluster: Cluster = {
      plan,
      shape,
      nonce: randomBytes(4).toString('hex'),
      status: 'starting',
      address: null,
      dashboard: null,
      schedulerTask: null,
      workers: new Set(),
      nextWorker: 0,
      stopping: false,
    };
    this.#clusters.set(plan.resourceId, cluster);
    if ((await this.#findDask()) === null) {
      cluster.status = 'unavailable';
      cluster.reason = DASK_MISSING_REASON;
      return cluster;
    }
    const taskId = `dask-${plan.resourceId}-${cluster.nonce}-scheduler`;
    cluster.schedulerTask = taskId;
    const protocol = this.#credentials ? 'tls' : 'tcp';
    try {
      await this.#credentials?.ensure(plan.resourceId);
      const launched = await this.#driver.launch(
        this.#taskSpec(cluster, taskId, 'scheduler', daskSchedulerCommand({ host: HOST, port: '"$PORT_8786"', dashboardPort: '"$PORT_8787"', protocol }), [DASK_SCHEDULER_PORT, DASK_DASHBOARD_PORT]),
      );
      const port = launched.ports[DASK_SCHEDULER_PORT]!;
      cluster.address = daskSchedulerAddress(HOST, port, protocol);
      cluster.dashboard = `http://${HOST}:${launched.ports[DASK_DASHBOARD_PORT]}/status`;
    } catch (error) {
      cluster.status = 'error';
      cluster.reason = `the scheduler could not start: ${(error as Error).message}`;
      return cluster;
    }
    // A scheduler that ended during its own launch was reported by #exited already.
    if (cluster.status === 'error') return cluster;
    await this.#reconcileWorkers(cluster);
    if (cluster.status === 'starting') cluster.status = 'running';
    return cluster;
  }

  /** Starts or stops workers until as many run as the plan asks for; the newest go first. */
  async #reconcileWorkers(cluster: Cluster): Promise<void> {
    if (cluster.address === null || cluster.stopping) return;
    const missing = cluster.plan.numWorkers - cluster.workers.size;
    if (missing > 0) {
      const ids = Array.from({ length: missing }, () => `dask-${cluster.plan.resourceId}-${cluster.nonce}-w${cluster.nextWorker++}`);
      for (const id of ids) cluster.workers.add(id);
      await Promise.all(ids.map((id) => this.#launchWorker(cluster, id)));
    } else if (missing < 0) {
      const extra = [...cluster.workers].sort(byWorkerNumber).slice(missing);
      for (const id of extra) cluster.workers.delete(id);
      await Promise.all(extra.map((id) => this.#driver.stop(id, `the Dask cluster was scaled to ${cluster.plan.numWorkers} workers`)));
    }
  }

  async #launchWorker(cluster: Cluster, taskId: string): Promise<void> {
    const command = daskWorkerCommand(cluster.plan.worker, cluster.address!, { host: HOST });
    try {
      await this.#driver.launch(this.#taskSpec(cluster, taskId, 'worker', command, []));
    } catch (error) {
      cluster.workers.delete(taskId);
      console.error(JSON.stringify({ level: 'error', message: 'a Dask worker could not start', task: taskId, error: String(error) }));
      this.#armReplacement(cluster);
    }
  }

  #taskSpec(cluster: Cluster, taskId: string, role: 'scheduler' | 'worker', command: string, extraPorts: number[]): TaskSpec {
    const { plan } = cluster;
    return {
      taskId,
      group: `dask-${plan.resourceId}`,
      command,
      ...(plan.startScript ? { startScript: plan.startScript } : {}),
      environment: plan.environment,
      ...(plan.attachments ? { attachments: plan.attachments } : {}),
      ...(extraPorts.length > 0 ? { extraPorts } : {}),
      labels: { ...plan.labels, dask: role },
      // Its members get the cluster's TLS credentials from the driver, as the resource's tasks do.
      daskCluster: plan.resourceId,
    };
  }

  async #stopCluster(cluster: Cluster, reason: string): Promise<void> {
    cluster.stopping = true;
    clearTimeout(cluster.replaceTimer);
    const tasks = [...cluster.workers, ...(cluster.schedulerTask ? [cluster.schedulerTask] : [])];
    cluster.workers.clear();
    await Promise.all(tasks.map((id) => this.#driver.stop(id, reason)));
    if (this.#clusters.get(cluster.plan.resourceId) === cluster) this.#clusters.delete(cluster.plan.resourceId);
  }

  #exited(exit: TaskExit): void {
    const cluster = [...this.#clusters.values()].find((c) => c.schedulerTask === exit.taskId || c.workers.has(exit.taskId));
    if (!cluster || cluster.stopping) return;
    if (exit.taskId === cluster.schedulerTask) {
      cluster.status = 'error';
      cluster.reason = `the Dask scheduler exited (${exit.reason}); stop and start the resource to get a new cluster (see the logs of task ${exit.taskId})`;
      cluster.address = null;
      const workers = [...cluster.workers];
      cluster.workers.clear();
      void Promise.all(workers.map((id) => this.#driver.stop(id, 'the Dask scheduler exited')));
      return;
    }
    cluster.workers.delete(exit.taskId);
    this.#armReplacement(cluster);
  }

  /** A lost worker is replaced after a pause, in the cluster's queue (so it never races a stop or a scale). */
  #armReplacement(cluster: Cluster): void {
    if (this.#closed || cluster.replaceTimer) return;
    cluster.replaceTimer = setTimeout(() => {
      cluster.replaceTimer = undefined;
      void this.#serially(cluster.plan.resourceId, async () => {
        if (this.#clusters.get(cluster.plan.resourceId) === cluster && !cluster.stopping) await this.#reconcileWorkers(cluster);
      });
    }, this.#replaceDelayMs);
  }
}

function shapeOf(plan: DaskClusterPlan): string {
  const { numWorkers: _workers, ...shape } = plan;
  return JSON.stringify(shape);
}

function byWorkerNumber(a: string, b: string): number {
  return Number(/-w(\d+)$/.exec(a)?.[1]) - Number(/-w(\d+)$/.exec(b)?.[1]);
}
