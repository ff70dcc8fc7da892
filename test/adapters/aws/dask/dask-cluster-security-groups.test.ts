/**
 * A Dask cluster's security group against a real HTTP server that answers like EC2: the exact
 * Query requests (signed), one group per cluster whatever the order or number of callers, its
 * one rule admitting the group itself, and a deletion that waits for the last task to let go.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DASK_CLUSTER_TAG, DaskClusterSecurityGroups, daskClusterGroupName } from '../../../../shared/adapters/aws/dask/dask-cluster-security-groups.ts';
import { EC2_API_VERSION, Ec2QueryClient } from '../../../../shared/adapters/aws/dask/ec2-query-client.ts';
import { fakeEc2Server } from '../support/fake-ec2-server.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const RESOURCE = 'ab'.repeat(12) + '00000001';
const OTHER = 'cd'.repeat(12) + '00000002';
const ec2Server = await fakeEc2Server();
afterAll(() => ec2Server.close());

function groups(): DaskClusterSecurityGroups {
  const ec2 = new Ec2QueryClient({ region: 'eu-west-1', endpoint: ec2Server.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  return new DaskClusterSecurityGroups({ ec2, vpcId: VPC });
}

beforeEach(() => {
  ec2Server.requests.length = 0;
  ec2Server.groups.clear();
  ec2Server.failNext.clear();
  ec2Server.staleDescribes.count = 0;
});

describe('DaskClusterSecurityGroups', () => {
  it('creates the cluster group, tagged with its resource, and admits TCP from the group itself only', async () => {
    // Act
    const id = await groups().ensure(RESOURCE);

    // Assess
    expect(ec2Server.requests.map((r) => [r.action, r.params])).toEqual([
      ['DescribeSecurityGroups', { Version: EC2_API_VERSION, 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': VPC, 'Filter.2.Name': 'group-name', 'Filter.2.Value.1': `cassini-dask-${RESOURCE}` }],
      [
        'CreateSecurityGroup',
        {
          Version: EC2_API_VERSION,
          GroupName: `cassini-dask-${RESOURCE}`,
          GroupDescription: `Cassini Dask cluster of ${RESOURCE}: its scheduler, workers and the resource's tasks`,
          VpcId: VPC,
          'TagSpecification.1.ResourceType': 'security-group',
          'TagSpecification.1.Tag.1.Key': DASK_CLUSTER_TAG,
          'TagSpecification.1.Tag.1.Value': RESOURCE,
        },
      ],
      [
        'AuthorizeSecurityGroupIngress',
        {
          Version: EC2_API_VERSION,
          GroupId: id,
          'IpPermissions.1.IpProtocol': 'tcp',
          'IpPermissions.1.FromPort': '0',
          'IpPermissions.1.ToPort': '65535',
          'IpPermissions.1.Groups.1.GroupId': id,
          'IpPermissions.1.Groups.1.Description': 'The Dask cluster and the tasks of its resource',
        },
      ],
    ]);
    expect(ec2Server.groups.get(id)).toMatchObject({ name: daskClusterGroupName(RESOURCE), vpcId: VPC, tags: { [DASK_CLUSTER_TAG]: RESOURCE }, rules: [`tcp:0-65535<-${id}`] });
  });

  it('signs every call with Signature Version 4 for EC2 in the region, over a form body', async () => {
    // Act
    await groups().ensure(RESOURCE);

    // Assess
    for (const { headers } of ec2Server.requests) {
      expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ec2\/aws4_request, SignedHeaders=[\w;-]*host[\w;-]*, Signature=[0-9a-f]{64}$/);
      expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    }
  });

  it('asks again at each launch instead of remembering a group another process may have deleted since', async () => {
    // Prepare: a warm process made the group; the reconciler (another process) then deleted it.
    const warm = groups();
    const first = await warm.ensure(RESOURCE);
    expect(await groups().remove(RESOURCE)).toBe(true);

    // Act
    const second = await warm.ensure(RESOURCE);

    // Assess
    expect(second).not.toBe(first);
    expect(ec2Server.groups.has(second)).toBe(true);
  });

  it('leaves a group that already admits itself as it is: one look, no change', async () => {
    // Prepare
    await groups().ensure(RESOURCE);
    ec2Server.requests.length = 0;

    // Act
    await groups().ensure(RESOURCE);

    // Assess
    expect(ec2Server.requests.map((r) => r.action)).toEqual(['DescribeSecurityGroups']);
  });

  it('mends a group found without its rule (a create whose next call was lost)', async () => {
    // Prepare
    const id = await groups().ensure(RESOURCE);
    ec2Server.groups.get(id)!.rules.length = 0;

    // Act
    await groups().ensure(RESOURCE);

    // Assess
    expect(ec2Server.groups.get(id)!.rules).toEqual([`tcp:0-65535<-${id}`]);
  });

  it('gives every caller the one group of a cluster: the runtime and the owner launch alike, in either order', async () => {
    // Act: two processes (the reactor's Dask runtime, the reconciler's launch) at once, then one again.
    const [a, b] = await Promise.all([groups().ensure(RESOURCE), groups().ensure(RESOURCE)]);
    const again = await groups().ensure(RESOURCE);

    // Assess
    expect(new Set([a, b, again]).size).toBe(1);
    expect(ec2Server.groups.size).toBe(1);
    expect(ec2Server.groups.get(a)!.rules).toHaveLength(1);
  });

  it('finds the group another process created between its look and its create', async () => {
    // Prepare: the group exists, but this process's look comes back empty (it raced the other's create).
    const first = await groups().ensure(RESOURCE);
    ec2Server.requests.length = 0;
    ec2Server.staleDescribes.count = 1;

    // Act
    const id = await groups().ensure(RESOURCE);

    // Assess
    expect(id).toBe(first);
    expect(ec2Server.requests.map((r) => r.action)).toEqual(['DescribeSecurityGroups', 'CreateSecurityGroup', 'DescribeSecurityGroups', 'AuthorizeSecurityGroupIngress']);
    expect(ec2Server.groups.size).toBe(1);
  });

  it('keeps separate clusters apart: a group per resource, each admitting itself only', async () => {
    // Act
    const mine = await groups().ensure(RESOURCE);
    const theirs = await groups().ensure(OTHER);

    // Assess
    expect(mine).not.toBe(theirs);
    expect(ec2Server.groups.get(mine)!.rules).toEqual([`tcp:0-65535<-${mine}`]);
    expect(ec2Server.groups.get(theirs)!.rules).toEqual([`tcp:0-65535<-${theirs}`]);
  });

  it('deletes the group, says "not yet" while a task still holds it, and is done when it is gone', async () => {
    // Prepare
    const sg = groups();
    const id = await sg.ensure(RESOURCE);
    ec2Server.groups.get(id)!.inUse = true;

    // Act / Assess
    expect(await sg.remove(RESOURCE)).toBe(false);
    expect(ec2Server.groups.has(id)).toBe(true);
    ec2Server.groups.get(id)!.inUse = false;
    expect(await sg.remove(RESOURCE)).toBe(true);
    expect(ec2Server.groups.size).toBe(0);
    expect(await sg.remove(RESOURCE)).toBe(true);
    expect(ec2Server.requests.filter((r) => r.action === 'DeleteSecurityGroup').map((r) => r.params)).toEqual([
      { Version: EC2_API_VERSION, GroupId: id },
      { Version: EC2_API_VERSION, GroupId: id },
    ]);
  });

  it('lists the resources that have a cluster group in the VPC, for the reconciler to clear', async () => {
    // Prepare
    await groups().ensure(RESOURCE);
    await groups().ensure(OTHER);

    // Act
    const ids = await groups().clusterIds();

    // Assess
    expect(ids).toEqual(new Set([RESOURCE, OTHER]));
    expect(ec2Server.requests.at(-1)!.params).toEqual({ Version: EC2_API_VERSION, 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': VPC, 'Filter.2.Name': 'tag-key', 'Filter.2.Value.1': DASK_CLUSTER_TAG, MaxResults: '1000' });
  });

  it('surfaces any other EC2 refusal by its code', async () => {
    // Prepare
    ec2Server.failNext.set('CreateSecurityGroup', 'SecurityGroupLimitExceeded');

    // Act / Assess
    await expect(groups().ensure(RESOURCE)).rejects.toMatchObject({ name: 'SecurityGroupLimitExceeded', message: 'injected SecurityGroupLimitExceeded' });
  });
});
