import { AccessPointAlreadyExists, CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand, EFSClient } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { accessPointTokenFor, EfsHomeVolumes, homePathFor } from '../../../shared/adapters/aws/efs-home-volumes.ts';

const client = new EFSClient({ region: 'eu-west-1' });
const efs = mockClient(client);
const FS = 'fs-0123456789abcdef0';
const RESOURCE = '0123456789abcdef0123456789000001';
const VOLUME = `home-${RESOURCE}`;
const homes = new EfsHomeVolumes({ client, fileSystemId: FS });

beforeEach(() => {
  efs.reset();
});

describe('EfsHomeVolumes.ensure', () => {
  it('creates an access point rooted at the home, entering as jovyan, when none exists', async () => {
    // Prepare
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [{ AccessPointId: 'fsap-other', RootDirectory: { Path: '/homes/home-other' }, LifeCycleState: 'available' }] });
    efs.on(CreateAccessPointCommand).resolves({ AccessPointId: 'fsap-0a1b2c3d4e5f60718' });

    // Act
    const id = await homes.ensure(VOLUME, { resourceId: RESOURCE });

    // Assess
    expect(id).toBe('fsap-0a1b2c3d4e5f60718');
    expect(efs.commandCalls(DescribeAccessPointsCommand)[0]!.args[0].input).toEqual({ FileSystemId: FS });
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

  it('reuses the access point of the home, looking through every page', async () => {
    // Prepare
    efs
      .on(DescribeAccessPointsCommand)
      .resolvesOnce({ AccessPoints: [], NextToken: 'page-2' })
      .resolves({ AccessPoints: [{ AccessPointId: 'fsap-home', RootDirectory: { Path: `/homes/${VOLUME}` }, LifeCycleState: 'available' }] });

    // Act
    const id = await homes.ensure(VOLUME, { resourceId: RESOURCE });

    // Assess
    expect(id).toBe('fsap-home');
    expect(efs.commandCalls(DescribeAccessPointsCommand)[1]!.args[0].input).toEqual({ FileSystemId: FS, NextToken: 'page-2' });
    expect(efs.commandCalls(CreateAccessPointCommand)).toHaveLength(0);
  });

  it('takes the access point a lost earlier create made with the same token', async () => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
    efs.on(CreateAccessPointCommand).rejects(new AccessPointAlreadyExists({ message: 'exists', ErrorCode: 'AccessPointAlreadyExists', AccessPointId: 'fsap-earlier', $metadata: {} }));

    await expect(homes.ensure(VOLUME, { resourceId: RESOURCE })).resolves.toBe('fsap-earlier');
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
