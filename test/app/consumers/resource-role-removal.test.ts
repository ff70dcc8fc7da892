/**
 * A deleted resource's own roles go with it: a job's through the job reactor, a deployment's or
 * workspace's through the service runtime's removal. Through the real ResourceRoles adapter,
 * against a fake IAM server.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ECSClient, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsQueryClient } from '../../../shared/adapters/aws/aws-query-client.ts';
import { IAM_API_VERSION, ResourceRoles, executionRoleName, taskRoleName } from '../../../shared/adapters/aws/iam/resource-roles.ts';
import { bareServiceRuntime } from '../../adapters/aws/support/bare-service-runtime.ts';
import { EcsTaskDefinitions } from '../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { JobRunReactor } from '../../../shared/app/consumers/job-run-reactor.ts';
import { resourceId } from '../../../shared/domain/resource/resource-identity.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import { fakeIamServer } from '../../adapters/aws/support/fake-iam-server.ts';
import { aliceWorkspace, bobJob, settings } from '../../adapters/aws/iam/resource-role-fixtures.ts';

const iamServer = await fakeIamServer();
afterAll(() => iamServer.close());
const AT = '2026-01-01T00:00:00.000Z';
const STREAM = 'resource-0123456789abcdef01234567';
const JOB = resourceId(STREAM, 1);
const OTHER = resourceId('resource-76543210fedcba9876543210', 1);

function roles(): ResourceRoles {
  const iam = new AwsQueryClient({ service: 'iam', version: IAM_API_VERSION, region: 'us-east-1', endpoint: iamServer.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  return new ResourceRoles({ iam, settings, taskRoleBoundaryArn: 'arn:aws:iam::123456789012:policy/task-boundary', executionRoleBoundaryArn: 'arn:aws:iam::123456789012:policy/execution-boundary' });
}

function jobBatch(type: string): CommittedBatch {
  const state = { streamId: STREAM, incarnation: 1, address: { type: 'job', owner: 'bob', name: 'train' }, live: null };
  return { streamId: STREAM, firstVersion: 5, lastVersion: 5, committedAt: AT, events: [{ type, data: {}, at: AT, actor: 'bob', stream: STREAM, version: 5 }], snapshot: { schema: 1, state } } as unknown as CommittedBatch;
}

const unused = () => Promise.reject(new Error('not expected in this test'));

beforeEach(async () => {
  iamServer.roles.clear();
  const made = roles();
  await made.ensure(JOB, bobJob, { tokenFiles: true });
  await made.ensure(OTHER, aliceWorkspace, { tokenFiles: false });
});

describe('removing a resource\'s own roles', () => {
  it('deletes a deleted job\'s roles, and no other resource\'s', async () => {
    // Prepare
    const reactor = new JobRunReactor({
      jobs: {} as never,
      launcher: {} as never,
      scheduler: { put: unused, remove: async () => {} } as never,
      timers: {} as never,
      clock: { now: () => new Date(AT) },
      roles: roles(),
    });

    // Act
    await reactor.handle(jobBatch('ResourceDeleted'));

    // Assess
    expect([...iamServer.roles.keys()].sort()).toEqual([executionRoleName(OTHER), taskRoleName(OTHER)].sort());
  });

  it('keeps a stopped job\'s roles: it may run again', async () => {
    const reactor = new JobRunReactor({ jobs: {} as never, launcher: {} as never, scheduler: { put: unused, remove: async () => {} } as never, timers: {} as never, clock: { now: () => new Date(AT) }, roles: roles() });
    await reactor.handle(jobBatch('ResourceStopRequested'));
    expect(iamServer.roles.size).toBe(4);
  });

  it('deletes a removed deployment\'s or workspace\'s roles with its service', async () => {
    // Prepare
    const client = new ECSClient({ region: 'eu-west-1' });
    const ecs = mockClient(client);
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    const definitions = new EcsTaskDefinitions({ client, executionRoleArn: 'arn:aws:iam::123456789012:role/exec', taskRoleArn: 'arn:aws:iam::123456789012:role/task', logGroup: '/cassini/tasks', region: 'eu-west-1' });
    const runtime = bareServiceRuntime(client, { definitions, roles: roles() });

    // Act
    await runtime.remove(OTHER);

    // Assess
    expect([...iamServer.roles.keys()].sort()).toEqual([executionRoleName(JOB), taskRoleName(JOB)].sort());
    ecs.restore();
  });
});
