/**
 * Each resource's own roles against a real HTTP server that answers like IAM: the exact Query
 * requests (signed for IAM), a boundary on every role made, the policy rewritten when the
 * definition changes and not when it does not, and deletion with the resource.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsQueryClient } from '../../../../shared/adapters/aws/aws-query-client.ts';
import { IAM_API_VERSION, RESOURCE_ROLE_PATH, RESOURCE_ROLE_POLICY, ResourceRoles, daskRoleScope, executionRoleName, resourceRoleRemovalFromEnv, resourceRolesFromEnv, taskRoleName } from '../../../../shared/adapters/aws/iam/resource-roles.ts';
import { fakeIamServer } from '../support/fake-iam-server.ts';
import { ACCOUNT, ALICE_RESOURCE, ALICE_SECRET, aliceWorkspace, BOB_RESOURCE, bobJob, settings } from './resource-role-fixtures.ts';

const TASK_BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/cassini-task-role-boundary`;
const EXECUTION_BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/cassini-execution-role-boundary`;
const iamServer = await fakeIamServer();
afterAll(() => iamServer.close());

function roles(): ResourceRoles {
  const iam = new AwsQueryClient({ service: 'iam', version: IAM_API_VERSION, region: 'us-east-1', endpoint: iamServer.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  return new ResourceRoles({ iam, settings, taskRoleBoundaryArn: TASK_BOUNDARY, executionRoleBoundaryArn: EXECUTION_BOUNDARY });
}

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }],
});

beforeEach(() => {
  iamServer.requests.length = 0;
  iamServer.roles.clear();
});

describe('ResourceRoles', () => {
  it('makes the resource\'s execution and task roles under the platform path, each with its boundary, and writes their policies', async () => {
    // Act
    const arns = await roles().ensure(ALICE_RESOURCE, aliceWorkspace, { tokenFiles: false });

    // Assess
    expect(arns).toEqual({
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/cassini-workloads/platform/cassini-exec-${ALICE_RESOURCE}`,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/cassini-workloads/platform/cassini-task-${ALICE_RESOURCE}`,
    });
    const creates = iamServer.requests.filter((r) => r.action === 'CreateRole').map((r) => r.params);
    expect(creates).toEqual(
      expect.arrayContaining([
        { Version: IAM_API_VERSION, RoleName: executionRoleName(ALICE_RESOURCE), Path: RESOURCE_ROLE_PATH, AssumeRolePolicyDocument: trust, PermissionsBoundary: EXECUTION_BOUNDARY, Description: `Cassini: ECS starts the tasks of ${ALICE_RESOURCE} with it` },
        { Version: IAM_API_VERSION, RoleName: taskRoleName(ALICE_RESOURCE), Path: RESOURCE_ROLE_PATH, AssumeRolePolicyDocument: trust, PermissionsBoundary: TASK_BOUNDARY, Description: `Cassini: the tasks of ${ALICE_RESOURCE} run as it` },
      ]),
    );
    expect(creates).toHaveLength(2);
    const execution = iamServer.roles.get(executionRoleName(ALICE_RESOURCE))!;
    expect(JSON.parse(execution.policies.get(RESOURCE_ROLE_POLICY)!).Statement[0]).toMatchObject({ Action: ['secretsmanager:GetSecretValue'], Resource: expect.arrayContaining([ALICE_SECRET]) });
    expect(iamServer.roles.get(taskRoleName(ALICE_RESOURCE))!.policies.get(RESOURCE_ROLE_POLICY)).toContain('elasticfilesystem:AccessPointArn');
  });

  it('signs every call with Signature Version 4 for IAM in us-east-1, over a form body', async () => {
    await roles().ensure(BOB_RESOURCE, bobJob, { tokenFiles: true });
    expect(iamServer.requests.length).toBeGreaterThan(0);
    for (const { headers } of iamServer.requests) {
      expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/iam\/aws4_request, SignedHeaders=[\w;-]*host[\w;-]*, Signature=[0-9a-f]{64}$/);
      expect(headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    }
  });

  it('gives a resource that attaches a registered role a task role that may assume it and no other role', async () => {
    // Act
    const registered = `arn:aws:iam::${ACCOUNT}:role/cassini-workloads/analytics`;
    const arns = await roles().ensure(ALICE_RESOURCE, aliceWorkspace, { tokenFiles: false, registeredRoleArn: registered });

    // Assess
    expect(arns.taskRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/cassini-workloads/platform/cassini-task-${ALICE_RESOURCE}`);
    const policy = JSON.parse(iamServer.roles.get(taskRoleName(ALICE_RESOURCE))!.policies.get(RESOURCE_ROLE_POLICY)!) as { Statement: Array<{ Action: string[]; Resource: unknown }> };
    expect(policy.Statement.filter((s) => s.Action.some((a) => a.startsWith('sts:')))).toEqual([{ Sid: 'AssumeRegisteredRole', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: registered }]);
  });

  it('gives a resource that mounts nothing and attaches no role no task role of its own: the shared default one can do nothing of consequence', async () => {
    const { volumes: _volumes, containerDefinitions, ...rest } = bobJob;
    const mountsNothing = { ...rest, containerDefinitions: containerDefinitions!.map(({ mountPoints: _m, ...c }) => c) };
    const arns = await roles().ensure(BOB_RESOURCE, mountsNothing, { tokenFiles: true });
    expect(arns.taskRoleArn).toBeUndefined();
    expect([...iamServer.roles.keys()]).toEqual([executionRoleName(BOB_RESOURCE)]);
  });

  it('keeps a role that exists and writes its policy again, so a changed definition changes the grant', async () => {
    // Prepare: another process made Alice's roles for the same definition.
    await roles().ensure(BOB_RESOURCE, bobJob, { tokenFiles: true });
    iamServer.requests.length = 0;

    // Act: a cold process, a definition that no longer names the secret.
    const { containerDefinitions, ...rest } = bobJob;
    const withoutSecrets = { ...rest, containerDefinitions: containerDefinitions!.map(({ secrets: _secrets, ...c }) => c) };
    await roles().ensure(BOB_RESOURCE, withoutSecrets, { tokenFiles: true });

    // Assess
    expect(iamServer.requests.map((r) => r.action).sort()).toEqual(['CreateRole', 'CreateRole', 'PutRolePolicy', 'PutRolePolicy']);
    expect(iamServer.roles.get(executionRoleName(BOB_RESOURCE))!.policies.get(RESOURCE_ROLE_POLICY)).not.toContain('secretsmanager');
  });

  it('writes nothing again for the same definition in a warm process', async () => {
    const warm = roles();
    await warm.ensure(BOB_RESOURCE, bobJob, { tokenFiles: true });
    iamServer.requests.length = 0;

    await warm.ensure(BOB_RESOURCE, bobJob, { tokenFiles: true });

    expect(iamServer.requests).toEqual([]);
  });

  it('deletes both roles with the resource, their policy first, and is fine with roles already gone', async () => {
    // Prepare
    const shared = roles();
    await shared.ensure(ALICE_RESOURCE, aliceWorkspace, { tokenFiles: false });
    await shared.ensure(BOB_RESOURCE, bobJob, { tokenFiles: true });
    iamServer.requests.length = 0;

    // Act
    await shared.removeOf(ALICE_RESOURCE);
    await shared.removeOf(ALICE_RESOURCE);

    // Assess
    expect(iamServer.requests.slice(0, 4).map((r) => [r.action, r.params.RoleName])).toEqual([
      ['DeleteRolePolicy', taskRoleName(ALICE_RESOURCE)],
      ['DeleteRole', taskRoleName(ALICE_RESOURCE)],
      ['DeleteRolePolicy', executionRoleName(ALICE_RESOURCE)],
      ['DeleteRole', executionRoleName(ALICE_RESOURCE)],
    ]);
    expect([...iamServer.roles.keys()].sort()).toEqual([executionRoleName(BOB_RESOURCE), taskRoleName(BOB_RESOURCE)].sort());
    // The same process makes them again if the resource's tasks are planned again.
    await shared.ensure(ALICE_RESOURCE, aliceWorkspace, { tokenFiles: false });
    expect(iamServer.roles.has(taskRoleName(ALICE_RESOURCE))).toBe(true);
  });

  it('keeps a resource\'s Dask cluster roles apart, so neither definition rewrites the other\'s grant, and deletes them with the resource', async () => {
    // Prepare: the workspace's own roles, and its Dask cluster's for another definition.
    const shared = roles();
    await shared.ensure(ALICE_RESOURCE, aliceWorkspace, { tokenFiles: false });
    await shared.ensure(daskRoleScope(ALICE_RESOURCE), bobJob, { tokenFiles: true });

    // Assess
    expect([...iamServer.roles.keys()].sort()).toEqual([executionRoleName(ALICE_RESOURCE), taskRoleName(ALICE_RESOURCE), `cassini-exec-${ALICE_RESOURCE}-dask`, `cassini-task-${ALICE_RESOURCE}-dask`].sort());
    expect(iamServer.roles.get(executionRoleName(ALICE_RESOURCE))!.policies.get(RESOURCE_ROLE_POLICY)).toContain(ALICE_SECRET);

    // Act
    await shared.removeOf(ALICE_RESOURCE);

    // Assess
    expect(iamServer.roles.size).toBe(0);
  });

  it('passes on what IAM refuses for another reason', async () => {
    const iam = new AwsQueryClient({ service: 'iam', version: IAM_API_VERSION, region: 'us-east-1', endpoint: iamServer.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const refusing = new ResourceRoles({ iam: { call: (action, params) => (action === 'CreateRole' ? Promise.reject(Object.assign(new Error('User is not authorized to perform: iam:CreateRole'), { name: 'AccessDenied' })) : iam.call(action, params)) }, settings, taskRoleBoundaryArn: TASK_BOUNDARY, executionRoleBoundaryArn: EXECUTION_BOUNDARY });
    await expect(refusing.ensure(BOB_RESOURCE, bobJob, { tokenFiles: true })).rejects.toThrow(/not authorized to perform: iam:CreateRole/);
  });
});

describe('resourceRolesFromEnv', () => {
  it('makes roles in the boundaries\' partition and account, and none without the boundaries', async () => {
    const env = { AWS_REGION: 'cn-north-1', TASK_ROLE_BOUNDARY_ARN: 'arn:aws-cn:iam::210987654321:policy/task', EXECUTION_ROLE_BOUNDARY_ARN: 'arn:aws-cn:iam::210987654321:policy/execution' };
    expect(resourceRolesFromEnv(env)!.arnOf('cassini-task-x')).toBe('arn:aws-cn:iam::210987654321:role/cassini-workloads/platform/cassini-task-x');
    expect(resourceRolesFromEnv({ AWS_REGION: 'eu-west-1' })).toBeUndefined();
    // A stack without them: deleting a resource deletes no role, and calls nothing.
    await expect(resourceRoleRemovalFromEnv({ AWS_REGION: 'eu-west-1' }).removeOf(ALICE_RESOURCE)).resolves.toBeUndefined();
  });
});
