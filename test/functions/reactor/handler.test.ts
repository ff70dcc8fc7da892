import { DescribeTaskDefinitionCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reactToRecords, settledJobRuns, type ReactorDeps } from '../../../functions/reactor/handler.ts';
import { pipelineWith } from './support/pipeline.ts';
import { DeferredTimers } from '../../../shared/adapters/aws/deferred-timers.ts';
import { EcsRunTaskControl } from '../../../shared/adapters/aws/tasks/ecs-run-task-control.ts';
import { EcsTaskDefinitions } from '../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { EcsTaskLauncher } from '../../../shared/adapters/aws/tasks/ecs-task-launcher.ts';
import { EventBridgeJobScheduler } from '../../../shared/adapters/aws/schedules/eventbridge-job-scheduler.ts';
import { LaunchQueue } from '../../../shared/adapters/aws/tasks/launch-queue.ts';
import { encodeBatch } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { JobRunReactor } from '../../../shared/app/consumers/job-run-reactor.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import { createJob, queueRun, startJobRuns, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';

const ecsClient = new ECSClient({ region: 'eu-west-1' });
const schedulerClient = new SchedulerClient({ region: 'eu-west-1' });
const ecs = mockClient(ecsClient);
const scheduler = mockClient(schedulerClient);
const TARGET = 'arn:aws:lambda:eu-west-1:123456789012:function:cassini-schedule';
const ROLE = 'arn:aws:iam::123456789012:role/cassini-scheduler';
const DLQ = 'arn:aws:sqs:eu-west-1:123456789012:cassini-schedule-dlq';

let f: JobRunsFixture;
let deps: ReactorDeps;

beforeAll(async () => {
  f = await startJobRuns();
  const timers = new DeferredTimers(f.clock);
  const definitions = new EcsTaskDefinitions({ client: ecsClient, executionRoleArn: 'arn:aws:iam::123456789012:role/exec', taskRoleArn: 'arn:aws:iam::123456789012:role/task', logGroup: '/cassini/tasks', region: 'eu-west-1' });
  const launcher = new EcsTaskLauncher({ client: ecsClient, cluster: 'cassini', subnets: ['subnet-1'], securityGroups: ['sg-1'], definitions, gpuCapacityProviders: { 'g5.xlarge': 'gpu' }, queue: new LaunchQueue({ maxAttempts: 1 }) });
  const reactor = new JobRunReactor({
    jobs: f.jobs,
    launcher: new EcsRunTaskControl({ client: ecsClient, cluster: 'cassini', launcher, jobs: f.jobs, clock: f.clock }),
    scheduler: new EventBridgeJobScheduler({ client: schedulerClient, groupName: 'cassini', targetArn: TARGET, roleArn: ROLE, deadLetterArn: DLQ }),
    timers,
    clock: f.clock,
  });
  deps = { pipeline: pipelineWith(f, { jobRuns: settledJobRuns(reactor, timers) }) };
});

afterAll(async () => {
  await f.dynamo.close();
});

beforeEach(() => {
  ecs.reset();
  scheduler.reset();
});

function insertRecord(batch: CommittedBatch, sequence: string): DynamoDBRecord {
  return { eventName: 'INSERT', dynamodb: { NewImage: encodeBatch({ ...batch, recentCommands: [] }) as never, SequenceNumber: sequence } };
}

describe('reactor handler', () => {
  it('creates the EventBridge schedule of a scheduled job, in its time zone', async () => {
    // Prepare
    const job = await createJob(f, 'nightly', { schedule: '30 2 * * 1-5', schedule_timezone: 'Europe/Paris' });
    scheduler.on(CreateScheduleCommand).resolves({});
    scheduler.onAnyCommand().resolves({});
    const batches = await f.store.batchesAfter(job.streamId, 0);

    // Act
    const result = await reactToRecords({ Records: batches.map((b, i) => insertRecord(b, `s${i}`)) }, deps);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: `job-${job.id}`,
        GroupName: 'cassini',
        Description: `Job ${job.id}: 30 2 * * 1-5`,
        ScheduleExpression: 'cron(30 2 ? * 2-6 *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: TARGET,
          RoleArn: ROLE,
          Input: `{"job_id":"${job.id}","scheduled_time":"<aws.scheduler.scheduled-time>"}`,
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: DLQ },
        },
        ActionAfterCompletion: 'NONE',
      },
    ]);
  });

  it('launches a queued run on ECS before moving its checkpoint, and skips the batch when delivered again', async () => {
    // Prepare
    const runId = 'f'.repeat(32);
    const job = await createJob(f, 'train');
    await queueRun(f, runId, job.id);
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-x:1', status: 'ACTIVE' } });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/abc' }] });
    const [queued] = await f.store.batchesAfter(`run-${runId}`, 0);

    // Act
    const first = await reactToRecords({ Records: [insertRecord(queued!, 'r1')] }, deps);
    const again = await reactToRecords({ Records: [insertRecord(queued!, 'r1')] }, deps);

    // Assess
    expect([first.batchItemFailures, again.batchItemFailures]).toEqual([[], []]);
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input)).toMatchObject([{ cluster: 'cassini', clientToken: `${runId}-0`, startedBy: runId, group: `run:${runId}` }]);
    expect(await f.jobs.load(runId)).toMatchObject({ status: 'starting', tasks: [{ taskId: `${runId}-0`, status: 'launched' }] });
  });

  it('defers the stream of a reaction that fails, without failing the batch, and catches up when retried', async () => {
    // Prepare
    const job = await createJob(f, 'flaky', { schedule: '0 * * * *' });
    scheduler.onAnyCommand().rejects(Object.assign(new Error('boom'), { name: 'InternalServerException' }));
    const batches = await f.store.batchesAfter(job.streamId, 0);

    // Act
    const result = await reactToRecords({ Records: batches.map((b, i) => insertRecord(b, `q${i}`)) }, deps);
    scheduler.reset();
    scheduler.onAnyCommand().resolves({});
    const retry = await deps.pipeline.retryDeferred();

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(retry).toMatchObject({ stillDeferred: 0 });
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(1);
  });
});
