/**
 * A resource's Dask cluster, as the resource aggregate sees it: whether the spec attaches one,
 * how many workers it should have, and whether it should run now.
 *
 * The cluster follows its resource: a deployment's or workspace's runs while the resource is
 * started; a job's runs while the job has an active run (one cluster per job, shared by
 * overlapping runs). Its worker count is the spec's `num_workers` unless the API scaled it
 * (`DaskClusterScaled`), and a scale lasts until the spec's `dask_cluster` changes.
 */
import { isDeepStrictEqual } from 'node:util';
import { ConflictError } from '../errors.ts';
import type { DaskClusterSpec, ResourceSpec } from '../recipe/spec-types.ts';

export type { DaskClusterSpec };
/** What the cluster is read from: the spec's `dask_cluster`. */
type WithDaskCluster = Pick<ResourceSpec, 'dask_cluster'>;

/** The most workers a cluster may have, as the recipe schema allows in `num_workers`. */
export const MAX_DASK_WORKERS = 500;

export function daskClusterOf(spec: WithDaskCluster): DaskClusterSpec | null {
  return spec.dask_cluster ?? null;
}

/** What the resource aggregate keeps about its cluster besides the spec. */
export interface DaskScale {
  /** Workers asked for through the API; null: the spec's `num_workers`. */
  scaledTo: number | null;
}

/** The worker count the cluster should have, or null when the spec attaches no cluster. */
export function desiredDaskWorkers(spec: WithDaskCluster, scaledTo: number | null | undefined): number | null {
  const cluster = daskClusterOf(spec);
  if (!cluster) return null;
  return scaledTo ?? cluster.num_workers;
}

/** Whether a scale asked for through the API still holds after the spec changed from `before` to `after`. */
export function scaleSurvives(before: WithDaskCluster, after: WithDaskCluster): boolean {
  return isDeepStrictEqual(daskClusterOf(before), daskClusterOf(after));
}

/**
 * Decides a scale: refused when the resource has no cluster; nothing to record when the
 * count is already the one asked for (a repeated request is a no-op).
 */
export function decideDaskScale(input: { id: string; spec: WithDaskCluster; scaledTo: number | null | undefined; numWorkers: number }): { num_workers: number } | null {
  const desired = desiredDaskWorkers(input.spec, input.scaledTo);
  if (desired === null) {
    throw new ConflictError(`Resource ${input.id} has no Dask cluster; add dask_cluster to its recipe and apply it first.`);
  }
  if (!Number.isInteger(input.numWorkers) || input.numWorkers < 0 || input.numWorkers > MAX_DASK_WORKERS) {
    // The API validates first; this guards other callers of the decider.
    throw new ConflictError(`num_workers must be an integer from 0 to ${MAX_DASK_WORKERS}.`);
  }
  return desired === input.numWorkers ? null : { num_workers: input.numWorkers };
}
