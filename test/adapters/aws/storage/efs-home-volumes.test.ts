import { AccessPointAlreadyExists, CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { accessPointTokenFor, EfsHomeVolumes, homePathFor } from '../../../../shared/adapters/aws/storage/efs-home-volumes.ts';
import { AccessPointNotReadyError } from '../../../../shared/adapters/aws/storage/efs-access-points.ts';

const client = new EFSClient({ region: 'eu-west-1' });
const efs = mockClient(client);
const FS = 'fs-0123456789abcdef0';
const RESOURCE = '0123456789abcdef0123456789000001';
const VOLUME = `home-${RESOURCE}`;
const slept: number[] = [];
const homes = new EfsHomeVolumes({ client, fileSystemId: FS, waiting: { sleep: async (ms) => void slept.push(ms), availableWithinMs: 3000 } });

beforeEach(() => {
  efs.reset();
  slept.length = 0;
});

describe('EfsHomeVolumes.ensure', () => {
  // A launch never lists the file system's access points (DescribeAccessPoints by file system
  // pages through all of them and throttles at scale): the client token finds an existing one.
  it('creates the access point rooted at the home, entering as jovyan, without listing the file system', async () => {
    // Prepare
    efs.on(CreateAccessPointCommand).resolves({ AccessPointId: 'fsap-0a1b2c3d4e5f60718', LifeCycleState: 'available' });

    // Act
    const id = await homes.ensure(VOLUME, { resourceId: RESOURCE });

    // Assess
    expect(id).toBe('fsap-0a1b2c3d4e5f60718');
    expect(efs.commandCalls(DescribeAccessPointsCommand)).toHaveLength(0);
    expect(efs.commandCalls(CreateAccessPointCommand)[0]!.args[0].input).toEqual({
      FileSystemId: FS,
      ClientToken: `cassini-home-${VOLUME}`,
      PosixUser: { Uid: 1000, Gid: 100 },
      RootDirectory: { Path: `/homes/${VOLUME}`, CreationInfo: { OwnerUid: 1000, OwnerGid: 100, Permissions: '0750' } },
      Tags: [
        { Key: 'Name', Value: `cassini home ${VOLUME}` },
        { Key: 'cassini:home', Value: VOLUME },
        { Key: 'cassini:resource', Value: RESOURCE },
      ],
    });
  });

  // An access point is `creating` first and can be mounted once `available` (CreateAccessPoint,
  // Amazon EFS API Reference): a task given it earlier fails to start.
  it('waits until a new access point is available, describing that one access point only', async () => {
    efs.on(CreateAccessPointCommand).resolves({ AccessPointId: 'fsap-new', LifeCycleState: 'creating' });
    efs.on(DescribeAccessPointsCommand).resolvesOnce({ AccessPoints: [{ AccessPointId: 'fsap-new', LifeCycleState: 'creating' }] }).resolves({ AccessPoints: [{ AccessPointId: 'fsap-new', LifeCycleState: 'available' }] });

    await expect(homes.ensure(VOLUME, { resourceId: RESOURCE })).resolves.toBe('fsap-new');

    expect(efs.commandCalls(DescribeAccessPointsCommand).map((c) => c.args[0].input)).toEqual([{ AccessPointId: 'fsap-new' }, { AccessPointId: 'fsap-new' }]);
    expect(slept).toEqual([1000, 1000]);
  });

  it('gives up waiting with an error that says the launch is tried again', async () => {
    efs.on(CreateAccessPointCommand).resolves({ AccessPointId: 'fsap-slow', LifeCycleState: 'creating' });
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [{ AccessPointId: 'fsap-slow', LifeCycleState: 'creating' }] });

    await expect(homes.ensure(VOLUME, { resourceId: RESOURCE })).rejects.toThrow(AccessPointNotReadyError);
    expect(slept).toEqual([1000, 1000, 1000]);
  });

  it('takes the access point an earlier create made with the same token, once it is available', async () => {
    efs.on(CreateAccessPointCommand).rejects(new AccessPointAlreadyExists({ message: 'exists', ErrorCode: 'AccessPointAlreadyExists', AccessPointId: 'fsap-earlier', $metadata: {} }));
    efs.on(DescribeAccessPointsCommand, { AccessPointId: 'fsap-earlier' }).resolves({ AccessPoints: [{ AccessPointId: 'fsap-earlier', LifeCycleState: 'available' }] });

    await expect(homes.ensure(VOLUME, { resourceId: RESOURCE })).resolves.toBe('fsap-earlier');
  });

  it('refuses an access point on its way out', async () => {
    efs.on(CreateAccessPointCommand).rejects(new AccessPointAlreadyExists({ message: 'exists', ErrorCode: 'AccessPointAlreadyExists', AccessPointId: 'fsap-old', $metadata: {} }));
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [{ AccessPointId: 'fsap-old', LifeCycleState: 'deleting' }] });

    await expect(homes.ensure(VOLUME, { resourceId: RESOURCE })).rejects.toThrow(/fsap-old\) is deleting; it cannot be mounted/);
  });

  it('refuses a volume name that is not a plain directory name', () => {
    expect(() => homePathFor('../etc')).toThrow(/not a safe directory name/);
    expect(() => homePathFor('a/b')).toThrow(/not a safe directory name/);
  });

  it('keeps client tokens within 64 characters', () => {
    expect(accessPointTokenFor('x'.repeat(100))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('EfsHomeVolumes.removeOf', () => {
  it('deletes the access points tagged with the resource, and nothing else', async () => {
    // Prepare
    const mine = { AccessPointId: 'fsap-mine', LifeCycleState: 'available' as const, Tags: [{ Key: 'cassini:resource', Value: RESOURCE }] };
    const theirs = { AccessPointId: 'fsap-theirs', LifeCycleState: 'available' as const, Tags: [{ Key: 'cassini:resource', Value: 'other' }] };
    efs.on(DescribeAccessPointsCommand).resolvesOnce({ AccessPoints: [theirs, mine] }).resolves({ AccessPoints: [theirs, { ...mine, LifeCycleState: 'deleting' }] });
    efs.on(DeleteAccessPointCommand).resolves({});

    // Act
    await homes.removeOf(RESOURCE);

    // Assess
    expect(efs.commandCalls(DeleteAccessPointCommand).map((c) => c.args[0].input)).toEqual([{ AccessPointId: 'fsap-mine' }]);
  });
});
