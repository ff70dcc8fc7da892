import {
  ClientException,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  ServerException,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, EcsTaskDefinitions, logStreamName, taskDefinitionInput } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { sizeNamed, type Size } from '../../../../shared/domain/sizes.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);

const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/cassini-task-execution';
const TASK_ROLE = 'arn:aws:iam::123456789012:role/cassini-task';
const IMAGE = 'public.ecr.aws/saturncloud/saturn-python:2024.08.01';
const GPU_IMAGE = 'public.ecr.aws/saturncloud/saturn-python-pytorch:2024.08.01';
const defaults = { executionRoleArn: EXECUTION_ROLE, taskRoleArn: TASK_ROLE, logGroup: '/cassini/tasks', region: 'eu-west-1' };
const medium = sizeNamed('medium') as Size;
const gpu = sizeNamed('g5xlarge') as Size;

function arnOf(family: string, revision: number): string {
  return `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`;
}

const notFound = () => new ClientException({ message: 'Unable to describe task definition.', $metadata: {} });

beforeEach(() => {
  ecs.reset();
});

describe('taskDefinitionInput', () => {
  it('renders a Fargate definition whose container runs `sh -c` and logs to the platform group', () => {
    expect(taskDefinitionInput({ ...defaults, image: IMAGE, size: medium })).toEqual({
      family: 'cassini-ed48ef031159',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '2048',
      memory: '4096',
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: EXECUTION_ROLE,
      taskRoleArn: TASK_ROLE,
      containerDefinitions: [
        {
          name: 'main',
          image: IMAGE,
          essential: true,
          entryPoint: ['sh', '-c'],
          linuxParameters: { initProcessEnabled: true },
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/cassini/tasks', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'cassini-ed48ef031159' },
          },
        },
      ],
    });
  });

  it('renders a GPU size as an EC2 definition that reserves its GPUs', () => {
    const input = taskDefinitionInput({ ...defaults, image: GPU_IMAGE, size: gpu });

    expect(input).toMatchObject({
      family: 'cassini-67fb49778779',
      requiresCompatibilities: ['EC2'],
      networkMode: 'awsvpc',
      cpu: '3072',
      memory: '14336',
    });
    expect(input.containerDefinitions?.[0]?.resourceRequirements).toEqual([{ type: 'GPU', value: '1' }]);
  });

  it('names equal content alike and any difference differently', () => {
    const family = (overrides: Partial<typeof defaults> & { image?: string; size?: Size }) =>
      taskDefinitionInput({ ...defaults, image: IMAGE, size: medium, ...overrides }).family;

    expect(family({})).toBe(family({}));
    const variants = [
      family({}),
      family({ image: `${IMAGE}-2` }),
      family({ size: sizeNamed('large') as Size }),
      family({ taskRoleArn: `${TASK_ROLE}-analytics` }),
      family({ executionRoleArn: `${EXECUTION_ROLE}-2` }),
      family({ logGroup: '/cassini/other' }),
      family({ region: 'us-east-1' }),
    ];
    expect(new Set(variants).size).toBe(variants.length);
    for (const name of variants) expect(name).toMatch(/^cassini-[0-9a-f]{12}$/);
  });
});

describe('canonicalJson', () => {
  it('does not depend on key order and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } })).toBe(canonicalJson({ a: { d: [1, { e: 3, f: 2 }] }, b: 1 }));
  });
});

describe('logStreamName', () => {
  it('is where awslogs writes: prefix, container, ECS task id', () => {
    expect(logStreamName('cassini-ed48ef031159', 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/0f1e2d3c4b5a')).toBe('cassini-ed48ef031159/main/0f1e2d3c4b5a');
  });
});

describe('EcsTaskDefinitions.ensure', () => {
  it('registers the definition when its family has no active revision, and returns the family:revision ARN', async () => {
    // Prepare
    const expected = taskDefinitionInput({ ...defaults, image: IMAGE, size: medium });
    ecs.on(DescribeTaskDefinitionCommand).rejects(notFound());
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: arnOf('cassini-ed48ef031159', 1), status: 'ACTIVE' } });
    const definitions = new EcsTaskDefinitions({ client, ...defaults });

    // Act
    const arn = await definitions.ensure({ image: IMAGE, size: medium });

    // Assess
    expect(arn).toBe(arnOf('cassini-ed48ef031159', 1));
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([{ taskDefinition: 'cassini-ed48ef031159' }]);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([expected]);
  });

  it('reuses an existing revision without registering', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: arnOf('cassini-ed48ef031159', 4), status: 'ACTIVE' } });
    const definitions = new EcsTaskDefinitions({ client, ...defaults });

    const arn = await definitions.ensure({ image: IMAGE, size: medium });

    expect(arn).toBe(arnOf('cassini-ed48ef031159', 4));
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('asks ECS once per family and process, however many launches ask at once', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: arnOf('cassini-ed48ef031159', 4), status: 'ACTIVE' } });
    const definitions = new EcsTaskDefinitions({ client, ...defaults });

    const arns = await Promise.all(Array.from({ length: 50 }, () => definitions.ensure({ image: IMAGE, size: medium })));
    await definitions.ensure({ image: IMAGE, size: medium });

    expect(new Set(arns)).toEqual(new Set([arnOf('cassini-ed48ef031159', 4)]));
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
  });

  it('uses the role a resource attached, which makes it a definition of its own', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(notFound());
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: arnOf(input.family, 1) } }));
    const definitions = new EcsTaskDefinitions({ client, ...defaults });

    await definitions.ensure({ image: IMAGE, size: medium, taskRoleArn: 'arn:aws:iam::123456789012:role/analytics' });

    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
    expect(registered).toEqual([taskDefinitionInput({ ...defaults, image: IMAGE, size: medium, taskRoleArn: 'arn:aws:iam::123456789012:role/analytics' })]);
    expect(registered[0]?.family).not.toBe('cassini-ed48ef031159');
  });

  it('forgets a failure, so the next launch asks again', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejectsOnce(new ServerException({ message: 'internal error', $metadata: {} })).resolves({
      taskDefinition: { taskDefinitionArn: arnOf('cassini-ed48ef031159', 2), status: 'ACTIVE' },
    });
    const definitions = new EcsTaskDefinitions({ client, ...defaults });

    await expect(definitions.ensure({ image: IMAGE, size: medium })).rejects.toThrow('internal error');
    await expect(definitions.ensure({ image: IMAGE, size: medium })).resolves.toBe(arnOf('cassini-ed48ef031159', 2));
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });
});
