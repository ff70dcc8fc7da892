/**
 * The access re-check of serving resources: every active deployment and workspace has the access
 * of its owner to what its spec attaches decided again (the one rule, attachment-access.ts), not
 * only at its start, restart or spec change. A runtime that replaces a crashed replica by itself
 * (ECS does, without asking the platform) would otherwise hand the attachments to a replica whose
 * owner lost access, and running replicas would keep what they got.
 *
 * A refusal is recorded as the resource's failure, with the reason naming each attachment, by
 * ACCESS_RECHECK_ACTOR; the ServiceReactor reacts to it by stopping the service through the
 * runtime (service-reactor.ts), in whichever process holds the runtime's permissions. The pass
 * itself only reads the catalog and writes one event per refused resource, so the reconciler
 * Lambda needs no ECS, load balancer or Cognito grant for it. Run every minute by the reconciler
 * on AWS (functions/reconciler/handler.ts) and by a timer locally (infra/local/local-platform.ts).
 */
import type { EventStore } from '../ports/event-store.ts';
import type { RecipeViews } from '../ports/recipe-views.ts';
import type { Clock } from '../ports/platform-clock.ts';
import { isActive, type LiveResource } from '../domain/resource/resource-decider.ts';
import type { ServiceReportRecorder } from './service-report-recorder.ts';
import { attachmentFacts } from './attachment-facts.ts';

const PAGE_SIZE = 100;
const SERVING_TYPES = ['deployment', 'workspace'] as const;

export interface ServiceAccessRecheckDeps {
  views: Pick<RecipeViews, 'list'>;
  /** Where the catalog and the owners' groups are read, as their streams say now. */
  store: EventStore;
  reports: Pick<ServiceReportRecorder, 'accessLost'>;
  clock: Clock;
  /** Where a resource that could not be re-checked is logged; it is tried again on the next pass. */
  log: { error(message: string, context: Record<string, unknown>): void };
}

export interface ServiceAccessRecheckSummary {
  /** Active deployments and workspaces whose access was decided. */
  checked: number;
  /** Those whose owner lost access: recorded failed, to be stopped. */
  refused: number;
  failed: number;
}

export async function recheckServiceAccess(deps: ServiceAccessRecheckDeps): Promise<ServiceAccessRecheckSummary> {
  const summary: ServiceAccessRecheckSummary = { checked: 0, refused: 0, failed: 0 };
  for (const type of SERVING_TYPES) {
    let cursor: string | undefined;
    do {
      const page = await deps.views.list({ owners: 'all', type, pageSize: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      for (const { resource } of page.views) {
        if (!isActive(resource)) continue;
        summary.checked++;
        try {
          if (await recheckOne(deps, resource)) summary.refused++;
        } catch (error) {
          summary.failed++;
          deps.log.error('could not re-check access to attachments', { resource: resource.id, error });
        }
      }
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }
  return summary;
}

/** Whether the owner lost access; if so, the failure is recorded. */
async function recheckOne(deps: ServiceAccessRecheckDeps, resource: LiveResource): Promise<boolean> {
  const planning = await attachmentFacts(deps.store, resource.owner, resource.spec);
  if (planning.refused === undefined) return false;
  await deps.reports.accessLost({ resourceId: resource.id, reason: planning.refused, at: deps.clock.now().toISOString() });
  return true;
}

