/**
 * Lambda entry point of the stream consumers: the events table's one Lambda reader (the
 * integrations pipe is the other; DynamoDB Streams advises at most two readers per shard). It
 * runs the platform's consumer pipeline (shared/app/consumers/consumer-pipeline.ts), the same
 * one local mode runs: read models, Dask clusters (shared/adapters/aws/dask/ecs-dask-runtime.ts),
 * job runs on ECS and their schedules on EventBridge Scheduler, deployments and workspaces as
 * ECS services behind the load balancer, shared folders' access points.
 *
 * Each record is one committed batch. A consumer that fails on a stream's batch is deferred on
 * that stream (its checkpoint stays, the deferral is recorded) and every other stream goes on:
 * the batch is not failed, so one resource (an ECS service still being deleted) holds up no
 * one else's events. A rule invokes this function every minute with a scheduled event to
 * retry what was deferred. Launches due now run within the batch and are awaited before the
 * job-run consumer's checkpoint moves (DeferredTimers.settle); later ones (a retry's backoff, a
 * timeout) are the reconciler's. Only a failure to record a deferral fails the records, so
 * Lambda brings them again.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { DeferredTimers } from '../../shared/adapters/aws/deferred-timers.ts';
import { lazyAdapter } from '../../shared/adapters/lazy-adapter.ts';
import type { ResourceRoleRemoval } from '../../shared/ports/resource-roles.ts';
import { requiredEnv } from '../../shared/adapters/required-env.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { JobRunReactor } from '../../shared/app/consumers/job-run-reactor.ts';
import { ServiceReactor } from '../../shared/app/consumers/service-reactor.ts';
import { IdentityService } from '../../shared/app/identity-service.ts';
import { taskTokenIssuer } from '../../shared/app/task-token-issuer.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import type { BatchConsumer } from '../../shared/app/consumers/ordered-delivery.ts';
import { ConsumerPipeline } from '../../shared/app/consumers/consumer-pipeline.ts';
import { ReadModelProjector } from '../../shared/app/consumers/read-model-projector.ts';
import { DaskReactor } from '../../shared/app/consumers/dask-reactor.ts';
import { SharedFolderReactor } from '../../shared/app/consumers/shared-folder-reactor.ts';
import { cloudMapSchedulerAddress } from '../../shared/adapters/aws/dask/dask-task-names.ts';
import type { CommittedBatch } from '../../shared/ports/event-store.ts';
import type { RunTaskControl } from '../../shared/ports/run-task-control.ts';
import type { JobScheduler } from '../../shared/ports/job-scheduler.ts';
import type { ServiceRuntime } from '../../shared/ports/service-runtime.ts';
import type { DaskRuntime } from '../../shared/ports/dask-runtime.ts';
import type { SharedFolderStorage } from '../../shared/app/consumers/shared-folder-reactor.ts';
import { batchOf } from './stream-records.ts';
import { countStreamBatch, MetricUnit, observed, telemetryFor } from '../observability.ts';

const telemetry = telemetryFor('reactor');
/** How long a batch waits for a new Dask scheduler's IP, to name it before the resource's tasks start. */
const DASK_REGISTER_WITHIN_MS = 60_000;

export interface ReactorDeps {
  pipeline: Pick<ConsumerPipeline, 'deliver' | 'retryDeferred'>;
}

let deps: ReactorDeps | undefined;

function buildDeps(env: NodeJS.ProcessEnv = process.env): ReactorDeps {
  const { store, views, runViews, catalogViews, tokenViews, principalViews, usageViews, checkpoints, deferrals } = dynamoPlatformFromEnv(env);
  const jobs = new JobRunService({ store, runViews, clock: systemClock, random: systemRandom });
  const timers = new DeferredTimers(systemClock);
  // Tasks' SATURN_TOKENs are API tokens of their owner, issued and revoked through the event store.
  const platformExtras = { tokens: taskTokenIssuer(new IdentityService({ store, clock: systemClock, random: systemRandom })), log: telemetry.logger };
  // Each AWS adapter is loaded with the first batch that needs it (lazy-adapter.ts): a cold start
  // about a job run does not parse the load balancer, Cognito, EFS or Cloud Map clients.
  const scheduler = lazyAdapter<JobScheduler>(async () => (await import('../../shared/adapters/aws/schedules/eventbridge-job-scheduler.ts')).eventBridgeJobSchedulerFromEnv(env));
  const launcher = lazyAdapter<RunTaskControl>(async () => (await import('../../shared/adapters/aws/tasks/ecs-platform.ts')).ecsPlatformFromEnv(jobs, systemClock, env, platformExtras).control);
  // A deleted job's own task and execution roles go with it.
  const roles = lazyAdapter<ResourceRoleRemoval>(async () => (await import('../../shared/adapters/aws/iam/resource-roles.ts')).resourceRoleRemovalFromEnv(env));
  const jobReactor = new JobRunReactor({ jobs, launcher, scheduler, timers, clock: systemClock, roles });
  const reports = new ServiceReportRecorder({ store, clock: systemClock });
  const runtime = lazyAdapter<ServiceRuntime>(async () => (await import('../../shared/adapters/aws/services/ecs-service-platform.ts')).ecsServiceRuntimeFromEnv(reports, systemClock, env, platformExtras));
  const namespace = requiredEnv(env, 'DASK_NAMESPACE_NAME');
  const services = new ServiceReactor({
    runtime,
    platformEnvironment: env.PLATFORM_URL ? { SATURN_BASE_URL: env.PLATFORM_URL } : {},
    catalog: { store, reports, clock: systemClock },
    daskSchedulerAddress: (resourceId) => cloudMapSchedulerAddress(resourceId, namespace),
  });
  // A scheduler started here is registered in Cloud Map before the batch's tasks launch (its IP comes within seconds).
  const daskRuntime = lazyAdapter<DaskRuntime>(async () => (await import('../../shared/adapters/aws/dask/ecs-dask-platform.ts')).ecsDaskRuntimeFromEnv(env, { registerWithinMs: DASK_REGISTER_WITHIN_MS }));
  const dask = new DaskReactor({ runtime: daskRuntime, catalog: store });
  // A deleted shared folder's access point goes with it.
  const folderStorage = lazyAdapter<SharedFolderStorage>(async () => (await import('../../shared/adapters/aws/storage/efs-shared-folders.ts')).efsSharedFoldersFromEnv(env));
  const folders = new SharedFolderReactor(folderStorage);
  const jobRuns = settledJobRuns(jobReactor, timers);
  const pipeline = new ConsumerPipeline(
    { readModels: new ReadModelProjector({ store, views, runViews, catalogViews, tokenViews, principalViews, usageViews }), daskClusters: dask, jobRuns, services, sharedFolders: folders },
    {
      store,
      checkpoints,
      deferrals,
      onDeferred: ({ consumer, streamId, version, error }) => {
        telemetry.logger.warn('consumer deferred', { consumer, stream: streamId, version, error });
        telemetry.metrics.addMetric('DeferredDeliveries', MetricUnit.Count, 1);
      },
    },
  );
  return { pipeline };
}

/** The job-run consumer: a batch counts as handled once the launches it started (due now) are done. */
export function settledJobRuns(jobReactor: BatchConsumer, timers: Pick<DeferredTimers, 'settle'>): BatchConsumer {
  return {
    name: jobReactor.name,
    handle: async (batch) => {
      try {
        await jobReactor.handle(batch);
      } finally {
        await timers.settle();
      }
    },
  };
}

/** Runs the pipeline over a stream event's batches; fails every record only when a deferral could not be recorded. */
export async function reactToRecords(event: DynamoDBStreamEvent, deps: ReactorDeps): Promise<DynamoDBBatchResponse> {
  const batches = event.Records.map(batchOf).filter((b): b is CommittedBatch => b !== undefined);
  try {
    await deps.pipeline.deliver(batches);
    return { batchItemFailures: [] };
  } catch (error) {
    telemetry.logger.error('delivery failed', { records: event.Records.length, error });
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })) };
  }
}

function isStreamEvent(event: DynamoDBStreamEvent | ScheduledEvent): event is DynamoDBStreamEvent {
  return 'Records' in event;
}

export const handler = observed(telemetry, async (event: DynamoDBStreamEvent | ScheduledEvent): Promise<DynamoDBBatchResponse | { retried: number; stillDeferred: number }> => {
  deps ??= buildDeps();
  // The every-minute rule: retry what the pipeline deferred.
  if (!isStreamEvent(event)) return deps.pipeline.retryDeferred();
  const response = await reactToRecords(event, deps);
  countStreamBatch(telemetry.metrics, event, response);
  return response;
});
