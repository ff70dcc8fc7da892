/** A deleted shared folder's access point is removed, through the real EFS adapter against a mocked EFS. */
import { DeleteAccessPointCommand, DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EfsSharedFolders } from '../../../shared/adapters/aws/storage/efs-shared-folders.ts';
import { SharedFolderReactor } from '../../../shared/app/consumers/shared-folder-reactor.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';

const client = new EFSClient({ region: 'eu-west-1' });
const efs = mockClient(client);
const reactor = new SharedFolderReactor(new EfsSharedFolders({ client, fileSystemId: 'fs-1' }));
const AT = '2026-01-01T00:00:00.000Z';

function batch(streamId: string, type: string): CommittedBatch {
  return { streamId, firstVersion: 2, lastVersion: 2, committedAt: AT, events: [{ type, data: {}, at: AT, actor: 'ann', version: 2 }], snapshot: { schema: 1, state: null } } as unknown as CommittedBatch;
}

beforeEach(() => {
  efs.reset();
  efs.on(DescribeAccessPointsCommand).resolves({
    AccessPoints: [
      { AccessPointId: 'fsap-other', RootDirectory: { Path: '/shared/ml/models' }, LifeCycleState: 'available' },
      { AccessPointId: 'fsap-datasets', RootDirectory: { Path: '/shared/ml/datasets' }, LifeCycleState: 'available' },
    ],
  });
  efs.on(DeleteAccessPointCommand).resolves({});
});

describe('SharedFolderReactor', () => {
  it('deletes the access point of a deleted folder, and only that one', async () => {
    await reactor.handle(batch('catalog-shared_folder-ml/datasets', 'SharedFolderDeleted'));
    expect(efs.commandCalls(DeleteAccessPointCommand).map((c) => c.args[0].input)).toEqual([{ AccessPointId: 'fsap-datasets' }]);
  });

  it('does nothing for other catalog events, other kinds or other streams', async () => {
    await reactor.handle(batch('catalog-shared_folder-ml/datasets', 'SharedFolderChanged'));
    await reactor.handle(batch('catalog-secret-ml/datasets', 'SecretDeleted'));
    await reactor.handle(batch('resource-0123456789abcdef01234567', 'ResourceDeleted'));
    expect(efs.commandCalls(DescribeAccessPointsCommand)).toHaveLength(0);
    expect(efs.commandCalls(DeleteAccessPointCommand)).toHaveLength(0);
  });

  it('is a no-op when the access point is already gone (a redelivered batch)', async () => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
    await reactor.handle(batch('catalog-shared_folder-ml/datasets', 'SharedFolderDeleted'));
    expect(efs.commandCalls(DeleteAccessPointCommand)).toHaveLength(0);
  });
});
