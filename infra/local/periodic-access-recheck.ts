/**
 * Locally, the reconciler's access re-check (shared/app/service-access-recheck.ts) on a timer:
 * the attachment gate already refuses each replica launch of an owner who lost access
 * (services/attachment-gate.ts), but a replica that keeps running keeps what it was given; this
 * pass records such a service failed, and the ServiceReactor stops its replicas, as on AWS.
 * One pass at a time: a slow one is not overlapped by the next tick.
 */
import { recheckServiceAccess, type ServiceAccessRecheckDeps } from '../../shared/app/service-access-recheck.ts';

export interface PeriodicAccessRecheck {
  /** Stops the timer and waits for a pass under way, so nothing is written after the store closes. */
  close(): Promise<void>;
}

export function startPeriodicAccessRecheck(deps: ServiceAccessRecheckDeps, intervalMs: number): PeriodicAccessRecheck {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = recheckServiceAccess(deps)
      .catch((error: unknown) => deps.log.error('could not re-check access to attachments', { error }))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
