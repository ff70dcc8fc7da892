/**
 * The reconciler's Dask pass: every cluster that should run is brought to its plan, and every
 * cluster that should not is torn down, whatever reactions were lost.
 *
 * - Which clusters to look at: the resources the read models show with a cluster that should
 *   run (a deployment or workspace pending or running, a job with an active run), and every
 *   cluster the runtime finds (a Cloud Map service or a task of a cluster), so a cluster whose
 *   resource was stopped or deleted while its reaction failed is found too.
 * - What each should be: read from the resource's stream, not the read model, which may lag a
 *   moment behind a start or a stop; a pass never restarts a cluster the reactor just stopped.
 *   Its attachments' catalog facts (folder modes, the role's ARN) are read from the same store.
 * - Repairs: `ensure` replaces lost workers and a lost scheduler (moving its Cloud Map name to
 *   the new task), `stop` stops every task and removes the name (shared/adapters/aws/dask/ecs-dask-runtime.ts).
 */
import type { EventStore } from '../../shared/ports/event-store.ts';
import type { RecipeViews } from '../../shared/ports/recipe-views.ts';
import type { DaskRuntime } from '../../shared/ports/dask-runtime.ts';
import { loadState } from '../../shared/app/command-runner.ts';
import { resourceModel } from '../../shared/app/resource-model.ts';
import { daskClusterWanted, daskPlanOf, daskStopReason, DELETED_REASON } from '../../shared/app/consumers/dask-reactor.ts';
import { addressOf } from '../../shared/domain/resource/resource-identity.ts';
import { planDaskCluster } from '../../shared/domain/planner/dask-plan.ts';
import { jsonConsole, type Log } from '../observability.ts';

const PAGE_SIZE = 100;

export interface DaskClustersDeps {
  views: Pick<RecipeViews, 'list'>;
  store: EventStore;
  runtime: Pick<DaskRuntime, 'ensure' | 'stop'> & {
    /** The resources that have something of a cluster (a task, a Cloud Map service). */
    clusterIds(): Promise<Set<string>>;
  };
  log?: Pick<Log, 'error'>;
}

export interface DaskClustersSummary {
  /** Clusters that should run, each brought to its plan. */
  ensured: number;
  /** Clusters whose resource stopped, lost its dask_cluster or was deleted, torn down. */
  stopped: number;
  failed: number;
}

export async function reconcileDaskClusters(deps: DaskClustersDeps): Promise<DaskClustersSummary> {
  const summary: DaskClustersSummary = { ensured: 0, stopped: 0, failed: 0 };
  const existing = await deps.runtime.clusterIds();
  const ids = new Set([...(await wantedByViews(deps.views)), ...existing]);
  for (const id of ids) {
    try {
      const outcome = await reconcileCluster(deps, id, existing.has(id));
      if (outcome) summary[outcome]++;
    } catch (error) {
      summary.failed++;
      (deps.log ?? jsonConsole).error('could not reconcile a Dask cluster', { resource: id, error });
    }
  }
  return summary;
}

async function reconcileCluster(deps: DaskClustersDeps, id: string, exists: boolean): Promise<'ensured' | 'stopped' | null> {
  const address = addressOf(id);
  // Not a resource id: nothing of ours to decide about.
  if (!address) return null;
  const { state } = await loadState(deps.store, resourceModel(address.streamId));
  const live = state.live?.id === id ? state.live : null;
  // With the catalog's facts, as the reactor plans it: the same plan, so no needless new shape.
  const planned = live ? await daskPlanOf(live, deps.store) : null;
  if (live && planned?.plan && daskClusterWanted(live)) {
    await deps.runtime.ensure(planned.plan);
    return 'ensured';
  }
  if (!exists) return null;
  await deps.runtime.stop(id, !live || !planned ? DELETED_REASON : daskStopReason(live, planned), state.address?.owner);
  return 'stopped';
}

/** The resources whose read model says their cluster should run. */
async function wantedByViews(views: Pick<RecipeViews, 'list'>): Promise<string[]> {
  const wanted: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await views.list({ owners: 'all', pageSize: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    for (const { resource } of page.views) if (planDaskCluster(resource) && daskClusterWanted(resource)) wanted.push(resource.id);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return wanted;
}
