/**
 * Lambda entry point of the reconciler, run every minute by an EventBridge rule
 * (infra/aws/constructs/task-lifecycle.ts). One pass (reconcile.ts) repairs what the reactor
 * and the task-state events left undone: launches after a backoff, timeouts, ended runs their
 * job was not told about, and tasks ECS lost. A run that fails to reconcile is logged and
 * tried again on the next pass. With a load balancer, workspaces nobody used for their
 * auto_shutoff are reported idle (idle-workspaces.ts). Every Dask cluster that should run is
 * repaired and every one that should not is torn down (dask-clusters.ts). Every active deployment
 * and workspace has its owner's access to its attachments decided again; one whose owner lost
 * access is recorded failed, and the reactor stops it (shared/app/service-access-recheck.ts):
 * ECS replaces a crashed replica without asking, so this is where such a replica is stopped
 * from starting again. Every owner that used up an hours window of its usage limit has what it
 * runs stopped (shared/app/limit-service.ts).
 */
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { lazyAdapter, loadOnce } from '../../shared/adapters/lazy-adapter.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { IdentityService } from '../../shared/app/identity-service.ts';
import { taskTokenIssuer } from '../../shared/app/task-token-issuer.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import { recheckServiceAccess, type ServiceAccessRecheckDeps } from '../../shared/app/service-access-recheck.ts';
import { reportIdleWorkspaces, type IdleWorkspacesDeps } from './idle-workspaces.ts';
import { reconcile, type ReconcileDeps, type ReconcileSummary } from './reconcile.ts';
import { reconcileDaskClusters, type DaskClustersDeps } from './dask-clusters.ts';
import { MetricUnit, observed, telemetryFor } from '../observability.ts';
import { limitService, type LimitService } from '../../shared/app/limit-service.ts';

const telemetry = telemetryFor('reconciler');

let deps: ReconcileDeps | undefined;
let idleDeps: IdleWorkspacesDeps | undefined;
let daskDeps: DaskClustersDeps | undefined;
let accessDeps: ServiceAccessRecheckDeps | undefined;
let limits: LimitService | undefined;

function buildDeps(env: NodeJS.ProcessEnv = process.env): ReconcileDeps {
  const { store, views, runViews, usageViews } = dynamoPlatformFromEnv(env);
  limits = limitService({ store, views, usageViews, clock: systemClock, random: systemRandom });
  const jobs = new JobRunService({ store, runViews, clock: systemClock, random: systemRandom });
  const reports = new ServiceReportRecorder({ store, clock: systemClock });
  // Relaunched runs' tasks get their SATURN_TOKEN as the reactor's do; lost tasks have theirs revoked.
  const tokens = taskTokenIssuer(new IdentityService({ store, clock: systemClock, random: systemRandom }));
  // The AWS adapters load when a pass first calls them (lazy-adapter.ts), not at the cold start:
  // the ECS side at the first pass's count of services' waiting tasks (or an active run), the Dask side at the Dask pass.
  const ecs = loadOnce(async () => {
    const [{ ecsPlatformFromEnv }, { EcsRunInspector }] = await Promise.all([import('../../shared/adapters/aws/tasks/ecs-platform.ts'), import('../../shared/adapters/aws/tasks/ecs-run-inspector.ts')]);
    const platform = ecsPlatformFromEnv(jobs, systemClock, env, { tokens, log: telemetry.logger });
    return { ...platform, inspector: new EcsRunInspector({ client: platform.client, cluster: platform.cluster }) };
  });
  if (env.LOAD_BALANCER_ARN) {
    const detector = lazyAdapter<IdleWorkspacesDeps['detector']>(async () => (await import('../../shared/adapters/aws/services/alb-idle-workspaces.ts')).albIdleWorkspacesFromEnv(systemClock, env)!);
    idleDeps = { views, detector, reports, clock: systemClock };
  }
  accessDeps = { views, store, reports, clock: systemClock, log: telemetry.logger };
  const daskRuntime = lazyAdapter<DaskClustersDeps['runtime']>(async () => (await import('../../shared/adapters/aws/dask/ecs-dask-platform.ts')).ecsDaskRuntimeFromEnv(env));
  daskDeps = { views, store, runtime: daskRuntime, log: telemetry.logger };
  return {
    views,
    jobs,
    control: lazyAdapter<ReconcileDeps['control']>(async () => (await ecs()).control),
    ecs: lazyAdapter<ReconcileDeps['ecs']>(async () => (await ecs()).inspector),
    clock: systemClock,
    log: telemetry.logger,
    // Job tasks carry token files when the stack has a tasks bucket (ecs-platform.ts, TASKS_BUCKET).
    ...(env.TASKS_BUCKET ? { tokenFiles: lazyAdapter<NonNullable<ReconcileDeps['tokenFiles']>>(async () => (await ecs()).tokenFiles!) } : {}),
  };
}

export const handler = observed(telemetry, async (): Promise<ReconcileSummary> => {
  deps ??= buildDeps();
  const summary = await reconcile(deps);
  if (idleDeps) {
    // A failed idle check leaves the runs' repairs done; the next pass checks again.
    const idle = await reportIdleWorkspaces(idleDeps).catch((error: unknown) => (telemetry.logger.error('could not check idle workspaces', { error }), 0));
    telemetry.metrics.addMetric('WorkspacesIdle', MetricUnit.Count, idle);
  }
  // Like the idle check: a failed Dask pass, or access re-check, leaves the runs' repairs done, and the next pass tries again.
  const dask = await besidePass(daskDeps && (() => reconcileDaskClusters(daskDeps!)), 'could not reconcile Dask clusters', { ensured: 0, stopped: 0, failed: 0 });
  telemetry.metrics.addMetric('DaskClustersEnsured', MetricUnit.Count, dask.ensured);
  telemetry.metrics.addMetric('DaskClustersStopped', MetricUnit.Count, dask.stopped);
  telemetry.metrics.addMetric('DaskClustersFailedToReconcile', MetricUnit.Count, dask.failed);
  const access = await besidePass(accessDeps && (() => recheckServiceAccess(accessDeps!)), 'could not re-check access to attachments', { checked: 0, refused: 0, failed: 0 });
  telemetry.metrics.addMetric('ServicesRefusedAccess', MetricUnit.Count, access.refused);
  telemetry.metrics.addMetric('ServicesFailedToRecheck', MetricUnit.Count, access.failed);
  const limited = await besidePass(limits && (async () => ({ stopped: (await limits!.enforce()).length, failed: 0 })), 'could not enforce the usage limits', { stopped: 0, failed: 0 });
  telemetry.metrics.addMetric('ResourcesStoppedByLimits', MetricUnit.Count, limited.stopped);
  telemetry.logger.info('reconciled', { ...summary, dask, access, limits: limited });
  const { metrics } = telemetry;
  metrics.addMetric('ActiveRuns', MetricUnit.Count, summary.activeRuns);
  metrics.addMetric('RunsLaunched', MetricUnit.Count, summary.launched);
  metrics.addMetric('RunsTimedOut', MetricUnit.Count, summary.timedOut);
  metrics.addMetric('RunsFinished', MetricUnit.Count, summary.finished);
  metrics.addMetric('TasksRepaired', MetricUnit.Count, summary.repaired);
  // Job tasks and services' replicas alike: one alarm, "a task is waiting for capacity".
  metrics.addMetric('TasksWaitingToStart', MetricUnit.Count, summary.waitingToStart + summary.serviceTasksWaitingToStart);
  metrics.addMetric('RunsFailedToReconcile', MetricUnit.Count, summary.failed);
  return summary;
});

/** A pass beside the runs' one: its summary, `none` when it is not configured, and one failure counted when it throws. */
async function besidePass<S extends { failed: number }>(pass: (() => Promise<S>) | undefined, failure: string, none: S): Promise<S> {
  if (!pass) return none;
  return pass().catch((error: unknown) => (telemetry.logger.error(failure, { error }), { ...none, failed: 1 }));
}
