import { AccessPointAlreadyExists, CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EfsSharedFolders, folderPathFor } from '../../../../shared/adapters/aws/storage/efs-shared-folders.ts';

const client = new EFSClient({ region: 'eu-west-1' });
const efs = mockClient(client);
const FS = 'fs-0123456789abcdef0';
const folders = new EfsSharedFolders({ client, fileSystemId: FS });
const DATASETS = { owner: 'ml', name: 'datasets' };

beforeEach(() => {
  efs.reset();
});

describe('EfsSharedFolders.ensure', () => {
  it('creates a tagged access point rooted at /shared/<owner>/<name>, entering as jovyan, with a client token of the folder', async () => {
    // Prepare
    efs.on(CreateAccessPointCommand).resolves({ AccessPointId: 'fsap-0a1b2c3d4e5f60718', LifeCycleState: 'available' });

    // Act
    const id = await folders.ensure(DATASETS);

    // Assess
    expect(id).toBe('fsap-0a1b2c3d4e5f60718');
    expect(efs.commandCalls(CreateAccessPointCommand)[0]!.args[0].input).toEqual({
      FileSystemId: FS,
      ClientToken: 'cassini-folder-ml/datasets',
      PosixUser: { Uid: 1000, Gid: 100 },
      RootDirectory: { Path: '/shared/ml/datasets', CreationInfo: { OwnerUid: 1000, OwnerGid: 100, Permissions: '0775' } },
      Tags: [
        { Key: 'Name', Value: 'cassini shared folder ml/datasets' },
        { Key: 'cassini:shared-folder', Value: 'ml/datasets' },
        { Key: 'cassini:owner', Value: 'ml' },
      ],
    });
  });

  it('takes the access point an earlier create made with the folder\'s token, describing that one only', async () => {
    efs.on(CreateAccessPointCommand).rejects(new AccessPointAlreadyExists({ message: 'exists', ErrorCode: 'AccessPointAlreadyExists', AccessPointId: 'fsap-made', $metadata: {} }));
    efs.on(DescribeAccessPointsCommand, { AccessPointId: 'fsap-made' }).resolves({ AccessPoints: [{ AccessPointId: 'fsap-made', LifeCycleState: 'available' }] });

    await expect(folders.ensure(DATASETS)).resolves.toBe('fsap-made');
    expect(efs.commandCalls(DescribeAccessPointsCommand).map((c) => c.args[0].input)).toEqual([{ AccessPointId: 'fsap-made' }]);
  });

  it('refuses names that would leave /shared', () => {
    expect(() => folderPathFor({ owner: '..', name: 'x' })).toThrow(/not a safe directory name/);
    expect(() => folderPathFor({ owner: 'ml', name: 'a/b' })).toThrow(/not a safe directory name/);
  });
});

describe('EfsSharedFolders.remove', () => {
  it('deletes the folder\'s access point, and nothing when there is none', async () => {
    efs.on(DescribeAccessPointsCommand).resolvesOnce({ AccessPoints: [{ AccessPointId: 'fsap-d', RootDirectory: { Path: '/shared/ml/datasets' }, LifeCycleState: 'available' }] }).resolves({ AccessPoints: [] });
    efs.on(DeleteAccessPointCommand).resolves({});

    await folders.remove(DATASETS);
    await folders.remove(DATASETS);

    expect(efs.commandCalls(DeleteAccessPointCommand).map((c) => c.args[0].input)).toEqual([{ AccessPointId: 'fsap-d' }]);
  });
});
