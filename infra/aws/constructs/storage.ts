/**
 * Persistent files: one encrypted EFS file system for user homes and shared folders, with a
 * mount target in each private subnet (one per availability zone: EFS allows no more, so an
 * imported VPC with several private subnets in a zone gets the first of them). Access points,
 * one per shared folder and per workspace home, are created at run time by the reactor
 * (`grantManageHomes`); tasks mount through them with transit encryption and IAM authorization
 * (the task role, `grantMountThroughAccessPoints`), which the file system policy below insists on.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { WORKLOAD_ROLE_PATH } from '../config.ts';
import { acknowledgeGrantedWildcard } from '../nag.ts';

/** Tag of the access points that are workspace homes (shared/adapters/aws/efs-home-volumes.ts). */
export const HOME_TAG = 'cassini:home';
/** Tag naming the resource an access point belongs to. */
export const RESOURCE_TAG = 'cassini:resource';
/** Tag of the access points that are shared folders (shared/adapters/aws/efs-shared-folders.ts). */
export const SHARED_FOLDER_TAG = 'cassini:shared-folder';

export interface StorageProps {
  vpc: ec2.IVpc;
  /** Tasks in this group may mount the file system (NFS, port 2049). */
  clients: ec2.ISecurityGroup;
}

export class Storage extends Construct {
  readonly fileSystem: efs.FileSystem;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Cassini file system: NFS from platform tasks only',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(props.clients, ec2.Port.tcp(2049), 'NFS from platform tasks');

    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, onePerAz: true },
      securityGroup: this.securityGroup,
      encrypted: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
      outOfInfrequentAccessPolicy: efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS,
      enableAutomaticBackups: true,
      allowAnonymousAccess: false,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.fileSystem.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyUnencryptedTransport',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['*'],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    // Tasks that run as a role an admin registered (under WORKLOAD_ROLE_PATH) mount their homes
    // and shared folders like the default task role does: through an access point, never the root.
    const stack = Stack.of(this);
    this.fileSystem.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WorkloadRolesMountThroughAccessPoints',
        principals: [new iam.AnyPrincipal()],
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'aws:PrincipalArn': stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${WORKLOAD_ROLE_PATH.replace(/^\//, '')}*` }),
            'elasticfilesystem:AccessPointArn': stack.formatArn({ service: 'elasticfilesystem', resource: 'access-point', resourceName: '*' }),
          },
          Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
        },
      }),
    );
  }

  /** All access points of this account and region (EFS names them by a random id). */
  private accessPointArns(): string {
    return Stack.of(this).formatArn({ service: 'elasticfilesystem', resource: 'access-point', resourceName: '*' });
  }

  /**
   * Lets `grantee` keep workspace homes: create access points on this file system (tagged with
   * their resource), find them, and delete those tagged as homes.
   */
  grantManageHomes(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    const accessPoints = this.accessPointArns();
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:CreateAccessPoint'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { Null: { [`aws:RequestTag/${RESOURCE_TAG}`]: 'false', [`aws:RequestTag/${HOME_TAG}`]: 'false' } },
      }),
    );
    // Creating with tags is also authorized as TagResource on the new access point.
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticfilesystem:TagResource'], resources: [accessPoints], conditions: { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } } }),
    );
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticfilesystem:DescribeAccessPoints'], resources: [this.fileSystem.fileSystemArn] }));
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticfilesystem:DeleteAccessPoint'], resources: [accessPoints], conditions: { Null: { [`aws:ResourceTag/${HOME_TAG}`]: 'false' } } }),
    );
    acknowledgeGrantedWildcard(grantee, accessPoints, `Access points get random ids at creation: tagging is allowed only while creating one, deleting only on access points tagged ${HOME_TAG}.`);
  }

  /**
   * Lets `grantee` give tasks their shared folders: create access points tagged as shared
   * folders on this file system, find them, and delete those tagged so.
   */
  grantManageSharedFolders(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    const accessPoints = this.accessPointArns();
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:CreateAccessPoint'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { Null: { [`aws:RequestTag/${SHARED_FOLDER_TAG}`]: 'false' } },
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticfilesystem:TagResource'], resources: [accessPoints], conditions: { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } } }),
    );
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticfilesystem:DescribeAccessPoints'], resources: [this.fileSystem.fileSystemArn] }));
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticfilesystem:DeleteAccessPoint'], resources: [accessPoints], conditions: { Null: { [`aws:ResourceTag/${SHARED_FOLDER_TAG}`]: 'false' } } }),
    );
    acknowledgeGrantedWildcard(grantee, accessPoints, `Access points get random ids at creation: tagging is allowed only while creating one, deleting only on access points tagged ${SHARED_FOLDER_TAG}.`);
  }

  /**
   * Lets tasks running as `role` mount and write this file system, through an access point only:
   * never its root, where every home and shared folder is.
   */
  grantMountThroughAccessPoints(role: iam.IGrantable): void {
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { ArnLike: { 'elasticfilesystem:AccessPointArn': this.accessPointArns() } },
      }),
    );
  }
}
