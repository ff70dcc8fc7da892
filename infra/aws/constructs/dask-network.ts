/**
 * Where Dask clusters are reached (shared/adapters/aws/dask/ecs-dask-runtime.ts): a Cloud Map
 * private DNS namespace in the VPC, under which each cluster's scheduler is `<resource id>.<name>`.
 *
 * Who may connect is decided per cluster, at run time: each cluster gets a security group of its
 * own (shared/adapters/aws/dask/dask-cluster-security-groups.ts) that admits only its members, the
 * scheduler, the workers and the tasks of the resource that owns it. No group here admits the
 * Dask ports from every platform task.
 *
 * `daskEnvironment()` is what the functions that run clusters (reactor, reconciler) need to
 * know; `grantRunClusters` the Cloud Map, EC2 and Secrets Manager calls they make (ECS calls are
 * `Compute.grantRunTasks`).
 * The API only describes clusters: it needs the namespace's name, and ECS reads.
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { DASK_CLUSTER_TAG } from '../../../shared/adapters/aws/dask/dask-cluster-security-groups.ts';
import { DASK_TLS_SECRET_PREFIX } from '../../../shared/adapters/aws/dask/dask-tls-task-parts.ts';
import { PLATFORM_SECRET_PREFIX } from '../config.ts';
import { acknowledgeGrantedWildcard } from '../nag.ts';

export const DASK_NAMESPACE = 'dask.cassini.internal';

export interface DaskNetworkProps {
  vpc: ec2.IVpc;
  /** The namespace's DNS name; default `dask.cassini.internal`. */
  namespaceName?: string;
}

export class DaskNetwork extends Construct {
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  private readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: DaskNetworkProps) {
    super(scope, id);
    this.vpc = props.vpc;
    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: props.namespaceName ?? DASK_NAMESPACE,
      vpc: props.vpc,
      description: 'Cassini Dask schedulers: <resource id>.<namespace>',
    });
  }

  /** Environment of the functions that run Dask clusters. */
  daskEnvironment(): Record<string, string> {
    return {
      DASK_NAMESPACE_ID: this.namespace.namespaceId,
      DASK_NAMESPACE_NAME: this.namespace.namespaceName,
      TASK_VPC_ID: this.vpc.vpcId,
    };
  }

  /**
   * Lets `grantee` keep the clusters' own security groups (dask-cluster-security-groups.ts):
   * create one in the platform's VPC only when it carries the cluster tag (tagging allowed only
   * within that create), and add ingress rules to and delete only groups carrying the tag, in
   * that VPC. DescribeSecurityGroups has no resource-level permissions.
   */
  grantManageClusterGroups(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    const principal = grantee.grantPrincipal;
    const groups = stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: '*' });
    const vpc = stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: this.vpc.vpcId });
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:CreateSecurityGroup'], resources: [vpc] }));
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ec2:CreateSecurityGroup'], resources: [groups], conditions: { Null: { [`aws:RequestTag/${DASK_CLUSTER_TAG}`]: 'false' } } }),
    );
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:CreateTags'], resources: [groups], conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } } }));
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'],
        resources: [groups],
        conditions: { Null: { [`aws:ResourceTag/${DASK_CLUSTER_TAG}`]: 'false' }, ArnEquals: { 'ec2:Vpc': vpc } },
      }),
    );
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }));
    acknowledgeGrantedWildcard(grantee, groups, `Security group ids are chosen by EC2 at creation: creating needs the ${DASK_CLUSTER_TAG} tag, tagging happens only within the create, rules and deletion only on groups with the tag in the platform VPC.`);
  }

  /**
   * Lets `grantee` create (with tags) and delete each cluster's TLS credentials
   * (shared/adapters/aws/dask/dask-tls-secrets.ts): secrets named `<prefix><owner>/_dask-tls-*`
   * only, a name no user's secret can have (catalog names never start with `_`). Never a read:
   * ECS injects the values with the execution role.
   */
  grantKeepClusterCredentials(grantee: iam.IGrantable): void {
    const credentials = daskCredentialSecretsArn(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret'], resources: [credentials] }),
    );
    acknowledgeGrantedWildcard(grantee, credentials, `Each Dask cluster's TLS credentials are a secret created at run time in its owner's folder (${PLATFORM_SECRET_PREFIX}<owner>/${DASK_TLS_SECRET_PREFIX}<resource id>): creating, tagging and deleting are allowed on those names only.`);
  }

  /**
   * The Cloud Map calls of `EcsDaskRuntime` (shared/adapters/aws/dask/ecs-dask-runtime.ts), and the
   * Route 53 calls Cloud Map makes with the caller's permissions when it registers or
   * deregisters an instance (the A record in the namespace's private hosted zone). Services are
   * created at run time, one per cluster, so their ids are unknown here: the service actions are
   * allowed on services of this namespace only (condition), CreateService on this namespace.
   * ECS calls are `Compute.grantRunTasks`.
   */
  grantRunClusters(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    const principal = grantee.grantPrincipal;
    this.grantManageClusterGroups(grantee);
    this.grantKeepClusterCredentials(grantee);
    const services = stack.formatArn({ service: 'servicediscovery', resource: 'service', resourceName: '*' });
    const healthChecks = stack.formatArn({ service: 'route53', region: '', account: '', resource: 'healthcheck', resourceName: '*' });
    const zone = stack.formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: this.namespace.namespaceHostedZoneId });
    const inNamespace = { StringEquals: { 'servicediscovery:NamespaceArn': this.namespace.namespaceArn } };
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['servicediscovery:CreateService'], resources: [this.namespace.namespaceArn, services] }));
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['servicediscovery:RegisterInstance', 'servicediscovery:DeregisterInstance', 'servicediscovery:ListInstances', 'servicediscovery:DeleteService'],
        resources: [services],
        conditions: inNamespace,
      }),
    );
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['servicediscovery:ListServices'], resources: ['*'] }));
    // What Cloud Map does on the caller's behalf: A records under this namespace's name in its own zone only.
    // ForAllValues: the keys are checked when Route 53 receives them, and hold when it does not.
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [zone],
        conditions: {
          'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['A'] },
          'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`*.${this.namespace.namespaceName}`] },
        },
      }),
    );
    // Listed by Cloud Map as required for RegisterInstance and DeregisterInstance (its services have no health check).
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['route53:GetHealthCheck', 'route53:DeleteHealthCheck', 'route53:UpdateHealthCheck'], resources: [healthChecks] }));
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['route53:CreateHealthCheck'], resources: ['*'] }));
    acknowledgeGrantedWildcard(grantee, services, 'Cloud Map services are created at run time, one per Dask cluster, with ids Cloud Map chooses: allowed only on services of the Dask namespace (servicediscovery:NamespaceArn).');
    acknowledgeGrantedWildcard(grantee, healthChecks, 'Cloud Map requires the health-check actions for RegisterInstance and DeregisterInstance; the Dask services define no health check, so none is ever made.');
    const scope = Construct.isConstruct(grantee) ? grantee : Construct.isConstruct(principal) ? principal : undefined;
    if (scope) {
      Validations.of(scope).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'servicediscovery:ListServices (filtered by the Dask namespace in the request), route53:CreateHealthCheck (required by Cloud Map for RegisterInstance; no health check is configured) ' +
          'and ec2:DescribeSecurityGroups (filtered by VPC and name or tag in the request) have no resource-level permissions.',
      });
    }
  }
}

/** The Dask clusters' TLS credentials: `cassini/<owner>/_dask-tls-<resource id>` (Secrets Manager appends a random suffix to every ARN). */
export function daskCredentialSecretsArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${PLATFORM_SECRET_PREFIX}*/${DASK_TLS_SECRET_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
