/**
 * Where Dask clusters are reached (shared/adapters/aws/ecs-dask-runtime.ts): a Cloud Map
 * private DNS namespace in the VPC, under which each cluster's scheduler is `<resource id>.<name>`,
 * and the security group Dask tasks run in, which admits the scheduler (8786) and its
 * dashboard (8787) only from the platform's own tasks: never from 0.0.0.0/0.
 *
 * `daskEnvironment()` is what the functions that run clusters (reactor, reconciler) need to
 * know; `grantRunClusters` the Cloud Map calls they make (ECS calls are `Compute.grantRunTasks`).
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';

export const DASK_SCHEDULER_PORT = 8786;
export const DASK_DASHBOARD_PORT = 8787;
export const DASK_NAMESPACE = 'dask.cassini.internal';

export interface DaskNetworkProps {
  vpc: ec2.IVpc;
  /** The group every platform task runs in: the only source the Dask ports admit. */
  tasksSecurityGroup: ec2.ISecurityGroup;
  /** The namespace's DNS name; default `dask.cassini.internal`. */
  namespaceName?: string;
}

export class DaskNetwork extends Construct {
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DaskNetworkProps) {
    super(scope, id);
    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: props.namespaceName ?? DASK_NAMESPACE,
      vpc: props.vpc,
      description: 'Cassini Dask schedulers: <resource id>.<namespace>',
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Cassini Dask schedulers and workers: reachable from the platform tasks only',
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(props.tasksSecurityGroup, ec2.Port.tcp(DASK_SCHEDULER_PORT), 'Dask scheduler, from the platform tasks');
    this.securityGroup.addIngressRule(props.tasksSecurityGroup, ec2.Port.tcp(DASK_DASHBOARD_PORT), 'Dask dashboard, from the platform tasks');
  }

  /** Environment of the functions that run Dask clusters. */
  daskEnvironment(): Record<string, string> {
    return {
      DASK_NAMESPACE_ID: this.namespace.namespaceId,
      DASK_NAMESPACE_NAME: this.namespace.namespaceName,
      DASK_SECURITY_GROUP: this.securityGroup.securityGroupId,
    };
  }

  /**
   * The Cloud Map calls of `EcsDaskRuntime`. CreateService and ListServices take no resource
   * ARN; the instance calls are limited to services of this namespace by condition.
   */
  grantRunClusters(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['servicediscovery:CreateService', 'servicediscovery:ListServices'], resources: ['*'] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['servicediscovery:RegisterInstance', 'servicediscovery:DeregisterInstance', 'servicediscovery:ListInstances', 'servicediscovery:DeleteService'],
        resources: ['*'],
        conditions: { StringEquals: { 'servicediscovery:NamespaceArn': this.namespace.namespaceArn } },
      }),
    );
    // RegisterInstance with AWS_INSTANCE_IPV4 writes the A record in the namespace's hosted zone.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['route53:ChangeResourceRecordSets', 'route53:CreateHealthCheck', 'route53:GetHealthCheck', 'route53:DeleteHealthCheck', 'ec2:DescribeInstances'], resources: ['*'] }),
    );
  }
}
