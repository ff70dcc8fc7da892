/**
 * Lambda entry point of the reactor, fed by the events table's stream. Each record is one
 * committed batch; the job-run reactor turns it into what must happen next (queue a run,
 * launch its tasks on ECS, stop them, put the job's schedule on EventBridge Scheduler), and
 * the service reactor runs deployments and workspaces as ECS services behind the load balancer
 * (shared/adapters/aws/ecs-service-runtime.ts). Before both, the Dask reactor starts, scales
 * and stops each resource's Dask cluster (shared/adapters/aws/ecs-dask-runtime.ts), so the
 * scheduler is up and named in Cloud Map when the resource's own tasks start with its address.
 *
 * Delivery goes through `deliverInOrder`: a repeated batch is skipped and a gap is read from
 * the table, with checkpoints in the views table. Launches due now run within the batch and
 * are awaited before its checkpoint moves (DeferredTimers.settle); later ones (a retry's
 * backoff, a timeout) are the reconciler's. On a failure the record and every later one are
 * reported failed (partial batch response), so Lambda retries from there in order.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { DeferredTimers } from '../../shared/adapters/aws/deferred-timers.ts';
import { lazyAdapter } from '../../shared/adapters/lazy-adapter.ts';
import { requiredEnv } from '../../shared/adapters/required-env.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { JobRunReactor } from '../../shared/app/consumers/job-run-reactor.ts';
import { ServiceReactor } from '../../shared/app/consumers/service-reactor.ts';
import { IdentityService } from '../../shared/app/identity-service.ts';
import { taskTokenIssuer } from '../../shared/app/task-token-issuer.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import { deliverInOrder, type BatchConsumer } from '../../shared/app/consumers/ordered-delivery.ts';
import { DaskReactor } from '../../shared/app/consumers/dask-reactor.ts';
import { SharedFolderReactor } from '../../shared/app/consumers/shared-folder-reactor.ts';
import { cloudMapSchedulerAddress } from '../../shared/adapters/aws/dask-task-names.ts';
import type { EventStore } from '../../shared/ports/event-store.ts';
import type { Checkpoints } from '../../shared/ports/checkpoints.ts';
import type { RunTaskControl } from '../../shared/ports/run-task-control.ts';
import type { JobScheduler } from '../../shared/ports/job-scheduler.ts';
import type { ServiceRuntime } from '../../shared/ports/service-runtime.ts';
import type { DaskRuntime } from '../../shared/ports/dask-runtime.ts';
import type { SharedFolderStorage } from '../../shared/app/consumers/shared-folder-reactor.ts';
import { batchOf } from '../projector/stream-records.ts';
import { countStreamBatch, observed, telemetryFor } from '../observability.ts';

const telemetry = telemetryFor('reactor');
/** How long a batch waits for a new Dask scheduler's IP, to name it before the resource's tasks start. */
const DASK_REGISTER_WITHIN_MS = 60_000;

export interface ReactorDeps {
  store: EventStore;
  checkpoints: Checkpoints;
  reactor: BatchConsumer;
  timers: DeferredTimers;
}

let deps: ReactorDeps | undefined;

function buildDeps(env: NodeJS.ProcessEnv = process.env): ReactorDeps {
  const { store, runViews, checkpoints } = dynamoPlatformFromEnv(env);
  const jobs = new JobRunService({ store, runViews, clock: systemClock, random: systemRandom });
  const timers = new DeferredTimers(systemClock);
  // Tasks' SATURN_TOKENs are API tokens of their owner, issued and revoked through the event store.
  const platformExtras = { tokens: taskTokenIssuer(new IdentityService({ store, clock: systemClock, random: systemRandom })), log: telemetry.logger };
  // Each AWS adapter is loaded with the first batch that needs it (lazy-adapter.ts): a cold start
  // about a job run does not parse the load balancer, Cognito, EFS or Cloud Map clients.
  const scheduler = lazyAdapter<JobScheduler>(async () => (await import('../../shared/adapters/aws/eventbridge-job-scheduler.ts')).eventBridgeJobSchedulerFromEnv(env));
  const launcher = lazyAdapter<RunTaskControl>(async () => (await import('../../shared/adapters/aws/ecs-platform.ts')).ecsPlatformFromEnv(jobs, systemClock, env, platformExtras).control);
  const jobReactor = new JobRunReactor({ jobs, launcher, scheduler, timers, clock: systemClock });
  const reports = new ServiceReportRecorder({ store, clock: systemClock });
  const runtime = lazyAdapter<ServiceRuntime>(async () => (await import('../../shared/adapters/aws/ecs-service-platform.ts')).ecsServiceRuntimeFromEnv(reports, systemClock, env, platformExtras));
  const namespace = requiredEnv(env, 'DASK_NAMESPACE_NAME');
  const services = new ServiceReactor({
    runtime,
    platformEnvironment: env.PLATFORM_URL ? { SATURN_BASE_URL: env.PLATFORM_URL } : {},
    catalog: { store, reports, clock: systemClock },
    daskSchedulerAddress: (resourceId) => cloudMapSchedulerAddress(resourceId, namespace),
  });
  // A scheduler started here is registered in Cloud Map before the batch's tasks launch (its IP comes within seconds).
  const daskRuntime = lazyAdapter<DaskRuntime>(async () => (await import('../../shared/adapters/aws/ecs-dask-platform.ts')).ecsDaskRuntimeFromEnv(env, { registerWithinMs: DASK_REGISTER_WITHIN_MS }));
  const dask = new DaskReactor({ runtime: daskRuntime, catalog: store });
  // A deleted shared folder's access point goes with it.
  const folderStorage = lazyAdapter<SharedFolderStorage>(async () => (await import('../../shared/adapters/aws/efs-shared-folders.ts')).efsSharedFoldersFromEnv(env));
  const folders = new SharedFolderReactor(folderStorage);
  // One consumer (and checkpoint) for all four: each is idempotent when a batch is retried.
  // The Dask reactor goes first, as in the local feed: a cluster exists before the tasks that use it start.
  // Its failure is logged, not retried here: the reconciler ensures every cluster each minute, and a
  // cluster that cannot start must not hold back the runs and services behind it on the stream.
  const reactor: BatchConsumer = {
    name: jobReactor.name,
    handle: async (batch) => {
      await dask.handle(batch).catch((error: unknown) => telemetry.logger.error('dask cluster reaction failed', { stream: batch.streamId, version: batch.lastVersion, error }));
      await jobReactor.handle(batch);
      await services.handle(batch);
      await folders.handle(batch);
    },
  };
  return { store, checkpoints, reactor, timers };
}

export async function reactToRecords(event: DynamoDBStreamEvent, deps: ReactorDeps): Promise<DynamoDBBatchResponse> {
  // A batch counts as handled once the actions it started (launches due now) are done.
  const consumer: BatchConsumer = {
    name: deps.reactor.name,
    handle: async (batch) => {
      await deps.reactor.handle(batch);
      await deps.timers.settle();
    },
  };
  for (const [index, record] of event.Records.entries()) {
    const batch = batchOf(record);
    if (!batch) continue;
    try {
      await deliverInOrder(consumer, batch, deps);
    } catch (error) {
      await deps.timers.settle().catch(() => {});
      telemetry.logger.error('reaction failed', { stream: batch.streamId, version: batch.lastVersion, error });
      return { batchItemFailures: event.Records.slice(index).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })) };
    }
  }
  return { batchItemFailures: [] };
}

export const handler = observed(telemetry, async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  deps ??= buildDeps();
  const response = await reactToRecords(event, deps);
  countStreamBatch(telemetry.metrics, event, response);
  return response;
});
