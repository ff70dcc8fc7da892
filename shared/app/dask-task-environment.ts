/**
 * Gives a resource's tasks their Dask scheduler's address: a task driver that, before it
 * launches a task labelled with a resource that has a cluster, adds DASK_SCHEDULER_ADDRESS to
 * the task's environment. It wraps the driver rather than the planner because the local
 * scheduler's address is a free port, known only once its process started; on ECS the address
 * is the cluster's Cloud Map name and known in advance, and the same wrapper serves.
 */
import type { TaskDriver, TaskSpec } from '../ports/task-driver.ts';
import type { DaskRuntime } from '../ports/dask-runtime.ts';
import { DASK_ADDRESS_VARIABLE } from '../domain/planner/dask-plan.ts';
import { interceptLaunch } from './launch-interceptor.ts';

export async function withSchedulerAddress(spec: TaskSpec, dask: Pick<DaskRuntime, 'schedulerAddress'>): Promise<TaskSpec> {
  const resource = spec.labels.resource;
  if (!resource) return spec;
  const address = await dask.schedulerAddress(resource);
  if (address === null) return spec;
  return { ...spec, environment: { ...spec.environment, [DASK_ADDRESS_VARIABLE]: address } };
}

/** `driver` with a `launch` that adds the scheduler's address; every other member is the driver's own. */
export function daskAwareDriver<D extends Pick<TaskDriver, 'launch'>>(driver: D, dask: Pick<DaskRuntime, 'schedulerAddress'>): D {
  return interceptLaunch(driver, (spec) => withSchedulerAddress(spec, dask));
}
