/**
 * Keeps each resource's Dask cluster in step with the resource: it runs while a deployment or
 * workspace is started (pending or running) and while a job has an active run, at the worker
 * count the spec or the last scale asks for, and stops otherwise (a stop, a failure, the last
 * run's end, a delete, a spec without `dask_cluster`).
 *
 * It has to see a batch before the consumers that launch the resource's tasks (job runs,
 * replicas), so that the scheduler's address is known when they start: place it first. Every
 * reaction is idempotent (`ensure` brings a cluster to its plan; stopping twice is harmless).
 *
 * The cluster's tasks get the resource's attachments with the catalog's facts about them
 * (folder modes, the role's ARN) read as the service reactor reads them (attachment-facts.ts).
 */
import { isResourceEvent } from '../../../events/event-versions.ts';
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { DaskRuntime } from '../../ports/dask-runtime.ts';
import type { RecipeViews } from '../../ports/recipe-views.ts';
import { RESOURCE_STREAM_PREFIX } from '../resource-model.ts';
import { isActive, type LiveResource, type ResourceState } from '../../domain/resource/resource-decider.ts';
import { resourceId } from '../../domain/resource/resource-identity.ts';
import { planDaskCluster, type DaskClusterPlan } from '../../domain/planner/dask-plan.ts';
import { daskClusterOf } from '../../domain/resource/dask-cluster.ts';
import type { ResourceEventType } from '../../../events/resource-events.ts';
import { attachmentFacts } from '../attachment-facts.ts';

/** Events after which the cluster may have to start, stop or change. */
const CLUSTER_EVENTS = new Set<ResourceEventType>([
  'ResourceStartRequested',
  'ResourceRestartRequested',
  'ResourceSpecUpdated',
  'ResourceStopRequested',
  'ResourceBecameStopped',
  'ResourceFailed',
  'JobRunRequested',
  'JobRunFinished',
  'DaskClusterScaled',
]);

export const DELETED_REASON = 'the resource was deleted';

/** Whether the resource's cluster should run now. */
export function daskClusterWanted(live: LiveResource): boolean {
  if (live.type === 'job') return (live.runs?.active.length ?? 0) > 0;
  return isActive(live);
}

/**
 * The resource's cluster plan with the catalog's facts about its attachments (`plan` null when
 * it has no cluster), or why its owner may no longer use them (`refused`): then no cluster may
 * run. Without a catalog, folders are read-write and no role is attached.
 */
export async function daskPlanOf(live: LiveResource, catalog: EventStore | undefined): Promise<{ plan: DaskClusterPlan | null; refused?: string }> {
  const plan = planDaskCluster(live);
  // No catalog read for a resource without a cluster.
  if (!plan || !catalog) return { plan };
  const planning = await attachmentFacts(catalog, live.owner, live.spec);
  if (planning.refused !== undefined) return { plan: null, refused: planning.refused };
  return { plan: planDaskCluster(live, planning.facts) };
}

/** Why the resource's cluster is stopped: the reason a stop names. */
export function daskStopReason(live: LiveResource, planned: { plan: DaskClusterPlan | null; refused?: string }): string {
  if (planned.refused !== undefined) return planned.refused;
  return planned.plan ? `the ${live.type} stopped` : `the ${live.type}'s spec has no dask_cluster any more`;
}

export interface DaskReactorDeps {
  runtime: DaskRuntime;
  /** Where the catalog is read for the attachments' facts (folder modes, role ARNs). */
  catalog?: EventStore;
}

export class DaskReactor {
  readonly name = 'dask-reactor';

  constructor(private readonly deps: DaskReactorDeps) {}

  reactsTo(streamId: string): boolean {
    return streamId.startsWith(RESOURCE_STREAM_PREFIX);
  }

  async handle(batch: CommittedBatch): Promise<void> {
    if (!this.reactsTo(batch.streamId)) return;
    const state = batch.snapshot.state as ResourceState;
    const events = batch.events.filter(isResourceEvent);
    if (events.some((e) => e.type === 'ResourceDeleted')) {
      await this.deps.runtime.stop(resourceId(state.streamId, state.incarnation), DELETED_REASON, state.address?.owner);
      return;
    }
    if (!state.live || !events.some((e) => CLUSTER_EVENTS.has(e.type))) return;
    // A resource whose spec has no cluster, and did not just lose one, has none to stop: no
    // runtime call (on AWS, two listings) for every start and stop of the many without Dask.
    // Anything a lost reaction left running is the reconciler's Dask pass's to stop.
    if (!daskClusterOf(state.live.spec) && !events.some((e) => e.type === 'ResourceSpecUpdated')) return;
    await this.follow(state.live);
  }

  /**
   * After a restart of a runtime that loses its clusters with it (local mode): every resource
   * that should have a cluster gets one again. Call before the replicas and runs are restored.
   */
  async recover(views: RecipeViews): Promise<number> {
    let recovered = 0;
    let cursor: string | undefined;
    do {
      const page = await views.list({ owners: 'all', pageSize: 100, cursor });
      for (const { resource } of page.views) {
        if (!planDaskCluster(resource) || !daskClusterWanted(resource)) continue;
        await this.follow(resource);
        recovered++;
      }
      cursor = page.cursor ?? undefined;
    } while (cursor);
    return recovered;
  }

  private async follow(live: LiveResource): Promise<void> {
    const planned = await daskPlanOf(live, this.deps.catalog);
    if (planned.plan && daskClusterWanted(live)) await this.deps.runtime.ensure(planned.plan);
    else await this.deps.runtime.stop(live.id, daskStopReason(live, planned), live.owner);
  }
}
