/**
 * The ECS Dask runtime against ECS and Cloud Map as aws-sdk-client-mock fakes that keep state
 * (tasks that run, task definitions and instances that are registered): the exact requests a
 * real service would receive, the resource's attachments in the definition its tasks run, a
 * reclaimed worker replaced, and a teardown after which nothing remains.
 */
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import {
  CreateServiceCommand,
  DeregisterInstanceCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { beforeEach, describe, expect, it } from 'vitest';
import { DASK_RUN_TOKEN_WINDOW_MS, daskRunToken, EcsDaskRuntime, type EcsDaskRuntimeOptions } from '../../../../shared/adapters/aws/dask/ecs-dask-runtime.ts';
import type { ResolvedAttachments } from '../../../../shared/adapters/aws/tasks/ecs-attachments.ts';
import { daskStartedBy } from '../../../../shared/adapters/aws/dask/dask-task-names.ts';
import { containerOverrides } from '../../../../shared/adapters/aws/tasks/container-overrides.ts';
import { EcsTaskDefinitions, taskDefinitionInput } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { sizeNamed } from '../../../../shared/domain/sizes.ts';
import type { DaskClusterPlan } from '../../../../shared/domain/planner/dask-plan.ts';
import { CLUSTER, fakeDaskAws } from '../support/fake-dask-aws.ts';
import { CreateSecretCommand, DeleteSecretCommand, InvalidRequestException } from '@aws-sdk/client-secrets-manager';
import { X509Certificate } from 'node:crypto';

// What "AWS" holds: tasks by ARN, Cloud Map services and their instances.
const aws = fakeDaskAws();
const { ecs, discovery, tasks, definitions, services, clusterGroups } = aws;
const live = () => aws.live();
const RESOURCE = 'ab'.repeat(12) + '00000001';
const NAMESPACE = 'ns-123';
const DEFINITION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-medium:1';
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-tasks', `sg-cluster-${RESOURCE}`], assignPublicIp: 'DISABLED' } };

const ADDRESS = `tls://${RESOURCE}.dask.cassini.internal:8786`;

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

function runtime(options: Partial<EcsDaskRuntimeOptions> = {}): EcsDaskRuntime {
  return new EcsDaskRuntime({
    ecs: new ECSClient({}),
    discovery: new ServiceDiscoveryClient({}),
    cluster: CLUSTER,
    subnets: ['subnet-a', 'subnet-b'],
    securityGroups: ['sg-tasks'],
    clusterGroups,
    tlsSecrets: aws.tlsSecrets,
    namespaceId: NAMESPACE,
    namespaceName: 'dask.cassini.internal',
    definitions: { ensure: async () => DEFINITION },
    ...options,
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
        overrides: containerOverrides(taskSpec('scheduler', 'dask scheduler --protocol tls --port 8786 --dashboard-address :8787')),
        tags: tags('scheduler'),
        clientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
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
        clientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
    expect(daskStartedBy(RESOURCE)).toHaveLength(36);
  });

  // RunTask's clientToken makes a repeated request start nothing new ("Ensuring idempotency",
  // Amazon ECS API Reference; RunTask: up to 64 characters). The reactor and the reconciler
  // can decide the same start from the same cluster state: it must happen once.
  describe('client tokens', () => {
    const at = new Date('2025-03-01T12:00:00.000Z');

    it('starts a cluster once when two passes decide its start from the same state', async () => {
      const reactor = runtime({ clock: () => at });
      const reconciler = runtime({ clock: () => at });

      await Promise.all([reactor.ensure(plan), reconciler.ensure(plan)]);

      expect(live().filter((t) => t.group === `dask-scheduler:${RESOURCE}`)).toHaveLength(1);
      expect(live().filter((t) => t.group === `dask-worker:${RESOURCE}`)).toHaveLength(2);
      const tokens = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input.clientToken);
      expect(tokens.every((t) => t !== undefined && t.length <= 64), 'every RunTask carries a client token').toBe(true);
    });

    it('gives a new decision a new token: a worker lost later is replaced, and scaling starts new copies', async () => {
      const dask = runtime({ clock: () => at });
      await dask.ensure(plan);
      aws.lose('task2');

      await dask.ensure(plan);
      await dask.scale(RESOURCE, 3);

      expect(live().filter((t) => t.group === `dask-worker:${RESOURCE}`)).toHaveLength(3);
      const tokens = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input.clientToken);
      expect(new Set(tokens).size).toBe(tokens.length);
    });

    it('starts a cluster stopped and started again at once: its new Cloud Map service makes a new decision', async () => {
      const dask = runtime({ clock: () => at });
      await dask.ensure(plan);
      await dask.stop(RESOURCE, 'stopped');

      await dask.ensure(plan);

      expect(live().filter((t) => t.group === `dask-scheduler:${RESOURCE}`)).toHaveLength(1);
    });

    it('tries a start again in the next window when the same state persists (a start that failed for capacity)', () => {
      const intent = { resourceId: RESOURCE, serviceId: 'srv-1', role: 'scheduler' as const, seenTaskIds: [], chunk: 0, at };
      expect(daskRunToken(intent)).not.toBe(daskRunToken({ ...intent, at: new Date(at.getTime() + DASK_RUN_TOKEN_WINDOW_MS) }));
    });

    it('derives the token from the intent only', () => {
      const intent = { resourceId: RESOURCE, serviceId: 'srv-1', role: 'scheduler' as const, seenTaskIds: ['b', 'a'], chunk: 0, at };
      expect(daskRunToken(intent)).toBe(daskRunToken({ ...intent, seenTaskIds: ['a', 'b'], at: new Date(at.getTime() + 1000) }));
      expect(daskRunToken(intent)).not.toBe(daskRunToken({ ...intent, role: 'worker' }));
      expect(daskRunToken(intent)).not.toBe(daskRunToken({ ...intent, seenTaskIds: ['a'] }));
      expect(daskRunToken(intent)).not.toBe(daskRunToken({ ...intent, chunk: 1 }));
      expect(daskRunToken(intent)).not.toBe(daskRunToken({ ...intent, serviceId: 'srv-2' }));
    });
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
    const dask = runtime({
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

  describe('with attachments', () => {
    const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/cassini-task-execution';
    const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/cassini-workloads/default';
    const TRAINER_ROLE = 'arn:aws:iam::123456789012:role/cassini-workloads/trainer';
    const SECRETS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/';
    const FS = 'fs-0123456789abcdef0';
    const DEFINITION_DEFAULTS = {
      executionRoleArn: EXECUTION_ROLE,
      taskRoleArn: DEFAULT_ROLE,
      logGroup: '/cassini/tasks',
      region: 'eu-west-1',
      attachmentSettings: { secretArnPrefix: SECRETS, gitImage: 'alpine/git:2.45.2', fileSystemId: FS },
    };
    const attached: DaskClusterPlan = {
      ...plan,
      attachments: {
        secrets: [
          { owner: 'ann', name: 'db', as: 'environment_variable', variable: 'DB_PASSWORD' },
          { owner: 'ann', name: 'deploy', as: 'file', path: '/home/jovyan/.ssh/id_ed25519' },
        ],
        gitRepositories: [
          { url: 'git@github.com:acme/features.git', path: '/home/jovyan/workspace/features', reference: 'v3', referenceType: 'tag', onRestart: 'preserve changes', deployKey: { owner: 'ann', name: 'deploy' } },
        ],
        sharedFolders: [{ owner: 'ann', name: 'raw', path: '/home/jovyan/shared/ann/raw', readOnly: true }],
        configFiles: [{ path: '/home/jovyan/.config/train.yaml', content: 'n_workers: 2\n', mode: 0o644 }],
        taskRoleArn: TRAINER_ROLE,
      },
    };

    /** The runtime with real task definitions: access points and secret ARNs as EFS and Secrets Manager would give them. */
    function attachingRuntime(): EcsDaskRuntime {
      return runtime({
        definitions: new EcsTaskDefinitions({ client: new ECSClient({}), ...DEFINITION_DEFAULTS }),
        folders: { ensure: async (ref) => `fsap-${ref.owner}-${ref.name}` },
        secretArns: () => ({ arnOf: async (ref) => `${SECRETS}${ref.owner}/${ref.name}-AbC123` }),
      });
    }

    it('runs the scheduler and the workers on a definition with the secrets, the git init container, the folders and the task role', async () => {
      // Act
      await attachingRuntime().ensure(attached);

      // Assess: one definition (scheduler and workers have one size), run by every task.
      const registered = ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
      expect(registered).toHaveLength(1);
      const [input] = registered;
      // Exactly the definition a job task of the resource gets with these attachments resolved
      // (its rendering is ecs-attachments.test.ts's): access points and full secret ARNs, the role.
      const { taskRoleArn: _role, ...rest } = attached.attachments!;
      const resolved: ResolvedAttachments = {
        ...rest,
        sharedFolders: [{ owner: 'ann', name: 'raw', path: '/home/jovyan/shared/ann/raw', readOnly: true, accessPointId: 'fsap-ann-raw' }],
        secretArns: { 'ann/db': `${SECRETS}ann/db-AbC123`, 'ann/deploy': `${SECRETS}ann/deploy-AbC123` },
        daskTlsSecret: `ann/_dask-tls-${RESOURCE}`,
      };
      expect(input).toEqual(taskDefinitionInput({ ...DEFINITION_DEFAULTS, image: plan.image, size: sizeNamed('medium')!, taskRoleArn: TRAINER_ROLE, attachments: resolved }));
      // That is: the registered role, the secrets by full ARN, the git init container, the folder's EFS volume.
      const [git, main] = input!.containerDefinitions!;
      expect(input!.taskRoleArn).toBe(TRAINER_ROLE);
      expect(main!.secrets).toEqual([
        { name: 'DB_PASSWORD', valueFrom: `${SECRETS}ann/db-AbC123` },
        { name: 'CASSINI_SECRET_FILE_0', valueFrom: `${SECRETS}ann/deploy-AbC123` },
        { name: 'CASSINI_DASK_TLS_CA', valueFrom: `${SECRETS}ann/_dask-tls-${RESOURCE}:ca::` },
        { name: 'CASSINI_DASK_TLS_CERT', valueFrom: `${SECRETS}ann/_dask-tls-${RESOURCE}:cert::` },
        { name: 'CASSINI_DASK_TLS_KEY', valueFrom: `${SECRETS}ann/_dask-tls-${RESOURCE}:key::` },
      ]);
      expect(git).toMatchObject({ name: 'git', essential: false, secrets: [{ name: 'CASSINI_DEPLOY_KEY_0', valueFrom: `${SECRETS}ann/deploy-AbC123` }] });
      expect(git!.command![0]).toContain('git clone --branch v3 git@github.com:acme/features.git /cassini/git/0');
      expect(main!.dependsOn).toEqual([{ containerName: 'git', condition: 'SUCCESS' }]);
      expect(input!.volumes![0]).toEqual({ name: 'folder-0', efsVolumeConfiguration: { fileSystemId: FS, rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-ann-raw', iam: 'ENABLED' } } });
      expect(main!.mountPoints).toContainEqual({ sourceVolume: 'folder-0', containerPath: '/home/jovyan/shared/ann/raw', readOnly: true });
      // The prelude writes the file secret and the config file, then runs the dask command.
      expect(main!.entryPoint![2]).toMatch(/\/home\/jovyan\/\.ssh\/id_ed25519[\s\S]*\/home\/jovyan\/\.config\/train\.yaml[\s\S]*exec sh -c "\$0"$/);
      const family = input!.family!;
      const arn = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:1`;
      expect(ecs.commandCalls(RunTaskCommand).map((c) => [c.args[0].input.group, c.args[0].input.taskDefinition])).toEqual([
        [`dask-scheduler:${RESOURCE}`, arn],
        [`dask-worker:${RESOURCE}`, arn],
      ]);
      // No SATURN_TOKEN for a cluster's tasks (not built yet).
      expect(JSON.stringify(input)).not.toContain('SATURN_TOKEN');
    });

    it('scales with the definition the workers run, attachments and all', async () => {
      // Prepare
      const dask = attachingRuntime();
      await dask.ensure(attached);
      const [arn] = [...definitions.keys()];

      // Act
      await dask.scale(RESOURCE, 3);

      // Assess
      expect(ecs.commandCalls(RunTaskCommand).at(-1)!.args[0].input).toMatchObject({ group: `dask-worker:${RESOURCE}`, count: 1, taskDefinition: arn });
      expect(definitions.get(arn!)?.taskRoleArn).toBe(TRAINER_ROLE);
    });

    it('runs the tasks it starts after a change of attachments on a new definition', async () => {
      // Prepare
      const dask = attachingRuntime();
      await dask.ensure(attached);
      const first = [...definitions.keys()];
      const changed: DaskClusterPlan = { ...attached, attachments: { ...attached.attachments, configFiles: [{ path: '/home/jovyan/.config/train.yaml', content: 'n_workers: 4\n', mode: 0o644 }] } };
      aws.lose('task2');

      // Act
      await dask.ensure(changed);

      // Assess: the replacement worker runs a new definition, with the new file.
      const second = [...definitions.keys()].filter((arn) => !first.includes(arn));
      expect(second).toHaveLength(1);
      expect(ecs.commandCalls(RunTaskCommand).at(-1)!.args[0].input).toMatchObject({ group: `dask-worker:${RESOURCE}`, count: 1, taskDefinition: second[0] });
      expect(definitions.get(second[0]!)?.containerDefinitions?.find((c) => c.name === 'main')?.entryPoint?.[2]).toContain('n_workers: 4');
    });
  });

  it('stops every task and deregisters every instance: after a stop nothing of the cluster remains', async () => {
    // Prepare: a running, registered cluster, seen from a fresh runtime (another Lambda).
    await runtime().ensure(plan);
    await runtime().ensure(plan);
    expect(live()).toHaveLength(3);

    // Act
    await runtime().stop(RESOURCE, 'the deployment stopped', 'ann');

    // Assess
    expect(aws.secrets.size).toBe(0);
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual(
      ['task1', 'task2', 'task3'].map((task) => ({ cluster: CLUSTER, task, reason: 'the deployment stopped' })),
    );
    expect(live()).toEqual([]);
    expect(discovery.commandCalls(DeregisterInstanceCommand).map((c) => c.args[0].input)).toEqual([{ ServiceId: 'srv-1', InstanceId: 'task1' }]);
    expect(services.size).toBe(0);
    expect(clusterGroups.live.size).toBe(0);
    expect(await runtime().describe(RESOURCE)).toEqual({ status: 'stopped', scheduler_address: null, dashboard_url: null, num_workers: 0 });
    expect(await runtime().schedulerAddress(RESOURCE)).toBeNull();
  });

  it("runs each cluster in a security group of its own, which the reconciler finds while it is left", async () => {
    // Prepare
    const other = 'cd'.repeat(12) + '00000002';
    const stuck = { ...clusterGroups, remove: async () => false };

    // Act
    await runtime().ensure(plan);
    await runtime().ensure({ ...plan, resourceId: other, labels: { ...plan.labels, resource: other } });
    await runtime({ clusterGroups: stuck }).stop(RESOURCE, 'the deployment stopped');

    // Assess: never a group shared by two clusters, and a group a task still held is listed for the next stop.
    const groupsOf = (resource: string) => new Set(ecs.commandCalls(RunTaskCommand).filter((c) => c.args[0].input.startedBy === daskStartedBy(resource)).flatMap((c) => c.args[0].input.networkConfiguration!.awsvpcConfiguration!.securityGroups!));
    expect(groupsOf(RESOURCE)).toEqual(new Set(['sg-tasks', `sg-cluster-${RESOURCE}`]));
    expect(groupsOf(other)).toEqual(new Set(['sg-tasks', `sg-cluster-${other}`]));
    expect(await runtime().clusterIds()).toContain(RESOURCE);
  });

  describe('TLS between the members of a cluster', () => {
    const SECRET = `cassini/ann/_dask-tls-${RESOURCE}`;

    it('makes the cluster its credentials in Secrets Manager before its first task starts, and its tasks speak TLS only', async () => {
      // Act
      const { schedulerAddress } = await runtime().ensure(plan);

      // Assess: the exact request, under the owner's folder of the platform prefix.
      const created = aws.secretsManager.commandCalls(CreateSecretCommand).map((c) => c.args[0].input);
      expect(created).toEqual([
        {
          Name: SECRET,
          Description: `TLS credentials of the Dask cluster of Cassini resource ${RESOURCE}`,
          SecretString: expect.any(String),
          Tags: [
            { Key: 'owner', Value: 'ann' },
            { Key: 'managed-by', Value: 'cassini' },
            { Key: 'cassini:dask-cluster', Value: RESOURCE },
          ],
        },
      ]);
      const credentials = JSON.parse(created[0]!.SecretString!) as { ca: string; cert: string; key: string };
      expect(new X509Certificate(credentials.cert).checkIssued(new X509Certificate(credentials.ca))).toBe(true);
      const create = aws.secretsManager.commandCalls(CreateSecretCommand)[0]!;
      expect(ecs.commandCalls(RunTaskCommand).every((run) => create.calledBefore(run)), 'no task starts before its credentials exist').toBe(true);
      // The scheduler listens for TLS only, and everyone reaches it at a tls:// address.
      expect(schedulerAddress).toBe(`tls://${RESOURCE}.dask.cassini.internal:8786`);
      const commands = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input.overrides!.containerOverrides![0]!.command);
      expect(JSON.stringify(commands)).toContain('dask scheduler --protocol tls --port 8786');
      expect(JSON.stringify(commands)).toContain(`dask worker tls://${RESOURCE}.dask.cassini.internal:8786`);
      // No key in a request ECS (and CloudTrail) records.
      expect(JSON.stringify(ecs.calls().map((c) => c.args[0].input))).not.toContain('PRIVATE KEY');
    });

    it('keeps the credentials the members hold: a later ensure makes none, a racing one keeps the first', async () => {
      // Prepare
      await runtime().ensure(plan);
      const first = aws.secrets.get(SECRET);

      // Act: another Lambda's pass with nothing to start; then one that replaces a lost worker.
      await runtime().ensure(plan);
      aws.lose('task3');
      await runtime().ensure(plan);

      // Assess
      expect(aws.secrets.get(SECRET)).toBe(first);
      expect(aws.secretsManager.commandCalls(CreateSecretCommand)).toHaveLength(2);
      expect(live()).toHaveLength(3);
    });

    it('deletes the credentials at once with the cluster, and a second stop is fine', async () => {
      // Prepare
      await runtime().ensure(plan);

      // Act
      await runtime().stop(RESOURCE, 'the deployment stopped', 'ann');
      await runtime().stop(RESOURCE, 'the deployment stopped', 'ann');

      // Assess
      expect(aws.secretsManager.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([
        { SecretId: SECRET, ForceDeleteWithoutRecovery: true },
        { SecretId: SECRET, ForceDeleteWithoutRecovery: true },
      ]);
      expect(aws.secrets.size).toBe(0);
    });

    it('starts no task while the last cluster’s credentials are still being deleted, and says why', async () => {
      // Prepare: Secrets Manager deletes asynchronously; a create of the same name meanwhile is refused.
      aws.secretsManager.on(CreateSecretCommand).rejects(new InvalidRequestException({ message: "You can't create this secret because a secret with this name is already scheduled for deletion.", $metadata: {} }));

      // Act
      const ensuring = runtime().ensure(plan);

      // Assess
      await expect(ensuring).rejects.toThrow(/still being deleted after its last stop; the cluster starts at the next try/);
      expect(ecs.commandCalls(RunTaskCommand)).toEqual([]);
    });
  });
});
