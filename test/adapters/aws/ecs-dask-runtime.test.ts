/**
 * The ECS Dask runtime against ECS and Cloud Map as aws-sdk-client-mock fakes that keep state
 * (tasks that run, instances that are registered): the exact requests a real service would
 * receive, a reclaimed worker replaced, and a teardown after which nothing remains.
 */
import { ECSClient, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import {
  CreateServiceCommand,
  DeregisterInstanceCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsDaskRuntime } from '../../../shared/adapters/aws/ecs-dask-runtime.ts';
import { daskStartedBy } from '../../../shared/adapters/aws/dask-task-names.ts';
import { containerOverrides } from '../../../shared/adapters/aws/container-overrides.ts';
import type { DaskClusterPlan } from '../../../shared/domain/planner/dask-plan.ts';
import { CLUSTER, fakeDaskAws } from './support/fake-dask-aws.ts';

// What "AWS" holds: tasks by ARN, Cloud Map services and their instances.
const aws = fakeDaskAws();
const { ecs, discovery, tasks, services } = aws;
const live = () => aws.live();
const RESOURCE = 'ab'.repeat(12) + '00000001';
const NAMESPACE = 'ns-123';
const DEFINITION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-medium:1';
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-tasks', 'sg-dask'], assignPublicIp: 'DISABLED' } };
const ADDRESS = `tcp://${RESOURCE}.dask.cassini.internal:8786`;

const plan: DaskClusterPlan = {
  resourceId: RESOURCE,
  type: 'deployment',
  owner: 'ann',
  name: 'api',
  image: 'ghcr.io/acme/ml:1',
  numWorkers: 2,
  scheduler: { instanceType: 'medium' },
  worker: { instanceType: 'medium', numProcesses: 2, numThreads: 4, spot: true },
  environment: { MODE: 'x' },
  labels: { owner: 'ann', resource: RESOURCE, deployment: 'api' },
};

function runtime(): EcsDaskRuntime {
  return new EcsDaskRuntime({
    ecs: new ECSClient({}),
    discovery: new ServiceDiscoveryClient({}),
    cluster: CLUSTER,
    subnets: ['subnet-a', 'subnet-b'],
    securityGroups: ['sg-tasks', 'sg-dask'],
    namespaceId: NAMESPACE,
    namespaceName: 'dask.cassini.internal',
    definitions: { ensure: async () => DEFINITION },
  });
}

beforeEach(() => {
  aws.reset();
});

function taskSpec(role: 'scheduler' | 'worker', command: string) {
  return { taskId: `dask-${role}-${RESOURCE}`, group: `dask-${role}:${RESOURCE}`, command, environment: { MODE: 'x' }, labels: { ...plan.labels, dask: role } };
}
const tags = (role: string) => [
  { key: 'owner', value: 'ann' },
  { key: 'resource', value: RESOURCE },
  { key: 'deployment', value: 'api' },
  { key: 'dask', value: role },
];

describe('EcsDaskRuntime', () => {
  it('creates the Cloud Map name, starts the scheduler on FARGATE and the workers on FARGATE_SPOT', async () => {
    // Act
    const { schedulerAddress } = await runtime().ensure(plan);

    // Assess
    expect(schedulerAddress).toBe(ADDRESS);
    expect(discovery.commandCalls(CreateServiceCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: RESOURCE,
        NamespaceId: NAMESPACE,
        Description: `Dask scheduler of resource ${RESOURCE}`,
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
      },
    ]);
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input)).toEqual([
      {
        cluster: CLUSTER,
        taskDefinition: DEFINITION,
        count: 1,
        startedBy: daskStartedBy(RESOURCE),
        group: `dask-scheduler:${RESOURCE}`,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
        networkConfiguration: NETWORK,
        overrides: containerOverrides(taskSpec('scheduler', 'dask scheduler --port 8786 --dashboard-address :8787')),
        tags: tags('scheduler'),
      },
      {
        cluster: CLUSTER,
        taskDefinition: DEFINITION,
        count: 2,
        startedBy: daskStartedBy(RESOURCE),
        group: `dask-worker:${RESOURCE}`,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkConfiguration: NETWORK,
        overrides: containerOverrides(taskSpec('worker', `dask worker ${ADDRESS} --nworkers 2 --nthreads 4`)),
        tags: tags('worker'),
      },
    ]);
    expect(daskStartedBy(RESOURCE)).toHaveLength(36);
  });

  it('registers the scheduler task under the name once it has an address, then changes nothing', async () => {
    // Prepare
    const dask = runtime();
    await dask.ensure(plan);

    // Act
    await dask.ensure(plan);
    await dask.ensure(plan);

    // Assess
    expect(discovery.commandCalls(RegisterInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceId: 'srv-1', InstanceId: 'task1', CreatorRequestId: 'task1', Attributes: { AWS_INSTANCE_IPV4: '10.0.0.1' } },
    ]);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(2);
    expect(await dask.describe(RESOURCE)).toEqual({
      status: 'running',
      scheduler_address: ADDRESS,
      dashboard_url: `http://${RESOURCE}.dask.cassini.internal:8787/status`,
      num_workers: 2,
    });
  });

  it('names a scheduler it started as soon as its task has an address, when asked to wait for it', async () => {
    // Prepare: ECS gives the scheduler its IP a few seconds after RunTask.
    const slept: number[] = [];
    const dask = new EcsDaskRuntime({
      ecs: new ECSClient({}),
      discovery: new ServiceDiscoveryClient({}),
      cluster: CLUSTER,
      subnets: ['subnet-a', 'subnet-b'],
      securityGroups: ['sg-tasks', 'sg-dask'],
      namespaceId: NAMESPACE,
      namespaceName: 'dask.cassini.internal',
      definitions: { ensure: async () => DEFINITION },
      registerWithinMs: 30_000,
      sleep: async (ms) => {
        slept.push(ms);
        if (slept.length === 2) for (const task of tasks.values()) task.attachments = [{ details: [{ name: 'privateIPv4Address', value: '10.0.9.9' }] }];
      },
    });
    let sequence = 0;
    ecs.on(RunTaskCommand).callsFake((input) => {
      sequence++;
      const task: Task = { taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/task${sequence}`, group: input.group, startedBy: input.startedBy, desiredStatus: 'RUNNING', lastStatus: 'PROVISIONING' };
      tasks.set(task.taskArn!, task);
      return { tasks: [task], failures: [] };
    });

    // Act
    await dask.ensure({ ...plan, numWorkers: 0 });

    // Assess
    expect(slept).toEqual([2000, 2000]);
    expect(discovery.commandCalls(RegisterInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceId: 'srv-1', InstanceId: 'task1', CreatorRequestId: 'task1', Attributes: { AWS_INSTANCE_IPV4: '10.0.9.9' } },
    ]);
  });

  it('replaces a worker reclaimed from spot capacity, and a lost scheduler under the same name', async () => {
    // Prepare
    const dask = runtime();
    await dask.ensure(plan);
    await dask.ensure(plan);
    ecs.resetHistory();
    discovery.resetHistory();
    // Spot reclaims a worker; the scheduler crashes.
    Object.assign(tasks.get(`arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/task2`)!, { desiredStatus: 'STOPPED', lastStatus: 'STOPPED' });
    Object.assign(tasks.get(`arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/task1`)!, { desiredStatus: 'STOPPED', lastStatus: 'STOPPED' });

    // Act: the reconciler's passes
    await dask.ensure(plan);
    await dask.ensure(plan);

    // Assess
    expect(ecs.commandCalls(RunTaskCommand).map((c) => [c.args[0].input.group, c.args[0].input.count, c.args[0].input.capacityProviderStrategy])).toEqual([
      [`dask-scheduler:${RESOURCE}`, 1, [{ capacityProvider: 'FARGATE', weight: 1 }]],
      [`dask-worker:${RESOURCE}`, 1, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]],
    ]);
    expect(discovery.commandCalls(DeregisterInstanceCommand).map((c) => c.args[0].input)).toEqual([{ ServiceId: 'srv-1', InstanceId: 'task1' }]);
    expect([...services.get('srv-1')!.instances]).toEqual([['task4', '10.0.0.4']]);
    expect(live().filter((t) => t.group === `dask-worker:${RESOURCE}`)).toHaveLength(2);
  });

  it('scales by stopping the newest workers or starting copies of a running one', async () => {
    // Prepare
    const dask = runtime();
    await dask.ensure(plan);

    // Act + Assess
    await dask.scale(RESOURCE, 4);
    expect(live().filter((t) => t.group === `dask-worker:${RESOURCE}`)).toHaveLength(4);
    expect(ecs.commandCalls(RunTaskCommand).at(-1)!.args[0].input).toMatchObject({ count: 2, taskDefinition: DEFINITION, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }], networkConfiguration: NETWORK });

    await dask.scale(RESOURCE, 1);
    expect(live().filter((t) => t.group === `dask-worker:${RESOURCE}`).map((t) => t.taskArn!.split('/').pop())).toEqual(['task2']);
  });

  it('stops every task and deregisters every instance: after a stop nothing of the cluster remains', async () => {
    // Prepare: a running, registered cluster, seen from a fresh runtime (another Lambda).
    await runtime().ensure(plan);
    await runtime().ensure(plan);
    expect(live()).toHaveLength(3);

    // Act
    await runtime().stop(RESOURCE, 'the deployment stopped');

    // Assess
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual(
      ['task1', 'task2', 'task3'].map((task) => ({ cluster: CLUSTER, task, reason: 'the deployment stopped' })),
    );
    expect(live()).toEqual([]);
    expect(discovery.commandCalls(DeregisterInstanceCommand).map((c) => c.args[0].input)).toEqual([{ ServiceId: 'srv-1', InstanceId: 'task1' }]);
    expect(services.size).toBe(0);
    expect(await runtime().describe(RESOURCE)).toEqual({ status: 'stopped', scheduler_address: null, dashboard_url: null, num_workers: 0 });
    expect(await runtime().schedulerAddress(RESOURCE)).toBeNull();
  });
});
