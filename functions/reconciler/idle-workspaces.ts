/**
 * The reconciler's idle pass: every running workspace with an auto_shutoff that has served for
 * at least that long is checked against the requests the load balancer counted for it
 * (shared/adapters/aws/services/alb-idle-workspaces.ts); one that saw none is reported idle, which stops
 * it. A workspace reported twice decides nothing the second time.
 */
import type { RecipeViews } from '../../shared/ports/recipe-views.ts';
import type { ServiceReports } from '../../shared/ports/service-runtime.ts';
import type { Clock } from '../../shared/ports/platform-clock.ts';
import type { LiveResource } from '../../shared/domain/resource/resource-decider.ts';
import { planService } from '../../shared/domain/planner/service-plan.ts';
import type { IdleCandidate } from '../../shared/adapters/aws/services/alb-idle-workspaces.ts';

const PAGE_SIZE = 100;

export interface IdleWorkspacesDeps {
  views: Pick<RecipeViews, 'list'>;
  detector: { idle(candidates: IdleCandidate[]): Promise<IdleCandidate[]> };
  reports: Pick<ServiceReports, 'idle'>;
  clock: Clock;
}

/** A running workspace's auto_shutoff window and since when it serves, or undefined when it never idles out. */
export function idleCandidateOf(resource: LiveResource): IdleCandidate | undefined {
  if (resource.type !== 'workspace' || resource.status !== 'running' || !resource.service) return undefined;
  const idleSeconds = planService(resource, { platformEnvironment: {} }).idleShutoffSeconds;
  const live = resource.service.pods.filter((p) => p.endedAt === null);
  if (idleSeconds === null || live.length === 0) return undefined;
  const servingSince = live.map((p) => p.startedAt).sort().at(-1)!;
  return { resourceId: resource.id, idleSeconds, servingSince };
}

/** Reports the idle workspaces; returns how many. */
export async function reportIdleWorkspaces(deps: IdleWorkspacesDeps): Promise<number> {
  const candidates: IdleCandidate[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.views.list({ owners: 'all', type: 'workspace', pageSize: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    for (const { resource } of page.views) {
      const candidate = idleCandidateOf(resource);
      if (candidate) candidates.push(candidate);
    }
    cursor = page.cursor ?? undefined;
  } while (cursor);
  const idle = await deps.detector.idle(candidates);
  const at = deps.clock.now().toISOString();
  for (const { resourceId, idleSeconds } of idle) await deps.reports.idle({ resourceId, idleSeconds, at });
  return idle.length;
}
