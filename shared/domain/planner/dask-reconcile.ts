/**
 * What a remote Dask cluster needs to match its plan, from what runs: a pure comparison the
 * ECS runtime applies on every `ensure` and the reconciler repeats every minute. A worker lost
 * to spot reclamation or a crash is simply missing from `running`, so it is started again; a
 * scheduler that ended is started again and registered under the same name, so the address
 * the resource's tasks hold stays valid.
 */

export interface ClusterTask {
  /** The task's id (an ECS task ARN). */
  id: string;
  role: 'scheduler' | 'worker';
  /** Still coming up, or up; stopping and stopped tasks are left out by the caller. */
  state: 'starting' | 'running';
  /** The task's private IPv4 once its network interface is attached. */
  ip: string | null;
  startedAt: string | null;
}

export interface RegisteredInstance {
  /** The Cloud Map instance id: the scheduler task's id. */
  id: string;
  ip: string;
}

export interface ClusterActions {
  startScheduler: boolean;
  startWorkers: number;
  /** Tasks to stop: extra workers (newest first) and extra schedulers. */
  stop: string[];
  register: RegisteredInstance | null;
  deregister: string[];
}

export function reconcileDaskCluster(desiredWorkers: number, running: ClusterTask[], registered: RegisteredInstance[]): ClusterActions {
  const newestFirst = (a: ClusterTask, b: ClusterTask) => (b.startedAt ?? '\uffff').localeCompare(a.startedAt ?? '\uffff');
  const schedulers = running.filter((t) => t.role === 'scheduler').sort(newestFirst).reverse();
  // The oldest scheduler is the cluster's; any other (a duplicate start) is stopped.
  const scheduler = schedulers[0] ?? null;
  const workers = running.filter((t) => t.role === 'worker').sort(newestFirst);
  const extraWorkers = workers.slice(0, Math.max(0, workers.length - desiredWorkers)).map((t) => t.id);
  const want = scheduler?.ip ? { id: scheduler.id, ip: scheduler.ip } : null;
  const registeredWanted = want !== null && registered.some((r) => r.id === want.id && r.ip === want.ip);
  return {
    startScheduler: scheduler === null,
    startWorkers: Math.max(0, desiredWorkers - workers.length),
    stop: [...extraWorkers, ...schedulers.slice(1).map((t) => t.id)],
    register: want && !registeredWanted ? want : null,
    deregister: registered.filter((r) => r.id !== want?.id || r.ip !== want.ip).map((r) => r.id),
  };
}
