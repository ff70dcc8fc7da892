/**
 * Job schedules on EventBridge Scheduler: one schedule per EventBridge cron expression of the
 * job (cron's "day-of-month OR day-of-week" needs two), in the platform's schedule group, read
 * in the job's own time zone. Each fire invokes the schedule Lambda with the job id and the
 * time the fire was due; `parseScheduleEvent` (schedule-event.ts) is the other half of that contract.
 *
 * Scheduler delivers at least once: a fire can arrive twice or late. That is safe because the
 * Lambda derives the run id from (job id, scheduled time), so a repeated fire starts nothing.
 */
import { createHash } from 'node:crypto';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { toEventBridgeCron } from '../../../domain/schedule/eventbridge-cron.ts';
import type { JobSchedule, JobScheduler } from '../../../ports/job-scheduler.ts';
import { isNamed } from '../sdk-errors.ts';
import { requiredEnv } from '../../required-env.ts';

/** Scheduler's context attribute: the time the fire was due, e.g. `2025-01-31T00:00:00Z`. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

// Scheduler's rules for schedule names.
const MAX_NAME_LENGTH = 64;
const NAME_CHARACTERS = /^[0-9a-zA-Z_.-]+$/;
const SECOND_SUFFIX = '-1';
const NAME_HASH_DIGITS = 16;
const DEFAULT_NAME_PREFIX = 'job-';

export interface RetryPolicyOptions {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
}

/**
 * Retries cover a throttled or failing schedule Lambda. They are bounded by age more than by
 * count: a tick an hour late goes to the dead-letter queue for an operator to look at instead
 * of starting a run nobody expects any more (Kubernetes' `startingDeadlineSeconds`, in spirit).
 * Ten attempts with Scheduler's exponential backoff ride out minutes of Lambda trouble.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicyOptions = { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 };

export interface EventBridgeJobSchedulerOptions {
  client: SchedulerClient;
  /** The platform's schedule group: its schedules, and only those, are this adapter's. */
  groupName: string;
  /** The schedule Lambda's ARN. */
  targetArn: string;
  /** The role Scheduler assumes to invoke the target (lambda:InvokeFunction on it, sqs:SendMessage on the DLQ). */
  roleArn: string;
  /** SQS queue that receives fires Scheduler could not deliver. */
  deadLetterArn: string;
  /** Prepended to the job id in schedule names; default `job-`. */
  namePrefix?: string;
  retryPolicy?: RetryPolicyOptions;
}

/**
 * The names of a job's schedules: `<prefix><job id>` and, for the second expression,
 * `<prefix><job id>-1`. A job id that would not make a valid name (too long, other characters)
 * keeps a readable head and gets a hash of the whole id, so names stay unique and stable. So
 * does an id ending in `-1`, whose direct name would be another job's second schedule.
 */
export function scheduleNames(jobId: string, prefix = DEFAULT_NAME_PREFIX): [string, string] {
  const direct = `${prefix}${jobId}`;
  if (NAME_CHARACTERS.test(direct) && direct.length + SECOND_SUFFIX.length <= MAX_NAME_LENGTH && !jobId.endsWith(SECOND_SUFFIX)) {
    return [direct, `${direct}${SECOND_SUFFIX}`];
  }
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, NAME_HASH_DIGITS);
  const headLength = MAX_NAME_LENGTH - SECOND_SUFFIX.length - hash.length - 1;
  const head = direct.replace(/[^0-9a-zA-Z_.-]/g, '_').slice(0, headLength);
  const base = `${head}-${hash}`;
  return [base, `${base}${SECOND_SUFFIX}`];
}

export class EventBridgeJobScheduler implements JobScheduler {
  private readonly options: Required<EventBridgeJobSchedulerOptions>;

  constructor(options: EventBridgeJobSchedulerOptions) {
    this.options = { ...options, namePrefix: options.namePrefix ?? DEFAULT_NAME_PREFIX, retryPolicy: options.retryPolicy ?? DEFAULT_RETRY_POLICY };
    const prefix = this.options.namePrefix;
    // Leave room for a 32-character job id and the second schedule's suffix.
    if (prefix !== '' && (!NAME_CHARACTERS.test(prefix) || prefix.length > MAX_NAME_LENGTH - 32 - SECOND_SUFFIX.length)) {
      throw new Error(`schedule name prefix ${JSON.stringify(prefix)} must be at most 30 of 0-9 a-z A-Z - _ .`);
    }
  }

  async put(schedule: JobSchedule): Promise<void> {
    const expressions = toEventBridgeCron(schedule.schedule);
    const names = scheduleNames(schedule.jobId, this.options.namePrefix);
    // Write the new schedules before removing an old one, so a change never leaves a gap.
    for (const [index, expression] of expressions.entries()) {
      await this.createOrUpdate(this.scheduleRequest(names[index]!, expression, schedule));
    }
    if (expressions.length < 2) await this.deleteIfPresent(names[1]);
  }

  async remove(jobId: string): Promise<void> {
    for (const name of scheduleNames(jobId, this.options.namePrefix)) await this.deleteIfPresent(name);
  }

  private scheduleRequest(name: string, expression: string, schedule: JobSchedule): CreateScheduleCommandInput {
    const { groupName, targetArn, roleArn, deadLetterArn, retryPolicy } = this.options;
    return {
      Name: name,
      GroupName: groupName,
      // The five-field cron as the user wrote it: what an operator looking at the console needs.
      Description: `Job ${schedule.jobId}: ${schedule.schedule}`,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: schedule.timeZone,
      // Fire on the minute, as cron does; a flexible window would blur the tick's identity.
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: schedule.suspended ? 'DISABLED' : 'ENABLED',
      Target: {
        Arn: targetArn,
        RoleArn: roleArn,
        Input: JSON.stringify({ job_id: schedule.jobId, scheduled_time: SCHEDULED_TIME }),
        RetryPolicy: {
          MaximumRetryAttempts: retryPolicy.maximumRetryAttempts,
          MaximumEventAgeInSeconds: retryPolicy.maximumEventAgeInSeconds,
        },
        DeadLetterConfig: { Arn: deadLetterArn },
      },
      // A recurring schedule never completes; say so rather than lean on the default.
      ActionAfterCompletion: 'NONE',
    };
  }

  /** CreateSchedule, or UpdateSchedule (a full replacement) when the name is taken. */
  private async createOrUpdate(request: CreateScheduleCommandInput): Promise<void> {
    try {
      await this.options.client.send(new CreateScheduleCommand(request));
    } catch (error) {
      if (!isNamed(error, 'ConflictException')) throw error;
      await this.options.client.send(new UpdateScheduleCommand(request));
    }
  }

  private async deleteIfPresent(name: string): Promise<void> {
    try {
      await this.options.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (error) {
      if (!isNamed(error, 'ResourceNotFoundException')) throw error;
    }
  }
}

// The other half of the contract lives apart, so the schedule Lambda's bundle (and role) carries no Scheduler commands.

/** The scheduler of the reactor, from the environment the stack gives it (infra/aws/constructs/scheduling.ts). */
export function eventBridgeJobSchedulerFromEnv(env: NodeJS.ProcessEnv): EventBridgeJobScheduler {
  return new EventBridgeJobScheduler({
    client: new SchedulerClient({}),
    groupName: requiredEnv(env, 'SCHEDULE_GROUP'),
    targetArn: requiredEnv(env, 'SCHEDULE_TARGET_ARN'),
    roleArn: requiredEnv(env, 'SCHEDULER_ROLE_ARN'),
    deadLetterArn: requiredEnv(env, 'SCHEDULE_DLQ_ARN'),
  });
}
