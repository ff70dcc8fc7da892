/**
 * Lambda entry point of the reconciler, run every minute by an EventBridge rule
 * (infra/aws/constructs/task-lifecycle.ts). One pass (reconcile.ts) repairs what the reactor
 * and the task-state events left undone: launches after a backoff, timeouts, ended runs their
 * job was not told about, and tasks ECS lost. A run that fails to reconcile is logged and
 * tried again on the next pass.
 */
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { ecsPlatformFromEnv } from '../../shared/adapters/aws/ecs-platform.ts';
import { EcsRunInspector } from '../../shared/adapters/aws/ecs-run-inspector.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { reconcile, type ReconcileDeps, type ReconcileSummary } from './reconcile.ts';

let deps: ReconcileDeps | undefined;

function buildDeps(): ReconcileDeps {
  const { store, views, runViews } = dynamoPlatformFromEnv();
  const jobs = new JobRunService({ store, runViews, clock: systemClock, random: systemRandom });
  const { client, cluster, control } = ecsPlatformFromEnv(jobs, systemClock);
  return { views, jobs, control, ecs: new EcsRunInspector({ client, cluster }), clock: systemClock };
}

export async function handler(): Promise<ReconcileSummary> {
  deps ??= buildDeps();
  const summary = await reconcile(deps);
  console.info(JSON.stringify({ level: 'info', message: 'reconciled', ...summary }));
  return summary;
}
