/**
 * Turns what deployments and workspaces record into what the serving runtime must do: a
 * start, restart or spec change of an active service applies its plan (the runtime starts it
 * or rolls it to the new revision), a stop stops it, a delete removes it and its home.
 *
 * A revision rolled out lets the runtime release what older revisions held (`retireBefore`).
 * A failure the access re-check recorded (service-access-recheck.ts) stops the service, as a
 * refused start does.
 *
 * Every reaction is idempotent (the runtime ignores a revision it already runs, and stopping
 * or removing twice is harmless), which is what at-least-once delivery needs.
 */
import { isResourceEvent } from '../../../events/event-versions.ts';
import { ofType } from '../../../events/envelope.ts';
import type { CommittedBatch } from '../../ports/event-store.ts';
import type { ServiceReports, ServiceRuntime } from '../../ports/service-runtime.ts';
import type { Clock } from '../../ports/platform-clock.ts';
import { RESOURCE_STREAM_PREFIX } from '../resource-model.ts';
import { isActive, serviceOf, type LiveResource, type ResourceState } from '../../domain/resource/resource-decider.ts';
import { resourceId } from '../../domain/resource/resource-identity.ts';
import { planService } from '../../domain/planner/service-plan.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { attachmentFacts } from '../attachment-facts.ts';
import { ACCESS_RECHECK_ACTOR } from '../service-report-recorder.ts';

const APPLY_EVENTS = new Set(['ResourceStartRequested', 'ResourceRestartRequested', 'ResourceSpecUpdated']);
export const RESTART_REASON = 'the control plane restarted; the replica was replaced';

export interface ServiceReactorDeps {
  runtime: ServiceRuntime;
  /** Variables every task gets from the platform (SATURN_BASE_URL, ...). */
  platformEnvironment: Record<string, string>;
  /**
   * Where the catalog is read at each start, restart and spec change, to decide whether the
   * owner may still use the attachments and to learn their facts (folder modes, role ARNs), and
   * where a refusal is recorded. Without it, folders are read-write and no role is attached.
   */
  catalog?: { store: EventStore; reports: ServiceReports; clock: Clock };
  /** Where a resource's Dask scheduler is reached, when known before it runs (AWS: its Cloud Map name); see `ServicePlanContext`. */
  daskSchedulerAddress?: (resourceId: string) => string;
}

export class ServiceReactor {
  readonly name = 'service-reactor';

  constructor(private readonly deps: ServiceReactorDeps) {}

  reactsTo(streamId: string): boolean {
    return streamId.startsWith(RESOURCE_STREAM_PREFIX);
  }

  async handle(batch: CommittedBatch): Promise<void> {
    if (!this.reactsTo(batch.streamId)) return;
    const state = batch.snapshot.state as ResourceState;
    const type = state.address?.type;
    if (type !== 'deployment' && type !== 'workspace') return;
    const events = batch.events.filter(isResourceEvent);
    const deleted = events.find((e) => e.type === 'ResourceDeleted');
    if (deleted) {
      await this.deps.runtime.remove(resourceId(state.streamId, state.incarnation));
      return;
    }
    const live = state.live;
    if (!live) return;
    const [rolledOut] = ofType(events, 'ServiceRolledOut');
    if (rolledOut) await this.deps.runtime.retireBefore?.(live.id, rolledOut.data.revision);
    const [stop] = ofType(events, 'ResourceStopRequested');
    if (stop) await this.deps.runtime.stop(live.id, stop.data.reason ?? `stopped by ${stop.actor}`);
    const accessLost = ofType(events, 'ResourceFailed').find((e) => e.actor === ACCESS_RECHECK_ACTOR);
    // Only while the failure stands: a start since then re-decides access itself. The failure is
    // recorded already; what is left is to stop the service even with no replica recorded as
    // live, since the runtime may be replacing one that crashed (ECS does so by itself).
    if (accessLost && live.status === 'error') await this.deps.runtime.stop(live.id, accessLost.data.reason);
    if (events.some((e) => APPLY_EVENTS.has(e.type)) && isActive(live)) await this.apply(live);
  }

  /**
   * After a restart of a runtime that loses its replicas with it (local mode): the replicas
   * recorded as live are over, and each active service is brought back at its revision.
   */
  async recover(resources: LiveResource[], context: { reports: ServiceReports; clock: Clock; running: ReadonlySet<string> }): Promise<number> {
    const { reports, clock, running } = context;
    let recovered = 0;
    for (const resource of resources) {
      if (resource.type === 'job') continue;
      const at = clock.now().toISOString();
      // Pods started since the restart (a redelivered start during catch-up) are not lost.
      for (const pod of resource.service.pods.filter((p) => p.endedAt === null && !running.has(p.name))) {
        await reports.replicaExited({ resourceId: resource.id, pod: pod.name, revision: pod.revision, at, exitCode: null, reason: RESTART_REASON, stoppedByPlatform: true });
      }
      if (isActive(resource)) {
        await this.apply(resource);
        recovered++;
      } else if (resource.status === 'stopping') {
        await this.deps.runtime.stop(resource.id, 'the control plane restarted while the service was stopping');
      }
    }
    return recovered;
  }

  private async apply(live: LiveResource): Promise<void> {
    const planning = this.deps.catalog ? await attachmentFacts(this.deps.catalog.store, live.owner, live.spec) : undefined;
    if (planning?.refused !== undefined) return this.refuse(live, planning.refused);
    const catalog = planning?.facts;
    const { platformEnvironment, daskSchedulerAddress } = this.deps;
    await this.deps.runtime.apply(planService(live, { platformEnvironment, ...(catalog ? { catalog } : {}), ...(daskSchedulerAddress ? { daskSchedulerAddress } : {}) }));
  }

  /**
   * The owner may no longer use what the spec attaches: no replica of the new revision starts,
   * and replicas still serving an older one (which got the attachments while access held) are
   * stopped, then the service is recorded in error with the reason (a stop report that lands
   * after the failure leaves the error as it is: the resource decider keeps it).
   */
  private async refuse(live: LiveResource, reason: string): Promise<void> {
    if (serviceOf(live)?.pods.some((pod) => pod.endedAt === null)) await this.deps.runtime.stop(live.id, reason);
    if (!this.deps.catalog) return;
    const { reports, clock } = this.deps.catalog;
    await reports.failed({ resourceId: live.id, reason, at: clock.now().toISOString() });
  }
}

