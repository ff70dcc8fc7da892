/**
 * Persistent files: one encrypted EFS file system for user homes and shared folders, with a
 * mount target in each private subnet (one per availability zone: EFS allows no more, so an
 * imported VPC with several private subnets in a zone gets the first of them). Access points,
 * one per shared folder and per workspace home, are created at run time by the reactor
 * (`grantManageHomes`); tasks mount through them with transit encryption and IAM authorization
 * (each resource's own task role, constructs/resource-roles.ts), which the file system policy below insists on.
 *
 * Also the tasks bucket: job tasks' SATURN_TOKEN files (`tokens/<task id>.env`,
 * shared/adapters/aws/tasks/task-token-files.ts), written by the launching functions before RunTask,
 * read by ECS with the execution role, deleted by whoever sees the task stop. Private, encrypted,
 * TLS only, and a lifecycle rule expires a file after TOKEN_FILE_EXPIRY_DAYS in case nobody did.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeGrantedWildcard } from '../nag.ts';
import type { PlatformFunction } from '../platform-function.ts';

/** Tag of the access points that are workspace homes (shared/adapters/aws/storage/efs-home-volumes.ts). */
export const HOME_TAG = 'cassini:home';
/** Tag naming the resource an access point belongs to. */
export const RESOURCE_TAG = 'cassini:resource';
/** Tag of the access points that are shared folders (shared/adapters/aws/storage/efs-shared-folders.ts). */
export const SHARED_FOLDER_TAG = 'cassini:shared-folder';
/** The folder of the tasks bucket that holds token files (TOKEN_FILE_FOLDER of task-token-files.ts). */
export const TOKEN_FILE_PREFIX = 'tokens/';
/**
 * A backstop: a task's file is deleted when it stops. ECS reads the file only at the task's start,
 * and the revocation reads the token's id from the task, so expiring under a long task is harmless.
 */
export const TOKEN_FILE_EXPIRY_DAYS = 2;

export interface StorageProps {
  vpc: ec2.IVpc;
  /** Tasks in this group may mount the file system (NFS, port 2049). */
  clients: ec2.ISecurityGroup;
}

export class Storage extends Construct {
  readonly fileSystem: efs.FileSystem;
  readonly securityGroup: ec2.SecurityGroup;
  /** Job tasks' SATURN_TOKEN files under TOKEN_FILE_PREFIX. */
  readonly tasksBucket: s3.Bucket;

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
      // Not what the name says: `false` makes CDK add a statement allowing every principal
      // (`AWS:*`) to write as root over any mount target. The policy below is the whole policy;
      // it allows no anonymous client (nor any principal) ClientMount without an access point.
      allowAnonymousAccess: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Whatever a role's own policy says: no mount of the file system's root (where every home
    // and shared folder is), only through an access point, whose POSIX user and root directory
    // EFS enforces; over a mount target only; and never as root.
    const clientActions = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];
    const denyEveryone = (sid: string, actions: string[], conditions?: Record<string, Record<string, string>>) =>
      this.fileSystem.addToResourcePolicy(new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions, resources: ['*'], ...(conditions ? { conditions } : {}) }));
    denyEveryone('DenyAccessNotThroughAnAccessPoint', clientActions, { Null: { 'elasticfilesystem:AccessPointArn': 'true' } });
    denyEveryone('DenyAccessNotThroughAMountTarget', clientActions, { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'false' } });
    denyEveryone('DenyRootAccess', ['elasticfilesystem:ClientRootAccess']);
    denyEveryone('DenyUnencryptedTransport', ['*'], { Bool: { 'aws:SecureTransport': 'false' } });
    this.tasksBucket = new s3.Bucket(this, 'TasksBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [
        { id: 'ExpireTokenFiles', prefix: TOKEN_FILE_PREFIX, expiration: Duration.days(TOKEN_FILE_EXPIRY_DAYS) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // Kept when the stack goes, like the file system: a non-empty bucket would fail the deletion.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.tasksBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only short-lived SATURN_TOKEN files written and deleted by the platform\'s own functions; ' +
        'every access is by the platform roles, traced by CloudTrail, and server access logs would only add a second copy of the keys.',
    });

    // No Allow: a task mounts with its resource's own task role, whose identity policy names its
    // access points (shared/adapters/aws/iam/resource-role-policies.ts); within the account that
    // is enough ("Using IAM to control file system data access"). An Allow here would reach past
    // it: a permissions boundary does not cap what a resource-based policy grants.
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
    this.grantManageTaggedAccessPoints(grantee, [RESOURCE_TAG, HOME_TAG], HOME_TAG);
  }

  /**
   * Lets `grantee` give tasks their shared folders: create access points tagged as shared
   * folders on this file system, find them, and delete those tagged so.
   */
  grantManageSharedFolders(grantee: iam.IGrantable): void {
    this.grantManageTaggedAccessPoints(grantee, [SHARED_FOLDER_TAG], SHARED_FOLDER_TAG);
  }

  /**
   * Create access points only carrying every tag of `createTags`, tag them only while creating,
   * find them, and delete only those carrying `kindTag`: what homes and shared folders each need.
   */
  private grantManageTaggedAccessPoints(grantee: iam.IGrantable, createTags: string[], kindTag: string): void {
    const principal = grantee.grantPrincipal;
    const accessPoints = this.accessPointArns();
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticfilesystem:CreateAccessPoint'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { Null: Object.fromEntries(createTags.map((tag) => [`aws:RequestTag/${tag}`, 'false'])) },
      }),
    );
    // Creating with tags is also authorized as TagResource on the new access point.
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticfilesystem:TagResource'], resources: [accessPoints], conditions: { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } } }),
    );
    // Listing (by file system, for removals) and describing one (by id, waiting for it to be available).
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticfilesystem:DescribeAccessPoints'], resources: [this.fileSystem.fileSystemArn, accessPoints] }));
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticfilesystem:DeleteAccessPoint'], resources: [accessPoints], conditions: { Null: { [`aws:ResourceTag/${kindTag}`]: 'false' } } }),
    );
    acknowledgeGrantedWildcard(grantee, accessPoints, `Access points get random ids at creation: tagging is allowed only while creating one, deleting only on access points tagged ${kindTag}, describing on this file system's.`);
  }

  /** The token files' objects (`<bucket ARN>/tokens/*`). */
  private tokenFileArns(): string {
    return this.tasksBucket.arnForObjects(`${TOKEN_FILE_PREFIX}*`);
  }

  /**
   * Lets `fn` give job tasks their SATURN_TOKEN files (shared/adapters/aws/tasks/task-token-files.ts):
   * write one (with its token-id tag) only if absent, read that tag back, delete it. Sets TASKS_BUCKET.
   */
  grantWriteTokenFiles(fn: PlatformFunction): void {
    fn.addEnvironment('TASKS_BUCKET', this.tasksBucket.bucketName);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObjectTagging', 's3:DeleteObject'], resources: [this.tokenFileArns()] }),
    );
    acknowledgeGrantedWildcard(fn.role, this.tokenFileArns(), 'Token files are named by task id at run time: writing, tagging and deleting are allowed under tokens/ of the tasks bucket only.');
  }

  /** Lets `fn` delete job tasks' token files once they stopped, reading their token-id tag first. Sets TASKS_BUCKET. */
  grantRemoveTokenFiles(fn: PlatformFunction): void {
    fn.addEnvironment('TASKS_BUCKET', this.tasksBucket.bucketName);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObjectTagging', 's3:DeleteObject'], resources: [this.tokenFileArns()] }));
    acknowledgeGrantedWildcard(fn.role, this.tokenFileArns(), 'Token files are named by task id at run time: reading their tag and deleting them are allowed under tokens/ of the tasks bucket only.');
  }

  /**
   * Lets ECS (the task execution role) read the token files it hands to tasks as `environmentFiles`:
   * GetObject under tokens/ only, and the bucket's location, which ECS asks for first.
   */
  grantReadTokenFiles(executionRole: iam.Role): void {
    executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.tokenFileArns()] }));
    executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [this.tasksBucket.bucketArn] }));
    acknowledgeGrantedWildcard(executionRole, this.tokenFileArns(), 'Token files are named by task id at run time: ECS may read those under tokens/ of the tasks bucket, nothing else of it.');
  }

}
