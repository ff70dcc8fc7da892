import { ClientException, CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsServiceRuntime } from '../../../../shared/adapters/aws/services/ecs-service-runtime.ts';
import { EcsTaskDefinitions } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { SecretArns } from '../../../../shared/adapters/aws/secrets/secret-arns.ts';
import { TaskTokenSecrets } from '../../../../shared/adapters/aws/tasks/task-token-secrets.ts';
import { NotFoundError } from '../../../../shared/domain/errors.ts';
import type { ServicePlan } from '../../../../shared/ports/service-runtime.ts';
import type { TaskTokens } from '../../../../shared/ports/task-tokens.ts';

const ecsClient = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(ecsClient);
const smClient = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(smClient);

const RESOURCE = '0123456789abcdef0123456789000002';
const SERVICE = `cassini-${RESOURCE}`;
const SECRETS = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/';
const familyArn = (revision: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-${RESOURCE}-r${revision}:1`;

const plan: ServicePlan = {
  resourceId: RESOURCE,
  type: 'deployment',
  owner: 'ada',
  name: 'api',
  revision: 4,
  replicas: 1,
  // `db-pass12` ends like a random suffix: only its full ARN names it unambiguously.
  task: { command: 'serve', environment: {}, labels: {}, attachments: { secrets: [{ owner: 'ada', name: 'db-pass12', as: 'environment_variable', variable: 'DB_PASSWORD' }], platformTokenFor: 'ada' } },
  image: 'python:3.12',
  instanceType: 'medium',
  spot: false,
  healthCheckPath: '/health',
  healthGraceSeconds: 60,
  routes: [],
  viewers: [],
  homeVolume: null,
  shellAccess: false,
  idleShutoffSeconds: null,
};

function fakeTokens(users = ['ada']): TaskTokens & { issued: string[]; revoked: string[] } {
  const issued: string[] = [];
  const revoked: string[] = [];
  return {
    issued,
    revoked,
    async issue(owner, key) {
      if (!users.includes(owner)) throw new NotFoundError(`No user named ${owner}: a task token acts as a user.`);
      issued.push(`${owner}:${key}`);
      return { token: `csn_secret-${issued.length}`, id: `tok${issued.length}` };
    },
    async revoke(id) {
      revoked.push(id);
    },
  };
}

function runtimeWith(tokens: TaskTokens, logged: string[] = [], failed: unknown[] = []) {
  const none = async () => {};
  return new EcsServiceRuntime({
    client: ecsClient,
    cluster: 'cassini',
    subnets: ['subnet-1'],
    securityGroups: ['sg-1'],
    gpuCapacityProviders: { 'g5.xlarge': 'gpu' },
    definitions: new EcsTaskDefinitions({
      client: ecsClient,
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      taskRoleArn: 'arn:aws:iam::123456789012:role/cassini-workloads/default',
      logGroup: '/cassini/tasks',
      region: 'eu-west-1',
      attachmentSettings: { secretArnPrefix: SECRETS, gitImage: 'alpine/git:latest' },
    }),
    routes: { ensure: async () => [], detach: none, remove: none, signInHosts: () => [], signedInHostsOf: async () => [] },
    callbacks: { add: none, remove: none },
    homes: { ensure: async () => 'fsap-1', removeOf: none },
    fileSystemId: 'fs-1',
    reports: { failed: async (report) => void failed.push(report), stopped: none },
    clock: { now: () => new Date('2025-03-01T12:00:00.000Z') },
    secretArns: () => new SecretArns({ client: smClient }),
    tokenSecrets: new TaskTokenSecrets({ client: smClient, tokens }),
    log: { info: (message) => void logged.push(message) },
  });
}

/** Token secrets exist for these revisions; describing any other finds nothing. */
function tokenSecretsOf(revisions: number[]) {
  const live = new Set(revisions.map((r) => `cassini/_tasks/${SERVICE}-r${r}`));
  sm.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => {
    if (input.SecretId === 'cassini/ada/db-pass12') return { ARN: `${SECRETS}ada/db-pass12-Xy12Ab` };
    if (!live.has(input.SecretId)) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
    return { ARN: `${SECRETS}${input.SecretId.slice('cassini/'.length)}-AbCdEf`, Tags: [{ Key: 'cassini:token-id', Value: `id-${input.SecretId.slice(-2)}` }] };
  });
  sm.on(DeleteSecretCommand).callsFake((input: { SecretId: string }) => void live.delete(input.SecretId));
}

beforeEach(() => {
  ecs.reset();
  sm.reset();
  ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
  ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({ taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1` } }));
  ecs.on(CreateServiceCommand).resolves({});
  ecs.on(UpdateServiceCommand).resolves({});
  ecs.on(DeleteServiceCommand).resolves({});
});

describe('EcsServiceRuntime and SATURN_TOKEN', () => {
  it('issues a token for the revision, keeps it in its secret, and names that and every secret by full ARN in the definition', async () => {
    // Prepare
    const tokens = fakeTokens();
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    sm.on(CreateSecretCommand).resolves({ ARN: `${SECRETS}_tasks/${SERVICE}-r4-QwErTy` });
    tokenSecretsOf([]);

    // Act
    await runtimeWith(tokens).apply(plan);

    // Assess
    expect(tokens.issued).toEqual([`ada:${SERVICE}-r4`]);
    expect(sm.commandCalls(CreateSecretCommand)[0]!.args[0].input).toMatchObject({ Name: `cassini/_tasks/${SERVICE}-r4`, SecretString: 'csn_secret-1' });
    expect(sm.commandCalls(DescribeSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: 'cassini/ada/db-pass12' }]);
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(registered.containerDefinitions!.find((c) => c.name === 'main')!.secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: `${SECRETS}ada/db-pass12-Xy12Ab` },
      { name: 'SATURN_TOKEN', valueFrom: `${SECRETS}_tasks/${SERVICE}-r4-QwErTy` },
    ]);
    expect(JSON.stringify(registered)).not.toContain('csn_secret');
  });

  it('gives a group-owned service no token, and says so', async () => {
    const logged: string[] = [];
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    tokenSecretsOf([]);
    const owned = { ...plan, owner: 'data-team', task: { ...plan.task, attachments: { platformTokenFor: 'data-team' } } };

    await runtimeWith(fakeTokens(), logged).apply(owned);

    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.containerDefinitions![0]!.secrets).toBeUndefined();
    expect(logged).toEqual(['no SATURN_TOKEN: the owner is not a user, and a token acts as a user']);
  });

  it('reports a plan naming a secret that no longer exists as failed', async () => {
    const failed: unknown[] = [];
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));

    await runtimeWith(fakeTokens(), [], failed).apply(plan);

    expect(failed).toEqual([expect.objectContaining({ resourceId: RESOURCE, revision: 4, reason: expect.stringMatching(/secret ada\/db-pass12 does not exist/) })]);
  });

  it('retires the token secrets of the revisions below one that rolled out, down to the first without one', async () => {
    const tokens = fakeTokens();
    tokenSecretsOf([2, 3, 4]);

    await runtimeWith(tokens).retireBefore(RESOURCE, 4);

    expect(tokens.revoked).toEqual(['id-r3', 'id-r2']);
    expect(sm.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: `cassini/_tasks/${SERVICE}-r3`, ForceDeleteWithoutRecovery: true },
      { SecretId: `cassini/_tasks/${SERVICE}-r2`, ForceDeleteWithoutRecovery: true },
    ]);
    expect(sm.commandCalls(DescribeSecretCommand).at(-1)!.args[0].input).toEqual({ SecretId: `cassini/_tasks/${SERVICE}-r1` });
  });

  it('retires every revision\'s token when the service stops, from the newest it runs or rolls out', async () => {
    const tokens = fakeTokens();
    tokenSecretsOf([4, 5]);
    ecs.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: SERVICE, status: 'ACTIVE', desiredCount: 1, runningCount: 1, taskDefinition: familyArn(5), deployments: [{ taskDefinition: familyArn(5) }, { taskDefinition: familyArn(4) }] }],
    });

    await runtimeWith(tokens).stop(RESOURCE, 'stopped by ada');

    expect(tokens.revoked).toEqual(['id-r5', 'id-r4']);
  });

  it('retires them when the service is removed', async () => {
    const tokens = fakeTokens();
    tokenSecretsOf([7]);
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'ACTIVE', desiredCount: 1, taskDefinition: familyArn(7) }] });

    await runtimeWith(tokens).remove(RESOURCE);

    expect(tokens.revoked).toEqual(['id-r7']);
    expect(sm.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input.SecretId)).toEqual([`cassini/_tasks/${SERVICE}-r7`]);
  });
});

describe('SecretArns', () => {
  it('describes each secret once per resolver and refuses one scheduled for deletion', async () => {
    sm.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) =>
      input.SecretId === 'cassini/ada/old' ? { ARN: `${SECRETS}ada/old-AAAAAA`, DeletedDate: new Date() } : { ARN: `${SECRETS}${input.SecretId.slice(8)}-ZzZzZz` },
    );
    const arns = new SecretArns({ client: smClient });

    const [a, b] = await Promise.all([arns.arnOf({ owner: 'ada', name: 'token-abcdef' }), arns.arnOf({ owner: 'ada', name: 'token-abcdef' })]);

    expect(a).toBe(`${SECRETS}ada/token-abcdef-ZzZzZz`);
    expect(b).toBe(a);
    expect(sm.commandCalls(DescribeSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: 'cassini/ada/token-abcdef' }]);
    await expect(arns.arnOf({ owner: 'ada', name: 'old' })).rejects.toThrow(/ada\/old has been deleted/);
  });
});
