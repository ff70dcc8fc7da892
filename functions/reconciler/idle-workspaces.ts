/**
 * The reconciler's idle pass: every running workspace with an auto_shutoff that has served for
 * at least that long is checked against the requests the load balancer counted for it
 * (shared/adapters/aws/services/alb-idle-workspaces.ts); one that saw none is reported idle, which stops
 * it. A workspace reported twice decides nothing the second time.
 *
 * SSH is activity too, which the load balancer never sees (it goes through the SSH gateway): the
 * window counts from the newest session start or end recorded on the workspace, and a workspace
 * with a session open is not idle. An open session counts for OPEN_SSH_SESSION_HOURS after the
 * newest session event at most: a gateway task that dies cannot record its sessions' ends, and
 * such a session must not keep a workspace (and its bill) running for ever.
 */
import type { RecipeViews } from '../../shared/ports/recipe-views.ts';
import type { ServiceReports } from '../../shared/ports/service-runtime.ts';
import type { Clock } from '../../shared/ports/platform-clock.ts';
import type { LiveResource } from '../../shared/domain/resource/resource-decider.ts';
import { planService } from '../../shared/domain/planner/service-plan.ts';
import type { IdleCandidate } from '../../shared/adapters/aws/services/alb-idle-workspaces.ts';

const PAGE_SIZE = 100;
/** How long an open SSH session alone keeps a workspace from idling out, from its newest session event. */
export const OPEN_SSH_SESSION_HOURS = 24;

export interface IdleWorkspacesDeps {
  views: Pick<RecipeViews, 'list'>;
  detector: { idle(candidates: IdleCandidate[]): Promise<IdleCandidate[]> };
  reports: Pick<ServiceReports, 'idle'>;
  clock: Clock;
}

/**
 * A running workspace's auto_shutoff window and since when it counts (its newest replica's start
 * or its newest SSH session event, whichever is later), or undefined when it cannot idle out now.
 */
export function idleCandidateOf(resource: LiveResource, now: Date): IdleCandidate | undefined {
  if (resource.type !== 'workspace' || resource.status !== 'running' || !resource.service) return undefined;
  const idleSeconds = planService(resource, { platformEnvironment: {} }).idleShutoffSeconds;
  const live = resource.service.pods.filter((p) => p.endedAt === null);
  if (idleSeconds === null || live.length === 0) return undefined;
  const sshActiveAt = resource.sshActiveAt;
  const sessionOpen = (resource.sshSessions?.length ?? 0) > 0;
  if (sessionOpen && sshActiveAt !== undefined && now.getTime() - Date.parse(sshActiveAt) < OPEN_SSH_SESSION_HOURS * 3_600_000) return undefined;
  const servingSince = [...live.map((p) => p.startedAt), ...(sshActiveAt === undefined ? [] : [sshActiveAt])].sort().at(-1)!;
  return { resourceId: resource.id, idleSeconds, servingSince };
}

/** Reports the idle workspaces; returns how many. */
export async function reportIdleWorkspaces(deps: IdleWorkspacesDeps): Promise<number> {
  const candidates: IdleCandidate[] = [];
  const now = deps.clock.now();
  let cursor: string | undefined;
  do {
    const page = await deps.views.list({ owners: 'all', type: 'workspace', pageSize: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    for (const { resource } of page.views) {
      const candidate = idleCandidateOf(resource, now);
      if (candidate) candidates.push(candidate);
    }
    cursor = page.cursor ?? undefined;
  } while (cursor);
  const idle = await deps.detector.idle(candidates);
  const at = now.toISOString();
  for (const { resourceId, idleSeconds } of idle) await deps.reports.idle({ resourceId, idleSeconds, at });
  return idle.length;
}
