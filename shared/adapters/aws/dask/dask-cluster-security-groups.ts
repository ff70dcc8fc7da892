/**
 * One security group per Dask cluster: the network boundary of a cluster and its owner. The
 * scheduler, the workers and the tasks of the resource that owns the cluster (the job's runs,
 * the deployment's or workspace's replicas) all run in it, and its one ingress rule admits TCP
 * from itself only. So a cluster's members reach each other on any port (Dask workers listen on
 * ports of their own choosing) and nothing else in the VPC reaches them: not another user's
 * task, not another cluster.
 *
 * Made on demand by whichever comes first, the Dask runtime or the owner's launch (their order
 * is not fixed), and found again by name: EC2 has no client token for CreateSecurityGroup, but
 * a group's name is unique in its VPC, so a second create gets `InvalidGroup.Duplicate` and
 * finds the first one's. Deleted with the cluster; while a task's network interface still holds
 * it EC2 refuses (`DependencyViolation`) and the reconciler's next stop tries again
 * (`clusterIds` lists every group left).
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Ec2ApiError, Ec2QueryClient, xmlField } from './ec2-query-client.ts';
import { isNamed } from '../sdk-errors.ts';
import { requiredEnv } from '../../required-env.ts';

/** The tag naming the resource whose cluster a group bounds; IAM lets the platform touch only groups with it. */
export const DASK_CLUSTER_TAG = 'cassini:dask-cluster';
const GROUP_NAME_PREFIX = 'cassini-dask-';

export function daskClusterGroupName(resourceId: string): string {
  return `${GROUP_NAME_PREFIX}${resourceId}`;
}

export interface DaskClusterSecurityGroupsOptions {
  ec2: Pick<Ec2QueryClient, 'call'>;
  /** The VPC the platform's tasks run in. */
  vpcId: string;
}

export class DaskClusterSecurityGroups {
  readonly #options: DaskClusterSecurityGroupsOptions;
  // Resource id → the ensure in flight, so a burst of launches makes one create. Not kept once
  // settled: another process may delete the group (a stopped cluster) and a later launch must not
  // name a group that is gone.
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(options: DaskClusterSecurityGroupsOptions) {
    this.#options = options;
  }

  /** The id of the cluster's group, created (with its self-only ingress rule) if there is none. */
  ensure(resourceId: string): Promise<string> {
    const inFlight = this.#inFlight.get(resourceId);
    if (inFlight) return inFlight;
    const ensured = this.#ensure(resourceId);
    this.#inFlight.set(resourceId, ensured);
    const settle = () => {
      if (this.#inFlight.get(resourceId) === ensured) this.#inFlight.delete(resourceId);
    };
    ensured.then(settle, settle);
    return ensured;
  }

  /** Deletes the cluster's group; false while a task still holds it (try again later). */
  async remove(resourceId: string): Promise<boolean> {
    const groupId = (await this.#find(resourceId))?.groupId;
    if (!groupId) return true;
    try {
      await this.#options.ec2.call('DeleteSecurityGroup', { GroupId: groupId });
      return true;
    } catch (error) {
      if (isNamed(error, 'InvalidGroup.NotFound')) return true;
      if (isNamed(error, 'DependencyViolation')) return false;
      throw error;
    }
  }

  /** The resources that have a cluster group in the VPC, so the reconciler removes those no cluster needs. */
  async clusterIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    let nextToken: string | undefined;
    do {
      const xml = await this.#options.ec2.call('DescribeSecurityGroups', {
        'Filter.1.Name': 'vpc-id',
        'Filter.1.Value.1': this.#options.vpcId,
        'Filter.2.Name': 'tag-key',
        'Filter.2.Value.1': DASK_CLUSTER_TAG,
        MaxResults: '1000',
        ...(nextToken ? { NextToken: nextToken } : {}),
      });
      for (const match of xml.matchAll(new RegExp(`<key>${DASK_CLUSTER_TAG}</key>\\s*<value>([^<]*)</value>`, 'g'))) ids.add(match[1]!);
      nextToken = xmlField(xml, 'nextToken');
    } while (nextToken);
    return ids;
  }

  async #ensure(resourceId: string): Promise<string> {
    const found = await this.#find(resourceId);
    const groupId = found?.groupId ?? (await this.#create(resourceId));
    if (found?.admitsItself) return groupId;
    try {
      // Also for a group found without it: a create whose rule was lost (a crash between the two calls) is mended.
      await this.#options.ec2.call('AuthorizeSecurityGroupIngress', {
        GroupId: groupId,
        'IpPermissions.1.IpProtocol': 'tcp',
        'IpPermissions.1.FromPort': '0',
        'IpPermissions.1.ToPort': '65535',
        'IpPermissions.1.Groups.1.GroupId': groupId,
        'IpPermissions.1.Groups.1.Description': 'The Dask cluster and the tasks of its resource',
      });
    } catch (error) {
      if (!isNamed(error, 'InvalidPermission.Duplicate')) throw error;
    }
    return groupId;
  }

  async #create(resourceId: string): Promise<string> {
    try {
      const xml = await this.#options.ec2.call('CreateSecurityGroup', {
        GroupName: daskClusterGroupName(resourceId),
        GroupDescription: `Cassini Dask cluster of ${resourceId}: its scheduler, workers and the resource's tasks`,
        VpcId: this.#options.vpcId,
        'TagSpecification.1.ResourceType': 'security-group',
        'TagSpecification.1.Tag.1.Key': DASK_CLUSTER_TAG,
        'TagSpecification.1.Tag.1.Value': resourceId,
      });
      const groupId = xmlField(xml, 'groupId');
      if (!groupId) throw new Ec2ApiError('MissingGroupId', `CreateSecurityGroup returned no group id for ${resourceId}`, 200);
      return groupId;
    } catch (error) {
      // Another process created it between our look and our create.
      const existing = isNamed(error, 'InvalidGroup.Duplicate') ? await this.#find(resourceId) : undefined;
      if (existing) return existing.groupId;
      throw error;
    }
  }

  /** The cluster's group, and whether its rule admitting itself is there (the group's id appears again inside its rules). */
  async #find(resourceId: string): Promise<{ groupId: string; admitsItself: boolean } | undefined> {
    const xml = await this.#options.ec2.call('DescribeSecurityGroups', {
      'Filter.1.Name': 'vpc-id',
      'Filter.1.Value.1': this.#options.vpcId,
      'Filter.2.Name': 'group-name',
      'Filter.2.Value.1': daskClusterGroupName(resourceId),
    });
    const groupId = xmlField(xml, 'groupId');
    if (!groupId) return undefined;
    const ingressRules = /<ipPermissions>([\s\S]*?)<\/ipPermissions>/.exec(xml)?.[1] ?? '';
    return { groupId, admitsItself: ingressRules.includes(`<groupId>${groupId}</groupId>`) };
  }
}

/**
 * The clusters' groups in the VPC the stack gives the launching functions (`TASK_VPC_ID`, with
 * `AWS_REGION` and the function's credentials, as Lambda sets them); undefined without a VPC id.
 */
export function daskClusterGroupsFromEnv(env: NodeJS.ProcessEnv): DaskClusterSecurityGroups | undefined {
  if (!env.TASK_VPC_ID) return undefined;
  const ec2 = new Ec2QueryClient({ region: requiredEnv(env, 'AWS_REGION'), credentials: fromEnv() });
  return new DaskClusterSecurityGroups({ ec2, vpcId: env.TASK_VPC_ID });
}
