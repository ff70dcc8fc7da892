import { ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsRunTaskControl } from '../../../../shared/adapters/aws/tasks/ecs-run-task-control.ts';
import { EcsTaskDefinitions, taskDefinitionInput } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { EcsTaskLauncher } from '../../../../shared/adapters/aws/tasks/ecs-task-launcher.ts';
import { LaunchQueue } from '../../../../shared/adapters/aws/tasks/launch-queue.ts';
import { runDecider, type Run, type RunCommand, type RunState } from '../../../../shared/domain/run/run-decider.ts';
import { sizeNamed } from '../../../../shared/domain/sizes.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);

const RUN_ID = '9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const JOB_ID = '3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6';
const NOW = new Date('2026-01-31T23:00:05.000Z');
const defaults = { executionRoleArn: 'arn:aws:iam::123456789012:role/exec', taskRoleArn: 'arn:aws:iam::123456789012:role/cassini-workloads/default', logGroup: '/cassini/tasks', region: 'eu-west-1' };
const IMAGE = 'public.ecr.aws/saturncloud/saturn-python:2024.08.01';
const DEFINITION = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${taskDefinitionInput({ ...defaults, image: IMAGE, size: sizeNamed('medium')! }).family}:1`;

/** A run service that keeps one run in memory and records every report in order. */
function fakeJobs(run: Run) {
  let state: RunState = run;
  const reports: RunCommand[] = [];
  return {
    reports,
    report: async (_runId: string, command: RunCommand) => {
      reports.push(command);
      for (const e of runDecider.decide(command, state)) state = runDecider.evolve(state, e);
      return state;
    },
  };
}

function queuedRun(scale = 2): Run {
  return {
    id: RUN_ID, jobId: JOB_ID, owner: 'ada', trigger: 'api', attempt: 1, scheduledFor: null, notBefore: null, status: 'queued',
    plan: { command: 'python train.py', environment: { MODEL: 'resnet' }, image: IMAGE, instance_type: 'medium', scale, timeout_seconds: null, start_script: null, working_directory: null },
    tasks: [], createdAt: NOW.toISOString(), startedAt: null, finishedAt: null, exitCode: null, reason: null,
  };
}

function control(jobs: ReturnType<typeof fakeJobs>) {
  const definitions = new EcsTaskDefinitions({ client, ...defaults });
  const launcher = new EcsTaskLauncher({
    client, cluster: 'cassini', subnets: ['subnet-1'], securityGroups: ['sg-1'], definitions, gpuCapacityProviders: { 'g5.xlarge': 'gpu' },
    queue: new LaunchQueue({ maxAttempts: 1 }), clock: () => NOW,
  });
  return new EcsRunTaskControl({ client, cluster: 'cassini', launcher, jobs, clock: { now: () => NOW }, platformEnvironment: { SATURN_BASE_URL: 'https://api.example.com' } });
}

beforeEach(() => {
  ecs.reset();
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: DEFINITION, status: 'ACTIVE' } });
});

describe('EcsRunTaskControl.launch', () => {
  it('records the tasks first, then sends one RunTask per rank with the leader, rank and run in the environment', async () => {
    // Prepare
    const jobs = fakeJobs(queuedRun());
    ecs.on(RunTaskCommand).callsFake((input) => ({ tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/cassini/${input.clientToken}` }] }));

    // Act
    await control(jobs).launch(queuedRun());

    // Assess
    expect(jobs.reports.map((r) => r.kind)).toEqual(['RecordTasksLaunched']);
    const inputs = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[1]).toEqual({
      cluster: 'cassini',
      taskDefinition: DEFINITION,
      count: 1,
      clientToken: `${RUN_ID}-1`,
      startedBy: RUN_ID,
      group: `run:${RUN_ID}`,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
      overrides: {
        containerOverrides: [
          {
            name: 'main',
            command: ['python train.py'],
            environment: [
              { name: 'MODEL', value: 'resnet' },
              { name: 'SATURN_BASE_URL', value: 'https://api.example.com' },
              { name: 'SATURN_JOB_RANK', value: '1' },
              { name: 'SATURN_JOB_SCALE', value: '2' },
              { name: 'SATURN_JOB_LEADER', value: `${RUN_ID}-0` },
              { name: 'SATURN_JOB_RUN', value: RUN_ID },
              { name: 'PORT', value: '8000' },
            ],
          },
        ],
      },
      tags: [
        { key: 'cassini:owner', value: 'ada' },
        { key: 'cassini:resource', value: JOB_ID },
        { key: 'cassini:job', value: JOB_ID },
        { key: 'cassini:run', value: RUN_ID },
        { key: 'cassini:rank', value: '1' },
      ],
      enableECSManagedTags: true,
      enableExecuteCommand: false,
    });
  });

  it('reports a task ECS refused to start as exited without an exit code, with the reason ECS gave', async () => {
    // Prepare
    const jobs = fakeJobs(queuedRun(1));
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'MISSING', detail: 'subnet-1 does not exist' }] });

    // Act
    await control(jobs).launch(queuedRun(1));

    // Assess
    expect(jobs.reports.map((r) => r.kind)).toEqual(['RecordTasksLaunched', 'ReportTaskExited']);
    expect(jobs.reports[1]).toMatchObject({ taskId: `${RUN_ID}-0`, exitCode: null, reason: `could not start: RunTask for ${RUN_ID}-0: MISSING: subnet-1 does not exist` });
  });

  it('runs the tasks of a spot plan on FARGATE_SPOT', async () => {
    // Prepare
    const run: Run = { ...queuedRun(1), plan: { ...queuedRun(1).plan!, spot: true } };
    const jobs = fakeJobs(run);
    ecs.on(RunTaskCommand).callsFake((input) => ({ tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/cassini/${input.clientToken}` }] }));

    // Act
    await control(jobs).launch(run);

    // Assess
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input)).toEqual([
      {
        cluster: 'cassini',
        taskDefinition: DEFINITION,
        count: 1,
        clientToken: `${RUN_ID}-0`,
        startedBy: RUN_ID,
        group: `run:${RUN_ID}`,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
        overrides: {
          containerOverrides: [
            {
              name: 'main',
              command: ['python train.py'],
              environment: [
                { name: 'MODEL', value: 'resnet' },
                { name: 'SATURN_BASE_URL', value: 'https://api.example.com' },
                { name: 'SATURN_JOB_RANK', value: '0' },
                { name: 'SATURN_JOB_SCALE', value: '1' },
                { name: 'SATURN_JOB_LEADER', value: `${RUN_ID}-0` },
                { name: 'SATURN_JOB_RUN', value: RUN_ID },
                { name: 'PORT', value: '8000' },
              ],
            },
          ],
        },
        tags: [
          { key: 'cassini:owner', value: 'ada' },
          { key: 'cassini:resource', value: JOB_ID },
          { key: 'cassini:job', value: JOB_ID },
          { key: 'cassini:run', value: RUN_ID },
          { key: 'cassini:rank', value: '0' },
        ],
        enableECSManagedTags: true,
        enableExecuteCommand: false,
      },
    ]);
  });

  it('starts nothing for a run that is not queued', async () => {
    const jobs = fakeJobs(queuedRun());
    await control(jobs).launch({ ...queuedRun(), status: 'cancelled' });
    expect(jobs.reports).toEqual([]);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });
});

describe('EcsRunTaskControl.stopTasks', () => {
  it('lists the run\'s tasks ECS still means to run, page by page, and stops each', async () => {
    // Prepare
    ecs.on(ListTasksCommand).resolvesOnce({ taskArns: ['arn:task/a'], nextToken: 'page-2' }).resolvesOnce({ taskArns: ['arn:task/b'] });
    ecs.on(StopTaskCommand).resolves({});

    // Act
    await control(fakeJobs(queuedRun())).stopTasks(queuedRun(), 'cancelled by ann');

    // Assess
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'cassini', startedBy: RUN_ID, desiredStatus: 'RUNNING' },
      { cluster: 'cassini', startedBy: RUN_ID, desiredStatus: 'RUNNING', nextToken: 'page-2' },
    ]);
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'cassini', task: 'arn:task/a', reason: 'cancelled by ann' },
      { cluster: 'cassini', task: 'arn:task/b', reason: 'cancelled by ann' },
    ]);
  });
});
