/**
 * The Dask use cases of the API: describe a resource's cluster (`GET /api/{kind}/{id}/dask`)
 * and scale it (`POST /api/{kind}/{id}/dask/scale`). A scale is recorded on the resource's
 * stream (`DaskClusterScaled`), so it outlives restarts; the Dask reactor brings the runtime
 * to it.
 */
import type { EventStore } from '../ports/event-store.ts';
import type { Clock } from '../ports/platform-clock.ts';
import type { DaskClusterStatus, DaskRuntime } from '../ports/dask-runtime.ts';
import { runCommand } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import { loadVisibleResource } from './visible-resource.ts';
import { KIND_TYPES, type Kind } from './resource-service.ts';
import type { LiveResource, ResourceState } from '../domain/resource/resource-decider.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { desiredDaskWorkers } from '../domain/resource/dask-cluster.ts';

export interface DaskView {
  status: DaskClusterStatus;
  scheduler_address: string | null;
  dashboard_url: string | null;
  /** Workers the cluster should have: the spec's `num_workers`, or the last scale. */
  num_workers: number;
  /** Workers that run now, as the runtime reports them. */
  running_workers: number;
  reason?: string;
}

export const NO_DASK_RUNTIME = 'this installation of the platform runs no Dask clusters (no Dask runtime is configured)';

export interface DaskServiceDeps {
  store: EventStore;
  clock: Clock;
  /** Where clusters run; absent: every cluster is `unavailable`. */
  runtime?: Pick<DaskRuntime, 'describe'>;
}

export class DaskService {
  constructor(private readonly deps: DaskServiceDeps) {}

  async describe(user: User, kind: Kind, id: string): Promise<DaskView> {
    const { state } = await loadVisibleResource(this.deps.store, user, KIND_TYPES[kind], id);
    return this.view(liveOf(state, kind, id));
  }

  async scale(user: User, kind: Kind, id: string, numWorkers: number): Promise<DaskView> {
    const loaded = await loadVisibleResource(this.deps.store, user, KIND_TYPES[kind], id);
    liveOf(loaded.state, kind, id);
    const meta = { at: this.deps.clock.now().toISOString(), actor: user.username };
    const outcome = await runCommand(this.deps.store, resourceModel(loaded.state.streamId), { kind: 'ScaleDaskCluster', id, numWorkers, ...meta }, { loaded });
    return this.view(liveOf(outcome.state, kind, id));
  }

  private async view(live: LiveResource): Promise<DaskView> {
    const desired = desiredDaskWorkers(live.spec, live.daskScaledTo);
    if (desired === null) throw new ConflictError(`The ${live.type} ${live.name} has no Dask cluster; add dask_cluster to its recipe and apply it.`);
    if (!this.deps.runtime) {
      return { status: 'unavailable', scheduler_address: null, dashboard_url: null, num_workers: desired, running_workers: 0, reason: NO_DASK_RUNTIME };
    }
    const described = await this.deps.runtime.describe(live.id);
    return {
      status: described.status,
      scheduler_address: described.scheduler_address,
      dashboard_url: described.dashboard_url,
      num_workers: desired,
      running_workers: described.num_workers,
      ...(described.reason ? { reason: described.reason } : {}),
    };
  }
}

function liveOf(state: ResourceState, kind: Kind, id: string): LiveResource {
  if (!state.live || state.live.id !== id) throw new NotFoundError(`No ${KIND_TYPES[kind]} with id ${id}.`);
  return state.live;
}
