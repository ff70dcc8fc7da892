/**
 * The adapters Lambda functions build from their environment on first use, loaded the way the
 * handlers load them (a dynamic import behind lazyAdapter): each sends its first request to
 * the resource the stack named in the environment, and refuses to start without it.
 */
import { DescribeServicesCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lazyAdapter } from '../../../shared/adapters/lazy-adapter.ts';
import type { JobScheduler } from '../../../shared/ports/job-scheduler.ts';
import type { SecretWriter } from '../../../shared/ports/secret-store.ts';
import type { SharedFolderStorage } from '../../../shared/app/consumers/shared-folder-reactor.ts';
import type { DaskRuntime } from '../../../shared/ports/dask-runtime.ts';

const ecs = mockClient(ECSClient);
const efs = mockClient(EFSClient);
const scheduler = mockClient(SchedulerClient);
const secrets = mockClient(SecretsManagerClient);
const RESOURCE = 'a'.repeat(32);

afterEach(() => {
  for (const mock of [ecs, efs, scheduler, secrets]) mock.reset();
});

describe('adapters built from the environment on first use', () => {
  it("the reactor's job scheduler deletes schedules in the stack's schedule group", async () => {
    scheduler.on(DeleteScheduleCommand).resolves({});
    const env = { SCHEDULE_GROUP: 'cassini-jobs', SCHEDULE_TARGET_ARN: 'arn:target', SCHEDULER_ROLE_ARN: 'arn:role', SCHEDULE_DLQ_ARN: 'arn:dlq' };
    const jobs = lazyAdapter<JobScheduler>(async () => (await import('../../../shared/adapters/aws/schedules/eventbridge-job-scheduler.ts')).eventBridgeJobSchedulerFromEnv(env));
    await jobs.remove(RESOURCE);
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input.GroupName)).toEqual(['cassini-jobs', 'cassini-jobs']);
  });

  it("the reactor's shared-folder storage looks for access points on the stack's file system", async () => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
    const folders = lazyAdapter<SharedFolderStorage>(async () => (await import('../../../shared/adapters/aws/storage/efs-shared-folders.ts')).efsSharedFoldersFromEnv({ FILE_SYSTEM_ID: 'fs-0123' }));
    await folders.remove({ owner: 'ann', name: 'data' });
    expect(efs.commandCalls(DescribeAccessPointsCommand)[0]!.args[0].input).toMatchObject({ FileSystemId: 'fs-0123' });
  });

  it("task-state's service inspector describes services in the stack's cluster", async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    const { ecsServiceInspectorFromEnv } = await import('../../../shared/adapters/aws/services/ecs-service-inspector.ts');
    await expect(ecsServiceInspectorFromEnv({ ECS_CLUSTER: 'cassini' }).describe(RESOURCE)).resolves.toBeUndefined();
    expect(ecs.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toMatchObject({ cluster: 'cassini' });
  });

  it("the API's secret writer names secrets under the stack's prefix", async () => {
    secrets.on(DeleteSecretCommand).resolves({});
    const store = lazyAdapter<SecretWriter>(async () => (await import('../../../shared/adapters/aws/secrets/secrets-manager-store.ts')).secretsManagerStoreFromEnv({ SECRET_PREFIX: 'team-a/' }));
    await store.delete({ owner: 'ann', name: 'token' });
    expect(secrets.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toMatchObject({ SecretId: 'team-a/ann/token' });
  });

  it("the API's Dask inspector lists the resource's cluster tasks in the given cluster", async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const dask = lazyAdapter<Pick<DaskRuntime, 'describe'>>(async () =>
      (await import('../../../shared/adapters/aws/dask/ecs-dask-inspector.ts')).ecsDaskInspectorWith({ cluster: 'cassini', namespaceName: 'dask.cassini.internal' }),
    );
    await expect(dask.describe(RESOURCE)).resolves.toMatchObject({ status: 'stopped' });
    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toMatchObject({ cluster: 'cassini' });
  });

  it('an adapter whose setting is missing fails at its first use, naming the setting', async () => {
    const folders = lazyAdapter<SharedFolderStorage>(async () => (await import('../../../shared/adapters/aws/storage/efs-shared-folders.ts')).efsSharedFoldersFromEnv({}));
    await expect(folders.remove({ owner: 'ann', name: 'data' })).rejects.toThrow('FILE_SYSTEM_ID must be set');
    expect(efs.calls()).toHaveLength(0);
  });
});
