/**
 * How a resource's Dask cluster is named on ECS and in Cloud Map: its tasks' `startedBy` and
 * `group`, and the scheduler's stable address. Plain functions without an SDK client, so that
 * what only names a cluster (the reactor giving a resource's tasks their scheduler address)
 * does not load ECS.
 */
import { DASK_SCHEDULER_PORT, daskSchedulerAddress } from '../../../domain/planner/dask-plan.ts';

const STARTED_BY_PREFIX = 'dask';

/** `startedBy` of every task of a resource's cluster: 36 characters at most (a resource id is 32). */
export function daskStartedBy(resourceId: string): string {
  return `${STARTED_BY_PREFIX}${resourceId}`.slice(0, 36);
}

/** The resource whose cluster a task belongs to, from its `startedBy`; undefined for other tasks. */
export function daskResourceOf(startedBy: string | undefined): string | undefined {
  return startedBy?.startsWith(STARTED_BY_PREFIX) && /^[0-9a-f]{32}$/.test(startedBy.slice(STARTED_BY_PREFIX.length)) ? startedBy.slice(STARTED_BY_PREFIX.length) : undefined;
}

export function daskGroupOf(resourceId: string, role: 'scheduler' | 'worker'): string {
  return `dask-${role}:${resourceId}`;
}

/** The scheduler's stable address in a namespace: what the resource's tasks get as DASK_SCHEDULER_ADDRESS; TLS, as every cluster on ECS speaks. */
export function cloudMapSchedulerAddress(resourceId: string, namespaceName: string): string {
  return daskSchedulerAddress(`${resourceId}.${namespaceName}`, DASK_SCHEDULER_PORT, 'tls');
}
