/**
 * Locally, the reconciler's access re-check (shared/app/service-access-recheck.ts) on a timer:
 * the attachment gate already refuses each replica launch of an owner who lost access
 * (services/attachment-gate.ts), but a replica that keeps running keeps what it was given; this
 * pass records such a service failed, and the ServiceReactor stops its replicas, as on AWS.
 */
import { recheckServiceAccess, type ServiceAccessRecheckDeps } from '../../shared/app/service-access-recheck.ts';
import { startPeriodicPass, type PeriodicPass } from './periodic-pass.ts';

export type PeriodicAccessRecheck = PeriodicPass;

export function startPeriodicAccessRecheck(deps: ServiceAccessRecheckDeps, intervalMs: number): PeriodicAccessRecheck {
  return startPeriodicPass(() => recheckServiceAccess(deps), intervalMs, (error) => deps.log.error('could not re-check access to attachments', { error }));
}
