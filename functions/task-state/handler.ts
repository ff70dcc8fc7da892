/**
 * Lambda entry point of ECS "Task State Change" events of the platform cluster (an EventBridge
 * rule, infra/aws/constructs/task-lifecycle.ts). A task Cassini started names its run and rank
 * (shared/adapters/aws/ecs-task-state.ts); RUNNING reports the task started, STOPPED reports it
 * exited with its container's exit code and ECS's stop reason (SpotInterruption,
 * TaskFailedToStart, ...). Other tasks of the cluster, and other states, are ignored.
 *
 * Reports are idempotent (the run decides nothing for a repeated or late one), so the rule's
 * retries are safe; a run that does not exist (deleted, or not ours) is logged and dropped.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { reportOf, runTaskOf, stateTime, type EcsTaskFacts } from '../../shared/adapters/aws/ecs-task-state.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import type { RunCommand } from '../../shared/domain/run/run-decider.ts';

export type TaskStateChange = EventBridgeEvent<'ECS Task State Change', EcsTaskFacts>;

let jobs: JobRunService | undefined;

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
    console.warn(JSON.stringify({ level: 'warn', message: 'task state of an unknown run', run: ref.runId, task: task.taskArn }));
    return undefined;
  }
  return command;
}

export async function handler(event: TaskStateChange): Promise<void> {
  if (!jobs) {
    const { store, runViews } = dynamoPlatformFromEnv();
    jobs = new JobRunService({ store, runViews, clock: systemClock, random: systemRandom });
  }
  await reportTaskState(event, jobs, () => systemClock.now());
}
