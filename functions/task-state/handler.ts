/**
 * Lambda entry point of ECS "Task State Change" events of the platform cluster (an EventBridge
 * rule, infra/aws/constructs/task-lifecycle.ts). A task Cassini started names its run and rank
 * (shared/adapters/aws/tasks/ecs-task-state.ts); RUNNING reports the task started, STOPPED reports it
 * exited with its container's exit code and ECS's stop reason (SpotInterruption,
 * TaskFailedToStart, ...). Other tasks of the cluster, and other states, are ignored.
 *
 * Tasks of deployments' and workspaces' services report their replicas, and "ECS Deployment
 * State Change" events their rollouts (service-states.ts), through the ServiceReportRecorder.
 *
 * A job task that stopped has its SATURN_TOKEN revoked and its token file deleted
 * (shared/adapters/aws/tasks/task-token-file-removal.ts), whatever became of its run.
 *
 * Reports are idempotent (the run decides nothing for a repeated or late one), so the rule's
 * retries are safe; a run that does not exist (deleted, or not ours) is logged and dropped.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { reportOf, runTaskOf, stateTime, tokenIdOf, type EcsTaskFacts } from '../../shared/adapters/aws/tasks/ecs-task-state.ts';
import type { TaskTokenFileRemoval } from '../../shared/adapters/aws/tasks/task-token-file-removal.ts';
import { lazyAdapter } from '../../shared/adapters/lazy-adapter.ts';
import { requiredEnv } from '../../shared/adapters/required-env.ts';
import { IdentityService } from '../../shared/app/identity-service.ts';
import { taskTokenIssuer } from '../../shared/app/task-token-issuer.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { ServiceReportRecorder } from '../../shared/app/service-report-recorder.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import type { RunCommand } from '../../shared/domain/run/run-decider.ts';
import { MetricUnit, observed, telemetryFor } from '../observability.ts';
import { reportDeployment, reportServiceTask, type DeploymentStateChange, type ServiceStateDeps } from './service-states.ts';

const telemetry = telemetryFor('task-state');

export type TaskStateChange = EventBridgeEvent<'ECS Task State Change', EcsTaskFacts>;

let jobs: JobRunService | undefined;
let services: ServiceStateDeps | undefined;
let tokenFiles: Pick<TaskTokenFileRemoval, 'remove'> | undefined;

/** Reports the change to its run; returns the command sent, or undefined when there was nothing to report. */
export async function reportTaskState(event: TaskStateChange, target: Pick<JobRunService, 'report'>, now: () => Date = () => new Date()): Promise<RunCommand | undefined> {
  const task = event.detail;
  const ref = runTaskOf(task);
  if (!ref) return undefined;
  const command = reportOf(task, ref, stateTime(task) ?? event.time ?? now().toISOString());
  if (!command) return undefined;
  try {
    await target.report(ref.runId, command);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    telemetry.logger.warn('task state of an unknown run', { run: ref.runId, task: task.taskArn });
    return undefined;
  }
  return command;
}

/** Revokes a stopped job task's SATURN_TOKEN and deletes its file; says whether the task had one. */
export async function retireTaskToken(task: EcsTaskFacts, files: Pick<TaskTokenFileRemoval, 'remove'> | undefined): Promise<boolean> {
  const ref = runTaskOf(task);
  const tokenId = tokenIdOf(task);
  if (!ref || !tokenId || task.lastStatus !== 'STOPPED' || !files) return false;
  await files.remove(ref.taskId, tokenId);
  return true;
}

export const handler = observed(telemetry, async (event: TaskStateChange | DeploymentStateChange): Promise<void> => {
  if (!jobs || !services) {
    const env = process.env;
    const { store, runViews } = dynamoPlatformFromEnv(env);
    jobs = new JobRunService({ store, runViews, clock: systemClock, random: systemRandom });
    requiredEnv(env, 'ECS_CLUSTER'); // checked at the first event, not only at the first service event
    // The ECS and S3 clients load with the first event that needs them (lazy-adapter.ts): a job
    // task's change never loads the service inspector, a running one never loads S3.
    const inspector = lazyAdapter<ServiceStateDeps['services']>(async () => (await import('../../shared/adapters/aws/services/ecs-service-inspector.ts')).ecsServiceInspectorFromEnv(env));
    services = { reports: new ServiceReportRecorder({ store, clock: systemClock }), services: inspector };
    const tokens = taskTokenIssuer(new IdentityService({ store, clock: systemClock, random: systemRandom }));
    // Token files exist when the stack has a tasks bucket (task-token-file-removal.ts, TASKS_BUCKET).
    tokenFiles = env.TASKS_BUCKET
      ? lazyAdapter<Pick<TaskTokenFileRemoval, 'remove'>>(async () => (await import('../../shared/adapters/aws/tasks/task-token-file-removal.ts')).taskTokenFileRemovalFromEnv(env, tokens)!)
      : undefined;
  }
  const fallbackAt = event.time ?? systemClock.now().toISOString();
  if (event['detail-type'] === 'ECS Deployment State Change') {
    const made = await reportDeployment(event as DeploymentStateChange, fallbackAt, services);
    telemetry.metrics.addMetric(made ? 'ServiceReportsRecorded' : 'ServiceStatesIgnored', MetricUnit.Count, 1);
    return;
  }
  const replicaReports = await reportServiceTask(event.detail as TaskStateChange['detail'], fallbackAt, services);
  if (replicaReports) {
    telemetry.metrics.addMetric(replicaReports.length > 0 ? 'ServiceReportsRecorded' : 'ServiceStatesIgnored', MetricUnit.Count, 1);
    return;
  }
  const command = await reportTaskState(event as TaskStateChange, jobs, () => systemClock.now());
  if (await retireTaskToken((event as TaskStateChange).detail, tokenFiles)) telemetry.metrics.addMetric('TaskTokensRevoked', MetricUnit.Count, 1);
  // A state change that named no run of ours, or reported nothing new, counts as ignored.
  telemetry.metrics.addMetric(command ? 'TaskReportsRecorded' : 'TaskStatesIgnored', MetricUnit.Count, 1);
});
