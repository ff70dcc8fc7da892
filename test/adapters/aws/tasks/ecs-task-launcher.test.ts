import {
  ConflictException,
  DescribeTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsTaskDefinitions, taskDefinitionInput } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { clientTokenFor, EcsTaskLauncher, startedByFor, tagsFor } from '../../../../shared/adapters/aws/tasks/ecs-task-launcher.ts';
import { LaunchQueue, type QueueClock } from '../../../../shared/adapters/aws/tasks/launch-queue.ts';
import { runTasks } from '../../../../shared/domain/planner/run-tasks.ts';
import { sizeNamed } from '../../../../shared/domain/sizes.ts';
import type { RunPlan } from '../../../../events/run-events.ts';
import type { TaskSpec } from '../../../../shared/ports/task-driver.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);

const RUN_ID = '9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const JOB_ID = '3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6';
const SUBNETS = ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'];
const SECURITY_GROUPS = ['sg-0123456789abcdef0'];
const NOW = new Date('2025-01-31T23:00:05.000Z');
const SECRET_ARN_PREFIX = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/';

const plan: RunPlan = {
  command: 'python train.py',
  environment: { MODEL: 'resnet' },
  image: 'public.ecr.aws/saturncloud/saturn-python:2024.08.01',
  instance_type: 'medium',
  scale: 2,
  timeout_seconds: null,
  start_script: 'pip install -r requirements.txt',
  working_directory: 'project',
};

function specsFor(runPlan: RunPlan): TaskSpec[] {
  return runTasks({ runId: RUN_ID, jobId: JOB_ID, jobName: 'train', owner: 'ada' }, runPlan, { leaderAddress: () => `${RUN_ID}-0.tasks.cassini.internal` });
}

/** Time that passes only when the queue sleeps: retries and pacing without waiting. */
function virtualClock(): QueueClock & { elapsed: () => number } {
  let now = 0;
  return { now: () => now, sleep: async (ms) => void (now += ms), elapsed: () => now };
}

const definitionDefaults = {
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  taskRoleArn: 'arn:aws:iam::123456789012:role/task',
  logGroup: '/cassini/tasks',
  region: 'eu-west-1',
};

/** The ARN ECS reports for the definition of this image and size (revision 3, say). */
function definitionArn(image: string, size: string): string {
  const { family } = taskDefinitionInput({ ...definitionDefaults, image, size: sizeNamed(size)! });
  return `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:3`;
}

const DEFINITION = definitionArn(plan.image, 'medium');

function launcherWith(options: { clock?: QueueClock; maxAttempts?: number; daskClusterGroups?: { ensure(resourceId: string): Promise<string> } } = {}) {
  const definitions = new EcsTaskDefinitions({ client, ...definitionDefaults, attachmentSettings: { secretArnPrefix: SECRET_ARN_PREFIX, gitImage: 'alpine/git:2.45.2' } });
  const queue = new LaunchQueue({ clock: options.clock ?? virtualClock(), random: () => 0.5, maxAttempts: options.maxAttempts ?? 10 });
  const { daskClusterGroups } = options;
  return new EcsTaskLauncher({ client, cluster: 'cassini', subnets: SUBNETS, securityGroups: SECURITY_GROUPS, definitions, gpuCapacityProviders: { 'g5.xlarge': 'cassini-gpu-g5-xlarge' }, queue, clock: () => NOW, ...(daskClusterGroups ? { daskClusterGroups } : {}) });
}

function runTaskInputs(): RunTaskCommandInput[] {
  return ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
}

function taskArn(n: number | string): string {
  return `arn:aws:ecs:eu-west-1:123456789012:task/cassini/${n}`;
}

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  ecs.reset();
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => ({
    taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.taskDefinition}:3`, status: 'ACTIVE' },
  }));
  ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => ({ tasks: [{ taskArn: taskArn(input.clientToken!), createdAt: NOW }], failures: [] }));
});

describe('EcsTaskLauncher.launch', () => {
  it('starts each task of a run with its own RunTask on Fargate, its rank in the environment, the run in tags and names', async () => {
    // Act
    const outcomes = await launcherWith().launch(specsFor(plan), { image: plan.image, instance_type: 'medium', spot: false });

    // Assess
    const expected = (rank: number): RunTaskCommandInput => ({
      cluster: 'cassini',
      taskDefinition: DEFINITION,
      count: 1,
      clientToken: `${RUN_ID}-${rank}`,
      startedBy: RUN_ID,
      group: `run:${RUN_ID}`,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS, securityGroups: SECURITY_GROUPS, assignPublicIp: 'DISABLED' } },
      overrides: {
        containerOverrides: [
          {
            name: 'main',
            command: ["cd '/home/jovyan/project' || exit 1\npip install -r requirements.txt\npython train.py"],
            environment: [
              { name: 'MODEL', value: 'resnet' },
              { name: 'SATURN_JOB_RANK', value: String(rank) },
              { name: 'SATURN_JOB_SCALE', value: '2' },
              { name: 'SATURN_JOB_LEADER', value: `${RUN_ID}-0.tasks.cassini.internal` },
              { name: 'SATURN_JOB_RUN', value: RUN_ID },
              { name: 'PORT', value: '8000' },
            ],
          },
        ],
      },
      tags: [
        { key: 'cassini:owner', value: 'ada' },
        { key: 'cassini:resource', value: JOB_ID },
        { key: 'cassini:job', value: 'train' },
        { key: 'cassini:run', value: RUN_ID },
        { key: 'cassini:rank', value: String(rank) },
      ],
      enableECSManagedTags: true,
      enableExecuteCommand: false,
    });
    expect(runTaskInputs()).toEqual([expected(0), expected(1)]);
    expect(outcomes).toEqual([
      { status: 'started', taskId: `${RUN_ID}-0`, taskArn: taskArn(`${RUN_ID}-0`), startedAt: NOW.toISOString(), port: 8000 },
      { status: 'started', taskId: `${RUN_ID}-1`, taskArn: taskArn(`${RUN_ID}-1`), startedAt: NOW.toISOString(), port: 8000 },
    ]);
  });

  it("puts the tasks of a job with a Dask cluster in that cluster's security group too, and no other task", async () => {
    // Prepare
    const ensured: string[] = [];
    const daskClusterGroups = { ensure: async (resourceId: string) => (ensured.push(resourceId), `sg-dask-${resourceId}`) };

    // Act
    await launcherWith({ daskClusterGroups }).launch(specsFor({ ...plan, dask_cluster: true }), { image: plan.image, instance_type: 'medium', spot: false });
    await launcherWith({ daskClusterGroups }).launch(specsFor({ ...plan, scale: 1 }), { image: plan.image, instance_type: 'medium', spot: false });

    // Assess
    expect(ensured).toEqual([JOB_ID]);
    // "Amazon VPC quotas": at most 5 security groups per network interface; a task carries 2.
    for (const input of runTaskInputs()) expect(input.networkConfiguration!.awsvpcConfiguration!.securityGroups!.length).toBeLessThanOrEqual(5);
    expect(runTaskInputs().map((input) => input.networkConfiguration?.awsvpcConfiguration?.securityGroups)).toEqual([
      [...SECURITY_GROUPS, `sg-dask-${JOB_ID}`],
      [...SECURITY_GROUPS, `sg-dask-${JOB_ID}`],
      SECURITY_GROUPS,
    ]);
    // The Dask job's tasks run a definition that carries its cluster's TLS credentials (its owner's folder, its own id); the other job's does not.
    const withCredentials = taskDefinitionInput({
      ...definitionDefaults,
      image: plan.image,
      size: sizeNamed('medium')!,
      attachments: { daskTlsSecret: `ada/_dask-tls-${JOB_ID}` },
      attachmentSettings: { secretArnPrefix: SECRET_ARN_PREFIX, gitImage: 'alpine/git:2.45.2' },
    });
    expect(withCredentials.containerDefinitions![0]!.secrets!.map((s) => s.valueFrom)).toEqual([`${SECRET_ARN_PREFIX}ada/_dask-tls-${JOB_ID}:ca::`, `${SECRET_ARN_PREFIX}ada/_dask-tls-${JOB_ID}:cert::`, `${SECRET_ARN_PREFIX}ada/_dask-tls-${JOB_ID}:key::`]);
    const tls = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${withCredentials.family}:3`;
    expect(runTaskInputs().map((input) => input.taskDefinition)).toEqual([tls, tls, DEFINITION]);
  });

  it('refuses to start a task that needs a Dask cluster group where there are none, rather than cut it off from its scheduler', async () => {
    await expect(launcherWith().launch(specsFor({ ...plan, dask_cluster: true }), { image: plan.image, instance_type: 'medium', spot: false })).rejects.toThrow(/Dask cluster security groups/);
    expect(runTaskInputs()).toEqual([]);
  });

  it('asks for FARGATE_SPOT when the run may use spot capacity', async () => {
    await launcherWith().launch(specsFor({ ...plan, scale: 1 }), { image: plan.image, instance_type: 'medium', spot: true });

    const [input] = runTaskInputs();
    expect(input?.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(input?.placementConstraints).toBeUndefined();
  });

  // Managed scaling launches what a capacity provider's Auto Scaling group holds ("Amazon ECS
  // capacity providers for EC2 workloads"): each GPU type has its own provider, and a GPU size
  // asks for its type's, with no placement constraint that its group could never satisfy.
  it('puts GPU sizes on the capacity provider of their own instance type', async () => {
    const gpuPlan = { ...plan, scale: 1, image: 'public.ecr.aws/saturncloud/saturn-python-pytorch:2024.08.01', instance_type: 'g5xlarge' };

    await launcherWith().launch(specsFor(gpuPlan), { image: gpuPlan.image, instance_type: 'g5xlarge', spot: true });

    const [input] = runTaskInputs();
    expect(input).toMatchObject({
      taskDefinition: definitionArn(gpuPlan.image, 'g5xlarge'),
      capacityProviderStrategy: [{ capacityProvider: 'cassini-gpu-g5-xlarge', weight: 1 }],
    });
    expect(input?.placementConstraints).toBeUndefined();
    expect(input?.launchType).toBeUndefined();
  });

  it('fails the tasks of a GPU size the stack does not provision, with the reason, and starts nothing', async () => {
    const outcomes = await launcherWith().launch(specsFor({ ...plan, scale: 2, instance_type: 'g4dnxlarge' }), { image: plan.image, instance_type: 'g4dnxlarge', spot: false });

    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'failed', reason: expect.stringMatching(/g4dn\.xlarge instances, which this platform does not provision/) }),
      expect.objectContaining({ status: 'failed' }),
    ]);
    expect(runTaskInputs()).toEqual([]);
  });

  it('runs the command as is when the spec has no start script or working directory', async () => {
    await launcherWith().launch(specsFor({ ...plan, scale: 1, start_script: null, working_directory: null, command: "echo 'it''s done'" }), {
      image: plan.image,
      instance_type: 'medium',
      spot: false,
    });

    expect(runTaskInputs()[0]?.overrides?.containerOverrides?.[0]?.command).toEqual(["echo 'it''s done'"]);
  });

  it('retries throttling and capacity failures with the same request, so the clientToken stays the same', async () => {
    // Prepare
    const clock = virtualClock();
    ecs
      .on(RunTaskCommand)
      .rejectsOnce(throttled())
      .resolvesOnce({ tasks: [], failures: [{ reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone' }] })
      .resolves({ tasks: [{ taskArn: taskArn('a1'), createdAt: NOW }], failures: [] });

    // Act
    const outcomes = await launcherWith({ clock }).launch(specsFor({ ...plan, scale: 1 }), { image: plan.image, instance_type: 'medium', spot: true });

    // Assess
    const inputs = runTaskInputs();
    expect(inputs).toHaveLength(3);
    expect(inputs[1]).toEqual(inputs[0]);
    expect(inputs[2]).toEqual(inputs[0]);
    expect(outcomes).toEqual([{ status: 'started', taskId: `${RUN_ID}-0`, taskArn: taskArn('a1'), startedAt: NOW.toISOString(), port: 8000 }]);
    expect(clock.elapsed()).toBeGreaterThan(0);
  });

  it('takes the task a conflicting clientToken already started as this launch', async () => {
    ecs.on(RunTaskCommand).rejects(new ConflictException({ message: 'clientToken in use', resourceIds: [taskArn('earlier')], $metadata: {} }));

    const outcomes = await launcherWith().launch(specsFor({ ...plan, scale: 1 }), { image: plan.image, instance_type: 'medium', spot: false });

    expect(outcomes).toEqual([{ status: 'started', taskId: `${RUN_ID}-0`, taskArn: taskArn('earlier'), startedAt: NOW.toISOString(), port: 8000 }]);
  });

  it('reports a failure that retrying cannot cure after one attempt, and the others still start', async () => {
    ecs
      .on(RunTaskCommand, { clientToken: `${RUN_ID}-1` })
      .resolves({ tasks: [], failures: [{ arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/cassini', reason: 'MISSING', detail: 'subnet-0a1b2c3d' }] });

    const outcomes = await launcherWith().launch(specsFor(plan), { image: plan.image, instance_type: 'medium', spot: false });

    expect(outcomes).toEqual([
      { status: 'started', taskId: `${RUN_ID}-0`, taskArn: taskArn(`${RUN_ID}-0`), startedAt: NOW.toISOString(), port: 8000 },
      { status: 'failed', taskId: `${RUN_ID}-1`, reason: `RunTask for ${RUN_ID}-1: MISSING: subnet-0a1b2c3d` },
    ]);
    expect(runTaskInputs().filter((input) => input.clientToken === `${RUN_ID}-1`)).toHaveLength(1);
  });

  it('gives up on a throttled launch after the queue attempts run out', async () => {
    ecs.on(RunTaskCommand).rejects(throttled());

    const [outcome] = await launcherWith({ maxAttempts: 4 }).launch(specsFor({ ...plan, scale: 1 }), { image: plan.image, instance_type: 'medium', spot: false });

    expect(outcome).toEqual({ status: 'failed', taskId: `${RUN_ID}-0`, reason: `RunTask for ${RUN_ID}-0: ThrottlingException: Rate exceeded (gave up after 4 attempts)` });
    expect(runTaskInputs()).toHaveLength(4);
  });

  it('refuses overrides longer than ECS accepts without calling RunTask', async () => {
    const [outcome] = await launcherWith().launch(specsFor({ ...plan, scale: 1, command: 'x'.repeat(9000) }), { image: plan.image, instance_type: 'medium', spot: false });

    expect(outcome).toMatchObject({ status: 'failed', taskId: `${RUN_ID}-0`, reason: expect.stringMatching(/at most 8192/) });
    expect(runTaskInputs()).toHaveLength(0);
  });

  it('rejects a size the catalog does not know before calling ECS', async () => {
    await expect(launcherWith().launch(specsFor(plan), { image: plan.image, instance_type: 'huge', spot: false })).rejects.toThrow(/unknown size/);
    expect(ecs.calls()).toHaveLength(0);
  });
});

describe('EcsTaskLauncher.stop', () => {
  it('stops the task with the reason cut to what ECS accepts', async () => {
    ecs.on(StopTaskCommand).resolves({ task: { taskArn: taskArn('a1'), lastStatus: 'STOPPING' } });

    await launcherWith().stop(taskArn('a1'), `cancelled by ada: ${'because '.repeat(40)}`);

    const inputs = ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([{ cluster: 'cassini', task: taskArn('a1'), reason: `cancelled by ada: ${'because '.repeat(40)}`.slice(0, 255) }]);
    expect(inputs[0]?.reason).toHaveLength(255);
  });

  it('treats a task ECS no longer knows as stopped', async () => {
    ecs.on(StopTaskCommand).rejects(new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} }));

    await expect(launcherWith().stop(taskArn('gone'), 'timed out')).resolves.toBeUndefined();
  });
});

describe('request fields', () => {
  it('derives a clientToken ECS accepts from any task id, the same every time', () => {
    expect(clientTokenFor('abc-0')).toBe('abc-0');
    const long = `${'r'.repeat(70)}-0`;
    expect(clientTokenFor(long)).toMatch(/^[0-9a-f]{64}$/);
    expect(clientTokenFor(long)).toBe(clientTokenFor(long));
    expect(clientTokenFor('run with spaces-0')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('cuts startedBy to 36 allowed characters', () => {
    expect(startedByFor('a'.repeat(40))).toBe('a'.repeat(36));
    expect(startedByFor('run.42')).toBe('run_42');
  });

  it('turns labels into namespaced tags with values tags allow', () => {
    expect(tagsFor({ owner: 'ada@example.com', job: 'nightly (v2)' })).toEqual([
      { key: 'cassini:owner', value: 'ada@example.com' },
      { key: 'cassini:job', value: 'nightly _v2_' },
    ]);
  });
});
