/**
 * A role made for a launch is not at once usable by ECS ("Changes that I make are not always
 * immediately visible", Troubleshooting IAM, IAM User Guide): ECS refuses with "ECS was unable
 * to assume the role '…' that was provided for this task". RegisterTaskDefinition, RunTask and
 * CreateService/UpdateService are tried again a bounded number of times for that refusal, and
 * for no other. ECS is aws-sdk-client-mock; the exact requests are asserted.
 */
import { ClientException, CreateServiceCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, InvalidParameterException, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { isRoleNotYetUsable, retryWhileRolePropagates, ROLE_PROPAGATION_DELAYS_MS } from '../../../../shared/adapters/aws/iam/role-propagation.ts';
import { EcsTaskDefinitions } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { EcsTaskLauncher } from '../../../../shared/adapters/aws/tasks/ecs-task-launcher.ts';
import { LaunchQueue, type QueueClock } from '../../../../shared/adapters/aws/tasks/launch-queue.ts';
import { bareServiceRuntime } from '../support/bare-service-runtime.ts';
import type { ResourceRoles } from '../../../../shared/adapters/aws/iam/resource-roles.ts';
import type { ServicePlan } from '../../../../shared/ports/service-runtime.ts';
import { sizeNamed, type Size } from '../../../../shared/domain/sizes.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);
const RESOURCE = 'ab'.repeat(12) + '00000001';
const OWN_EXECUTION = `arn:aws:iam::123456789012:role/cassini-workloads/platform/cassini-exec-${RESOURCE}`;
const OWN_TASK = `arn:aws:iam::123456789012:role/cassini-workloads/platform/cassini-task-${RESOURCE}`;
const notAssumable = (kind: typeof ClientException | typeof InvalidParameterException = ClientException) =>
  new kind({ message: `ECS was unable to assume the role '${OWN_EXECUTION}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`, $metadata: {} });
const definitionArn = (family: string) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:1`;

/** A fake of the roles port: what each resource was granted, and the ARNs ResourceRoles would answer. */
function fakeRoles(): Pick<ResourceRoles, 'ensure'> & { calls: Array<{ resourceId: string; registeredRoleArn?: string; tokenFiles: boolean; definition: unknown }> } {
  const calls: Array<{ resourceId: string; registeredRoleArn?: string; tokenFiles: boolean; definition: unknown }> = [];
  return {
    calls,
    async ensure(resourceId, definition, options) {
      calls.push({ resourceId, ...options, definition });
      return { executionRoleArn: OWN_EXECUTION, taskRoleArn: OWN_TASK };
    },
  };
}

function recordingSleep(): { sleep: (ms: number) => Promise<void>; slept: number[] } {
  const slept: number[] = [];
  return { slept, sleep: async (ms) => void slept.push(ms) };
}

function definitions(roles = fakeRoles(), sleep = recordingSleep().sleep) {
  return new EcsTaskDefinitions({
    client,
    executionRoleArn: 'arn:aws:iam::123456789012:role/shared-execution',
    taskRoleArn: 'arn:aws:iam::123456789012:role/cassini-workloads/platform/default',
    logGroup: '/cassini/tasks',
    region: 'eu-west-1',
    attachmentSettings: { secretArnPrefix: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/', gitImage: 'alpine/git:2.45.2' },
    roles,
    rolePropagation: { sleep },
  });
}

beforeEach(() => {
  ecs.reset();
  ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
});

describe('retryWhileRolePropagates', () => {
  it('tries again after 1, 2, 4 and 8 seconds while ECS cannot assume the role, then gives its refusal', async () => {
    // Prepare
    const { sleep, slept } = recordingSleep();
    let calls = 0;

    // Act
    const attempt = retryWhileRolePropagates(async () => {
      calls++;
      throw notAssumable();
    }, { sleep });

    // Assess
    await expect(attempt).rejects.toThrow(/unable to assume the role/);
    expect(calls).toBe(ROLE_PROPAGATION_DELAYS_MS.length + 1);
    expect(slept).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('does not try again for any other refusal', async () => {
    const { sleep, slept } = recordingSleep();
    await expect(retryWhileRolePropagates(() => Promise.reject(new ClientException({ message: 'Too many containers.', $metadata: {} })), { sleep })).rejects.toThrow('Too many containers.');
    expect(slept).toEqual([]);
    expect(isRoleNotYetUsable(notAssumable(InvalidParameterException))).toBe(true);
    expect(isRoleNotYetUsable(new Error('ECS was unable to assume the role'))).toBe(false);
  });
});

describe('EcsTaskDefinitions with per-resource roles', () => {
  it('registers the resource\'s definition with its own roles, again once ECS can assume them', async () => {
    // Prepare
    const roles = fakeRoles();
    const { sleep, slept } = recordingSleep();
    ecs.on(RegisterTaskDefinitionCommand).rejectsOnce(notAssumable()).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: definitionArn(input.family) } }));

    // Act
    await definitions(roles, sleep).ensure({ resourceId: RESOURCE, image: 'python:3.12', size: sizeNamed('medium') as Size });

    // Assess
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
    expect(registered).toHaveLength(2);
    expect(registered[1]).toEqual(registered[0]);
    expect(registered[0]).toMatchObject({ executionRoleArn: OWN_EXECUTION, taskRoleArn: OWN_TASK });
    expect(slept).toEqual([1_000]);
    expect(roles.calls).toEqual([{ resourceId: RESOURCE, tokenFiles: true, definition: expect.objectContaining({ executionRoleArn: 'arn:aws:iam::123456789012:role/shared-execution' }) }]);
  });

  it('runs a resource that attaches a registered role as its own task role, whose default AWS profile assumes the registered one', async () => {
    // "Assume role credentials" (AWS SDKs and Tools Reference Guide): role_arn with
    // credential_source = EcsContainer assumes the role with the container's credentials.
    const roles = fakeRoles();
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: definitionArn(input.family) } }));
    const registeredRole = 'arn:aws:iam::123456789012:role/cassini-workloads/analytics';

    await definitions(roles).ensure({ resourceId: RESOURCE, image: 'python:3.12', size: sizeNamed('medium') as Size, taskRoleArn: registeredRole });

    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ executionRoleArn: OWN_EXECUTION, taskRoleArn: OWN_TASK });
    expect(JSON.stringify(input)).not.toContain(`"taskRoleArn":"${registeredRole}"`);
    const main = input.containerDefinitions!.find((c) => c.name === 'main')!;
    expect(main.environment).toEqual([{ name: 'AWS_CONFIG_FILE', value: '/tmp/cassini-aws/config' }, { name: 'AWS_SDK_LOAD_CONFIG', value: '1' }]);
    expect(main.entryPoint![2]).toContain(`role_arn = ${registeredRole}`);
    expect(main.entryPoint![2]).toContain('credential_source = EcsContainer');
    expect(roles.calls).toEqual([{ resourceId: RESOURCE, tokenFiles: true, registeredRoleArn: registeredRole, definition: expect.anything() }]);
  });
});

describe('EcsTaskLauncher', () => {
  it('launches again, with the same request and client token, when RunTask says the new role is not assumable yet', async () => {
    // Prepare
    let now = 0;
    const clock: QueueClock = { now: () => now, sleep: async (ms) => void (now += ms) };
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: definitionArn(input.family) } }));
    ecs
      .on(RunTaskCommand)
      .rejectsOnce(notAssumable())
      .resolvesOnce({ tasks: [], failures: [{ reason: `ECS was unable to assume the role '${OWN_TASK}' that was provided for this task.` }] })
      .resolves({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/abc', createdAt: new Date(0) }] });
    const launcher = new EcsTaskLauncher({ client, cluster: 'cassini', subnets: ['subnet-1'], securityGroups: ['sg-1'], definitions: definitions(), gpuCapacityProviders: {}, queue: new LaunchQueue({ clock, random: () => 0.5 }) });

    // Act
    const [outcome] = await launcher.launch([{ taskId: 'run-1-0', group: 'run-1', command: 'python train.py', environment: {}, labels: { resource: RESOURCE, run: 'run-1' } }], { image: 'python:3.12', instance_type: 'medium', spot: false });

    // Assess
    expect(outcome).toMatchObject({ status: 'started', taskId: 'run-1-0' });
    const inputs = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(3);
    expect(new Set(inputs.map((i) => JSON.stringify(i))).size).toBe(1);
    expect(inputs[0]!.clientToken).toBe('run-1-0');
  });
});

describe('EcsServiceRuntime', () => {
  it('creates the service again, the same request, when ECS cannot assume the revision\'s new roles yet', async () => {
    // Prepare
    const { sleep, slept } = recordingSleep();
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: definitionArn(input.family) } }));
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(CreateServiceCommand).rejectsOnce(notAssumable(InvalidParameterException)).resolves({ service: { status: 'ACTIVE' } });
    const runtime = bareServiceRuntime(client, { definitions: definitions(), rolePropagation: { sleep } });
    const plan: ServicePlan = {
      resourceId: RESOURCE, type: 'deployment', owner: 'ada', name: 'api', revision: 1, replicas: 1,
      task: { command: 'python -m http.server $PORT', environment: {}, labels: { owner: 'ada', resource: RESOURCE } },
      image: 'python:3.12', instanceType: 'medium', spot: false, healthCheckPath: '/', healthGraceSeconds: 60, routes: [], viewers: [], homeVolume: null, shellAccess: false, idleShutoffSeconds: null,
    };

    // Act
    await runtime.apply(plan);

    // Assess
    const creates = ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input);
    expect(creates).toHaveLength(2);
    expect(creates[1]).toEqual(creates[0]);
    expect(slept).toEqual([1_000]);
  });
});
