/**
 * Persistent files: one encrypted EFS file system for user homes and shared folders, with a
 * mount target in each private subnet (one per availability zone: EFS allows no more, so an
 * imported VPC with several private subnets in a zone gets the first of them). Access points,
 * one per shared folder and per user home, are created at run time by the reactor (to come);
 * tasks mount through them with transit encryption and IAM authorization (the task role),
 * which the file system policy below insists on.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

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
  }
}
