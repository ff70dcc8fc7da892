/**
 * Where user work runs: a VPC (new, or an existing one imported by id without lookups), one
 * ECS cluster with Container Insights and three capacity providers:
 *  - FARGATE and FARGATE_SPOT for CPU sizes (Fargate has no GPUs),
 *  - one per GPU instance type the stack offers (`gpuInstanceTypes` in cdk.json): an Auto
 *    Scaling group of the ECS GPU-optimized AMI holding that one type, under ECS managed scaling
 *    from zero instances (nothing is paid while no GPU task runs), with managed termination
 *    protection and draining so scale-in never kills a running task. One type per group because
 *    managed scaling launches what the group prefers, not what a waiting task needs: a task for
 *    a type the group does not launch would wait in PROVISIONING forever ("Amazon ECS capacity
 *    providers for EC2 workloads", Amazon ECS Developer Guide). A GPU size's tasks ask for the
 *    provider of its type (shared/adapters/aws/tasks/capacity-strategy.ts).
 * Also the shared task execution role (pull images, write task logs; no secrets: see ResourceRoles),
 * the log group of task output, and the security group tasks run in (which admits the load
 * balancer only: tasks do not reach each other, see DaskNetwork for a cluster's members).
 *
 * Task definitions, services and RunTask calls are made at run time by the reactor and the
 * reconciler: `taskEnvironment()` tells them where tasks run, `grantRunTasks` lets them launch,
 * list and stop the platform's tasks (with `grantPassTaskRoles` for the roles they hand to ECS),
 * `grantDescribeTasks` lets the reconciler compare runs with what ECS runs.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { PLATFORM_SECRET_PREFIX, WORKLOAD_ROLE_PATH, type ExistingVpc, type ImageCacheConfig } from '../config.ts';
import { acknowledgeGrantedWildcard, acknowledgeWildcardResource } from '../nag.ts';
import { ImageCache } from './image-cache.ts';
import { blockTaskMetadataAccess, lockedDownMetadataOptions } from './task-metadata-lockdown.ts';
import { RESOURCE_ROLE_PATH } from '../../../shared/adapters/aws/iam/resource-roles.ts';

/** The port every task serves HTTP on (`$PORT` on AWS, see API.md). */
export const TASK_PORT = 8000;
export const GPU_ROOT_VOLUME_GIB = 200;
/** The family prefix of the task definitions the platform registers (shared/adapters/aws/tasks/ecs-task-definitions.ts). */
export const TASK_FAMILY_PREFIX = 'cassini-';
/** The name prefix of deployments' and workspaces' ECS services (shared/adapters/aws/services/service-names.ts). */
export const SERVICE_NAME_PREFIX = 'cassini-';

export interface ComputeProps {
  /** Reuse this VPC instead of creating one. */
  existingVpc?: ExistingVpc;
  /** Availability zones for a new VPC; default: two of the region's. */
  availabilityZones?: string[];
  gpu: { instanceTypes: string[]; maxInstances: number };
  /** The image that clones tasks' git repositories (an init container); default: the adapter's. */
  gitImage?: string;
  /** Credentials for the pull-through cache's upstreams that need them; the rules without credentials are always made. */
  imageCache?: ImageCacheConfig;
}

/** One GPU instance type's capacity: its Auto Scaling group and the capacity provider over it. */
export interface GpuCapacity {
  instanceType: string;
  instances: autoscaling.AutoScalingGroup;
  provider: ecs.AsgCapacityProvider;
}

export class Compute extends Construct {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  /** One per GPU instance type the stack offers, in the configured order. */
  readonly gpuCapacity: GpuCapacity[];
  /** Used by ECS to start a platform task with no resource of its own: image pulls, task logs, token files; no secret. */
  readonly executionRole: iam.Role;
  /** Output of every task (one stream per task). */
  readonly taskLogs: logs.LogGroup;
  /** Every ECS Exec session (shell access): what was typed and shown, one stream per session. */
  readonly execLogs: logs.LogGroup;
  /** Every task runs in this group: it admits the load balancer (ingress.ts) and nothing else, not even its own members. */
  readonly tasksSecurityGroup: ec2.SecurityGroup;
  /**
   * The role a task's code runs as when its resource attaches none and mounts nothing (a
   * resource that mounts gets a task role of its own): ECS Exec only. It lives under
   * WORKLOAD_ROLE_PATH, so it is passed like any registered role and no more.
   */
  readonly defaultTaskRole: iam.Role;
  /** The pull-through cache every task's images come through (image-cache.ts). */
  readonly imageCache: ImageCache;
  private readonly gitImage: string | undefined;

  constructor(scope: Construct, id: string, props: ComputeProps) {
    super(scope, id);
    this.gitImage = props.gitImage;
    this.vpc = props.existingVpc ? importVpc(this, props.existingVpc) : this.newVpc(props.availabilityZones);

    // What is typed in an ECS Exec session (shell access) is logged, for audit.
    this.execLogs = new logs.LogGroup(this, 'ExecSessions', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
      executeCommandConfiguration: {
        logging: ecs.ExecuteCommandLogging.OVERRIDE,
        // The group is encrypted at rest by CloudWatch Logs; a KMS-key check by the agent would need a key of its own.
        logConfiguration: { cloudWatchLogGroup: this.execLogs, cloudWatchEncryptionEnabled: false },
      },
    });

    // No rule admits the group itself: a task must not reach another user's task by its private
    // address. The load balancer's rule is added by the ingress; a Dask cluster's members meet in
    // the cluster's own group (shared/adapters/aws/dask/dask-cluster-security-groups.ts).
    this.tasksSecurityGroup = new ec2.SecurityGroup(this, 'TasksSecurityGroup', {
      vpc: this.vpc,
      description: 'Cassini tasks: reachable from the load balancer only, never from each other',
      allowAllOutbound: true,
    });

    this.taskLogs = new logs.LogGroup(this, 'TaskLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    this.executionRole = this.newExecutionRole();
    this.imageCache = new ImageCache(this, 'ImageCache', props.imageCache ?? {});
    this.imageCache.grantPullThrough(this.executionRole);
    this.defaultTaskRole = new iam.Role(this, 'DefaultTaskRole', {
      description: 'Cassini tasks whose resource attaches no IAM role and mounts nothing: no permissions',
      // Beside the per-resource roles, where the file system policy's allow for registered roles does not reach.
      path: RESOURCE_ROLE_PATH,
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } }),
    });

    // Shell access (ECS Exec) into a service's replicas: the ECS agent opens Session Manager
    // channels with the task role. Without it, `start_ssh` would enable a shell nobody can open.
    this.defaultTaskRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
        resources: ['*'],
      }),
    );
    // The session's log is written by the agent with the task role ("Monitor Amazon ECS Exec
    // sessions": logs:DescribeLogGroups, and CreateLogStream / PutLogEvents on the group).
    this.defaultTaskRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: ['*'] }));
    this.defaultTaskRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${this.execLogs.logGroupArn}:log-stream:*`] }));
    Validations.of(this.defaultTaskRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Session Manager message channels (ECS Exec) and logs:DescribeLogGroups have no resource-level permissions; the channels open only for tasks whose service enables ECS Exec.',
    });
    acknowledgeWildcardResource(this.defaultTaskRole, `${this.execLogs.logGroupArn}:log-stream:*`, 'ECS Exec names one log stream per session: writing is allowed on the streams of the exec session log group only.');

    this.gpuCapacity = this.newGpuCapacity(props.gpu);
    for (const { provider } of this.gpuCapacity) this.cluster.addAsgCapacityProvider(provider);
    this.cluster.addDefaultCapacityProviderStrategy([{ capacityProvider: 'FARGATE', weight: 1 }]);
  }

  private newVpc(availabilityZones: string[] | undefined): ec2.Vpc {
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    return new ec2.Vpc(this, 'Vpc', {
      // Given explicitly, or two of the region's: either way no availability-zone lookup.
      ...(availabilityZones ? { availabilityZones } : { maxAzs: 2 }),
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
      ],
      // Image layers come from S3 and the control plane's data is in DynamoDB: keep that traffic off the NAT gateway.
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
  }

  private newExecutionRole(): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'TaskExecutionRole', {
      description: 'ECS task execution role of Cassini tasks',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
    });
    const repositories = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [repositories],
      }),
    );
    this.taskLogs.grantWrite(role);
    // No secret: a definition that names secrets runs with its resource's own execution role,
    // which may read those and no other (constructs/resource-roles.ts).
    Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken has no resource-level permissions.' });
    acknowledgeWildcardResource(role, repositories, 'Users choose images at run time (catalog or full URI): pulls are allowed from any repository of this account and no other.');
    return role;
  }

  /** The instances' role, security group and launch settings are shared; each type gets its own launch template, group and provider. */
  private newGpuCapacity(gpu: ComputeProps['gpu']): GpuCapacity[] {
    if (gpu.instanceTypes.length === 0) return [];
    const securityGroup = new ec2.SecurityGroup(this, 'GpuInstancesSecurityGroup', {
      vpc: this.vpc,
      description: 'Cassini GPU container instances: no inbound traffic (tasks use awsvpc networking and the tasks group)',
      allowAllOutbound: true,
    });
    const role = new iam.Role(this, 'GpuInstanceRole', {
      description: 'Cassini GPU container instances (ECS agent)',
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    });
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The ECS agent registers the instance and polls for work: ecs:DiscoverPollEndpoint, Poll, StartTelemetrySession and ' +
          'ecr:GetAuthorizationToken have no resource-level permissions (statements written by CDK addAsgCapacityProvider; cluster actions are scoped to the cluster).',
      },
      {
        id: 'AwsSolutions-IAM5[Action::ecs:Submit*]',
        reason: 'ecs:Submit* (SubmitContainerStateChange, SubmitTaskStateChange, ...) is how the ECS agent reports task state; CDK writes it scoped to this cluster.',
      },
    );
    return gpu.instanceTypes.map((instanceType) => {
      const id = `Gpu${constructIdOf(instanceType)}`;
      const userData = ec2.UserData.forLinux();
      // Tasks never see the instance role: no route to the metadata service, IMDSv2 only, one hop.
      blockTaskMetadataAccess(userData);
      const launchTemplate = new ec2.LaunchTemplate(this, `${id}LaunchTemplate`, {
        machineImage: ecs.EcsOptimizedImage.amazonLinux2(ecs.AmiHardwareType.GPU),
        instanceType: new ec2.InstanceType(instanceType),
        userData,
        role,
        securityGroup,
        ...lockedDownMetadataOptions(),
        detailedMonitoring: true,
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            volume: ec2.BlockDeviceVolume.ebs(GPU_ROOT_VOLUME_GIB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3, deleteOnTermination: true }),
          },
        ],
      });
      const instances = new autoscaling.AutoScalingGroup(this, `${id}Instances`, {
        vpc: this.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        minCapacity: 0,
        maxCapacity: gpu.maxInstances,
        // The launch template names the one instance type this group launches.
        launchTemplate,
        healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      });
      Validations.of(instances).acknowledge({
        id: 'AwsSolutions-AS3',
        reason: 'ECS managed scaling drives this group; its scaling activities show in ECS, CloudWatch and the Auto Scaling history, and operators act on alarms rather than a notification per instance.',
      });
      const provider = new ecs.AsgCapacityProvider(this, `${id}Capacity`, {
        autoScalingGroup: instances,
        machineImageType: ecs.MachineImageType.AMAZON_LINUX_2,
        enableManagedScaling: true,
        targetCapacityPercent: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: 10,
        enableManagedTerminationProtection: true,
        enableManagedDraining: true,
      });
      this.forceDeleteOnStackDeletion(id, instances, provider);
      return { instanceType, instances, provider };
    });
  }

  /**
   * `cdk destroy` with GPU instances running: ECS managed termination protection marks them
   * protected from scale-in, so the group never empties and its deletion waits forever (and the
   * cluster's, for their container instances). Before the group, the capacity provider and the
   * cluster are deleted, this resource deletes the group with ForceDelete, which terminates its
   * instances whatever their protection and drops pending lifecycle actions
   * (DeleteAutoScalingGroup, Amazon EC2 Auto Scaling API Reference). A group already gone is fine.
   */
  private forceDeleteOnStackDeletion(id: string, instances: autoscaling.AutoScalingGroup, provider: ecs.AsgCapacityProvider): void {
    const forceDelete = new cr.AwsCustomResource(this, `${id}ForceDelete`, {
      onDelete: {
        service: 'AutoScaling',
        action: 'DeleteAutoScalingGroup',
        parameters: { AutoScalingGroupName: instances.autoScalingGroupName, ForceDelete: true },
        // "AutoScalingGroup name not found": deleted already.
        ignoreErrorCodesMatching: 'ValidationError',
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['autoscaling:DeleteAutoScalingGroup'], resources: [instances.autoScalingGroupArn] })]),
      installLatestAwsSdk: false,
    });
    // Deleted first: it depends on what it must outlive.
    forceDelete.node.addDependency(instances, provider, this.cluster);
    acknowledgeWildcardResource(forceDelete, instances.autoScalingGroupArn, 'An Auto Scaling group ARN holds a random id CloudFormation assigns: the grant names this one group by name, and only DeleteAutoScalingGroup.');
    // The function CDK shares between the stack's AwsCustomResources, named after its UUID.
    const sharedFunction = Stack.of(this).node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (sharedFunction) {
      Validations.of(sharedFunction).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's AwsCustomResource provider function writes its own logs with the basic execution policy; what it may do besides is the narrow statement of each custom resource.",
      });
    }
  }

  /** The GPU instance types provisioned, for the API's list of sizes (GPU_INSTANCE_TYPES, read by functions/api/handler.ts). */
  offeredGpuEnvironment(): Record<string, string> {
    return { GPU_INSTANCE_TYPES: this.gpuCapacity.map((c) => c.instanceType).join(',') };
  }

  /**
   * Lets `grantee` hand ECS the roles a task may use: the shared execution role, and the roles
   * under RESOURCE_ROLE_PATH (the default task role, and each resource's own task and execution
   * roles, constructs/resource-roles.ts). Nothing else: a role an admin registered is never a
   * task role, the resource's own task role assumes it (registered-role-profile.ts).
   */
  grantPassTaskRoles(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn, platformRolesArn(this)],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    acknowledgeGrantedWildcard(
      grantee,
      platformRolesArn(this),
      `Each resource's own task and execution roles are made at run time under the IAM path ${RESOURCE_ROLE_PATH}; only those (and the default task role there) can be passed, and only to ECS tasks.`,
    );
  }

  /** Where tasks run, for the functions that launch them (shared/adapters/aws/tasks/ecs-platform.ts reads these). */
  taskEnvironment(): Record<string, string> {
    return {
      ECS_CLUSTER: this.cluster.clusterName,
      TASK_SUBNETS: this.vpc.privateSubnets.map((s) => s.subnetId).join(','),
      TASK_SECURITY_GROUP: this.tasksSecurityGroup.securityGroupId,
      TASK_EXECUTION_ROLE_ARN: this.executionRole.roleArn,
      TASK_ROLE_ARN: this.defaultTaskRole.roleArn,
      TASK_LOG_GROUP: this.taskLogs.logGroupName,
      // `type=provider` pairs (shared/adapters/aws/tasks/capacity-strategy.ts reads them).
      GPU_CAPACITY_PROVIDERS: this.gpuCapacity.map((c) => `${c.instanceType}=${c.provider.capacityProviderName}`).join(','),
      // Tasks' secrets are named by ARN in their definitions (ECS wants ARNs); the random suffix Secrets Manager resolves.
      // Secrets' full ARNs are resolved by name (shared/adapters/aws/secrets/secret-arns.ts), and services' token secrets go under it.
      SECRET_PREFIX: PLATFORM_SECRET_PREFIX,
      TASK_SECRET_ARN_PREFIX: Stack.of(this).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: PLATFORM_SECRET_PREFIX, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ...(this.gitImage ? { GIT_IMAGE: this.gitImage } : {}),
      ...this.imageCache.environment(),
    };
  }

  /**
   * Lets `grantee` run the platform's task definitions (`cassini-*` families) in this cluster,
   * tag the tasks it starts, list and stop tasks of this cluster, describe and register task
   * definitions, resolve the full ARNs of the platform's secrets the definitions name
   * (secretsmanager:DescribeSecret under the platform prefix: metadata, never a value), and pass
   * the task roles (`grantPassTaskRoles`).
   */
  grantRunTasks(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    const inCluster = { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } };
    const definitions = Stack.of(this).formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${TASK_FAMILY_PREFIX}*:*` });
    const tasks = this.taskArns();
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: [definitions], conditions: inCluster }));
    // RunTask with tags is also authorized as ecs:TagResource on the new task.
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:TagResource'], resources: [tasks], conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } } }));
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:StopTask'], resources: [tasks], conditions: inCluster }));
    // ListTasks is authorized on container instances; the cluster condition is what limits it.
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: inCluster }));
    // Neither has resource-level permissions.
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], resources: ['*'] }));
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret'], resources: [platformSecretsArn(this)] }));
    acknowledgeGrantedWildcard(grantee, platformSecretsArn(this), `Secrets are created at run time under the platform prefix "${PLATFORM_SECRET_PREFIX}": task definitions name them by the full ARN DescribeSecret returns.`);
    acknowledgeGrantedWildcard(grantee, definitions, `Task definitions are registered at run time, one family per spec hash (${TASK_FAMILY_PREFIX}<hash>): RunTask is allowed on those families, in this cluster only.`);
    acknowledgeGrantedWildcard(grantee, tasks, 'Task ids are chosen by ECS at launch: tagging (at RunTask only) and stopping are allowed on the tasks of this cluster only.');
    this.grantPassTaskRoles(grantee);
  }

  /**
   * Lets `grantee` run deployments and workspaces as ECS services (shared/adapters/aws/services/ecs-service-runtime.ts):
   * create, update, delete, describe and tag the services named `cassini-*` in this cluster,
   * on the platform's task definitions only. Registering those definitions and passing their
   * roles is `grantRunTasks`. Also each revision's SATURN_TOKEN secret
   * (shared/adapters/aws/tasks/task-token-secrets.ts): create (with tags) and delete secrets under
   * `<platform prefix>_tasks/` only — never a user's secret.
   */
  grantManageServices(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    const services = this.serviceArns();
    const definitions = Stack.of(this).formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${TASK_FAMILY_PREFIX}*:*` });
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:CreateService', 'ecs:UpdateService'],
        resources: [services],
        conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn }, ArnLike: { 'ecs:task-definition': definitions } },
      }),
    );
    // TagResource: the tags CreateService sets, and the revision tag each update moves.
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DeleteService', 'ecs:TagResource'], resources: [services] }));
    this.grantDescribeServices(grantee);
    const tokenSecrets = taskTokenSecretsArn(this);
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret'], resources: [tokenSecrets] }));
    acknowledgeGrantedWildcard(grantee, tokenSecrets, `Each service revision's SATURN_TOKEN secret is created at run time under "${PLATFORM_SECRET_PREFIX}${TASK_TOKEN_SECRET_FOLDER}" (named by the revision): creating, tagging and deleting are allowed there only.`);
    acknowledgeGrantedWildcard(grantee, services, `Services are created at run time, one per deployment or workspace (${SERVICE_NAME_PREFIX}<resource id>): allowed on those names in this cluster only.`);
  }

  /** Lets `grantee` describe the platform's services in this cluster (their deployments, counts and tags). */
  grantDescribeServices(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [this.serviceArns()] }));
    acknowledgeGrantedWildcard(grantee, this.serviceArns(), `Services are created at run time, one per deployment or workspace (${SERVICE_NAME_PREFIX}<resource id>): allowed on those names in this cluster only.`);
  }

  /** The ARN prefix of this cluster's services, for rules on their events. */
  serviceArnPrefix(): string {
    return Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: `${this.cluster.clusterName}/` });
  }

  private serviceArns(): string {
    return Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: `${this.cluster.clusterName}/${SERVICE_NAME_PREFIX}*` });
  }

  /**
   * Lets `grantee` list the tasks of this cluster (the API finds a Dask cluster's tasks by
   * `startedBy`). ListTasks is authorized on container instances: the cluster condition limits it.
   */
  grantListTasks(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } } }));
    const scope = Construct.isConstruct(grantee) ? grantee : Construct.isConstruct(grantee.grantPrincipal) ? grantee.grantPrincipal : undefined;
    if (scope) Validations.of(scope).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecs:ListTasks has no resource-level permissions; the ecs:cluster condition limits it to this cluster.' });
  }

  /** Lets `grantee` describe the tasks of this cluster. */
  grantDescribeTasks(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [this.taskArns()], conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } } }));
  }

  private taskArns(): string {
    return Stack.of(this).formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.cluster.clusterName}/*` });
  }
}

/** The secrets the platform owns: `cassini/...` (Secrets Manager appends a random suffix to every ARN). */
export function platformSecretsArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${PLATFORM_SECRET_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Where tasks' token secrets live under the platform prefix (TASK_TOKEN_FOLDER of task-token-secrets.ts). */
export const TASK_TOKEN_SECRET_FOLDER = '_tasks/';

/** Tasks' token secrets: `cassini/_tasks/...`. */
export function taskTokenSecretsArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${PLATFORM_SECRET_PREFIX}${TASK_TOKEN_SECRET_FOLDER}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** The roles the platform hands ECS: under RESOURCE_ROLE_PATH. */
export function platformRolesArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${RESOURCE_ROLE_PATH.replace(/^\//, '')}*` });
}

/** The task roles an admin may register: roles under WORKLOAD_ROLE_PATH. */
export function workloadRolesArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${WORKLOAD_ROLE_PATH.replace(/^\//, '')}*` });
}

/** `g5.xlarge` → `G5Xlarge`: a construct id part per instance type. */
function constructIdOf(instanceType: string): string {
  return instanceType
    .split(/[^a-z0-9]+/i)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function importVpc(scope: Construct, existing: ExistingVpc): ec2.IVpc {
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId: existing.vpcId,
    availabilityZones: existing.availabilityZones,
    privateSubnetIds: existing.privateSubnetIds,
    ...(existing.publicSubnetIds.length > 0 ? { publicSubnetIds: existing.publicSubnetIds } : {}),
  });
  Validations.of(vpc).acknowledge({
    id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
    reason: 'Nothing in the stack adds routes to an existing VPC (no gateway endpoints, no NAT): its route tables are never read.',
  });
  return vpc;
}
