/**
 * The whole platform in one stack, one construct per concern (infra/aws/constructs/):
 * event store, identity, API, stream processors, scheduling, compute, storage, ingress (with a
 * domain only), task lifecycle, integrations and observability.
 *
 * The Lambda functions are wired here: the API and its authorizer (in Api); the consumers
 * function (`reactor`: read models and reactions, the consumer pipeline) on the events stream (Processors); the schedule target every job schedule
 * invokes (Scheduling); the task-state function on ECS task state changes and the reconciler
 * every minute (TaskLifecycle). Each gets exactly the grants its code needs
 * (`scheduling.grantManageSchedules`, `compute.grantRunTasks` with the task roles it passes,
 * `compute.grantDescribeTasks`, the reactor's `compute.grantManageServices`,
 * `storage.grantManageHomes`, `grantManageRoutes` and `grantManageSignInCallbacks` for
 * deployments and workspaces, the tables
 * through `eventStore.connect`), which
 * test/infra/aws/least-privilege.test.ts holds to what the code sends.
 */
import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { PlatformConfig } from './config.ts';
import { Api } from './constructs/api.ts';
import { Compute } from './constructs/compute.ts';
import { DaskNetwork } from './constructs/dask-network.ts';
import { EventStore } from './constructs/event-store.ts';
import { Identity } from './constructs/identity.ts';
import { grantManageRoutes, grantManageSignInCallbacks, grantReadRouteTraffic, Ingress } from './constructs/ingress.ts';
import { WebConsole } from './constructs/web-console.ts';
import { Integrations } from './constructs/integrations.ts';
import { acknowledgeGrantedWildcard } from './nag.ts';
import { Observability } from './constructs/observability.ts';
import { Processors } from './constructs/processors.ts';
import { ResourceRoles } from './constructs/resource-roles.ts';
import { Scheduling } from './constructs/scheduling.ts';
import { SshGateway } from './constructs/ssh-gateway.ts';
import { grantKeepSshAgentSecrets, publishedSshAgent, sshAgentEnvironment } from './constructs/ssh-agent-delivery.ts';
import { SshGatewayService } from './constructs/ssh-gateway-service.ts';
import { Storage } from './constructs/storage.ts';
import { TaskLifecycle } from './constructs/task-lifecycle.ts';
import { PlatformFunction } from './platform-function.ts';

export interface CassiniStackProps extends StackProps {
  config: PlatformConfig;
}

export class CassiniStack extends Stack {
  readonly observability: Observability;
  readonly eventStore: EventStore;
  readonly identity: Identity;
  readonly api: Api;
  readonly processors: Processors;
  readonly reactor: PlatformFunction;
  readonly scheduleTarget: PlatformFunction;
  readonly taskState: PlatformFunction;
  readonly reconciler: PlatformFunction;
  readonly scheduling: Scheduling;
  readonly compute: Compute;
  readonly storage: Storage;
  /** The boundaries of the roles made per resource, and the grant to make them. */
  readonly resourceRoles: ResourceRoles;
  readonly console: WebConsole;
  readonly ingress?: Ingress;
  readonly taskLifecycle: TaskLifecycle;
  readonly integrations: Integrations;
  readonly daskNetwork: DaskNetwork;
  /** The SSH entry point, with context `sshPort` only. */
  readonly sshGateway?: SshGateway;
  /** The SSH gateway's tasks, and the function they ask who may log in (with `sshPort` only). */
  readonly sshGatewayService?: SshGatewayService;
  readonly sshAdmission?: PlatformFunction;

  constructor(scope: Construct, id: string, props: CassiniStackProps) {
    super(scope, id, { description: 'Cassini: a self-hosted data-science platform (control plane, compute, storage, ingress)', ...props });
    const { config } = props;
    const observability = (this.observability = new Observability(this, 'Observability', { ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}) }));
    const eventStore = (this.eventStore = new EventStore(this, 'EventStore'));
    const identity = (this.identity = new Identity(this, 'Identity', { adminEmail: config.adminEmail }));
    observability.watchTable(eventStore.events, 'Events table');
    observability.watchTable(eventStore.views, 'Views table');

    this.api = new Api(this, 'Api', { eventStore, identity, observability, routeDomain: config.ingress?.domainName ?? 'localhost', organization: config.organization, ...(config.prices ? { prices: config.prices } : {}) });
    this.processors = new Processors(this, 'Processors', { eventStore, observability });

    this.scheduling = new Scheduling(this, 'Scheduling', { observability });
    this.compute = new Compute(this, 'Compute', { existingVpc: config.vpc, availabilityZones: config.availabilityZones, gpu: config.gpu, imageCache: config.imageCache, ...(config.gitImage ? { gitImage: config.gitImage } : {}) });
    this.storage = new Storage(this, 'Storage', { vpc: this.compute.vpc, clients: this.compute.tasksSecurityGroup });
    // Dask clusters: schedulers named in Cloud Map, each cluster reachable from its own members only.
    const daskNetwork = (this.daskNetwork = new DaskNetwork(this, 'DaskNetwork', { vpc: this.compute.vpc }));
    if (config.ingress) {
      this.ingress = new Ingress(this, 'Ingress', { config: config.ingress, vpc: this.compute.vpc, identity, tasksSecurityGroup: this.compute.tasksSecurityGroup });
      this.api.acceptTokensOf(this.ingress.client);
      observability.watchLoadBalancer(this.ingress.loadBalancer);
    }
    if (config.sshPort !== undefined) {
      this.sshGateway = new SshGateway(this, 'SshGateway', { vpc: this.compute.vpc, port: config.sshPort, tasksSecurityGroup: this.compute.tasksSecurityGroup });
    }
    // With the SSH gateway, workspaces with start_ssh run the SSH agent, published beside the console (ssh-agent-delivery.ts).
    const sshAgent = this.sshGateway ? publishedSshAgent() : undefined;
    this.console = new WebConsole(this, 'Console', {
      identity,
      api: this.api,
      ...(this.ingress ? { signInDomain: this.ingress.userPoolDomain } : {}),
      ...(sshAgent ? { publishedFiles: [sshAgent.source] } : {}),
    });
    this.taskLifecycle = new TaskLifecycle(this, 'TaskLifecycle', { cluster: this.compute.cluster, observability });
    // Each resource's own roles: its task role mounts its access points only, its execution role reads its secrets only.
    const resourceRoles = (this.resourceRoles = new ResourceRoles(this, 'ResourceRoles', {
      fileSystem: this.storage.fileSystem,
      execLogs: this.compute.execLogs,
      taskLogs: this.compute.taskLogs,
      tasksBucket: this.storage.tasksBucket,
    }));
    this.integrations = new Integrations(this, 'Integrations', { eventStore, observability });

    // Job runs on AWS: schedule ticks in, runs launched and stopped on ECS, task states back.
    const scheduleTarget = (this.scheduleTarget = new PlatformFunction(this, 'ScheduleTarget', {
      entry: 'functions/schedule-target/handler.ts',
      description: 'Cassini schedule target: job schedule ticks',
    }));
    eventStore.connect(scheduleTarget);
    this.scheduling.connectTarget(scheduleTarget.fn);

    // Launches wait for ECS's launch rate and retry throttling: more time than a projection.
    // The one Lambda reader of the stream (the integrations pipe is the other): the consumer
    // pipeline, read models first, then the reactions.
    const reactor = (this.reactor = this.processors.addConsumer('Reactor', {
      entry: 'functions/reactor/handler.ts',
      description: 'Cassini consumers: read models, Dask clusters, job runs and schedules, deployments and workspaces, shared folders',
      timeout: Duration.minutes(3),
      // Services' task definitions carry the edge sidecar (shared/adapters/aws/services/edge-sidecar.ts).
      withEdgeSidecar: true,
      environment: {
        ...this.scheduling.environment(),
        ...this.compute.taskEnvironment(),
        PLATFORM_URL: this.api.url,
        FILE_SYSTEM_ID: this.storage.fileSystem.fileSystemId,
        ...(this.ingress?.environment() ?? {}),
        ...(config.edgeImage ? { EDGE_IMAGE: config.edgeImage } : {}),
        ...daskNetwork.daskEnvironment(),
        ...resourceRoles.environment(),
        ...(sshAgent ? sshAgentEnvironment(sshAgent, this.console.url) : {}),
      },
    }));
    resourceRoles.grantManageRoles(reactor);
    if (sshAgent) grantKeepSshAgentSecrets(reactor);
    this.processors.retryDeferred(reactor);
    this.scheduling.grantManageSchedules(reactor);
    this.compute.grantRunTasks(reactor);
    this.compute.grantManageServices(reactor);
    this.storage.grantManageHomes(reactor);
    this.storage.grantManageSharedFolders(reactor);
    grantManageRoutes(this, reactor, this.ingress);
    grantManageSignInCallbacks(reactor, identity.userPool);
    daskNetwork.grantRunClusters(reactor);
    // Job tasks' SATURN_TOKEN files: written before RunTask, read by ECS, deleted when the task stops.
    this.storage.grantWriteTokenFiles(reactor);
    this.storage.grantReadTokenFiles(this.compute.executionRole);
    // The Dask runtime finds a cluster's tasks (and the scheduler's IP) by describing them.
    this.compute.grantDescribeTasks(reactor);

    const taskState = (this.taskState = new PlatformFunction(this, 'TaskState', {
      entry: 'functions/task-state/handler.ts',
      description: 'Cassini task state: ECS task and deployment state changes into run and service events',
      environment: { ECS_CLUSTER: this.compute.cluster.clusterName },
    }));
    eventStore.connect(taskState);
    this.compute.grantDescribeServices(taskState);
    this.storage.grantRemoveTokenFiles(taskState);
    this.taskLifecycle.onTaskStateChange(taskState.fn);

    const reconciler = (this.reconciler = new PlatformFunction(this, 'Reconciler', {
      entry: 'functions/reconciler/handler.ts',
      description: 'Cassini reconciler: backoffs, timeouts, lost tasks and Dask clusters, every minute',
      timeout: Duration.minutes(2),
      // One pass at a time: a pass may outlast the one-minute rate, and two overlapping passes
      // would repair the same drift twice. Reserved concurrency caps the function's concurrent
      // executions ("Configuring reserved concurrency", AWS Lambda Developer Guide); a tick
      // that finds it busy is throttled and retried by EventBridge, or dropped for the next.
      reservedConcurrentExecutions: 1,
      environment: {
        ...this.compute.taskEnvironment(),
        PLATFORM_URL: this.api.url,
        FILE_SYSTEM_ID: this.storage.fileSystem.fileSystemId,
        ...(this.ingress ? { LOAD_BALANCER_ARN: this.ingress.loadBalancer.loadBalancerArn } : {}),
        ...daskNetwork.daskEnvironment(),
        ...resourceRoles.environment(),
      },
    }));
    resourceRoles.grantManageRoles(reconciler);
    eventStore.connect(reconciler);
    grantReadRouteTraffic(reconciler);
    this.compute.grantRunTasks(reconciler);
    this.compute.grantDescribeTasks(reconciler);
    // It relaunches runs (retries), so it gives their tasks shared folders as the reactor does.
    this.storage.grantManageSharedFolders(reconciler);
    // Relaunched runs' tasks get token files; lost tasks' files are deleted.
    this.storage.grantWriteTokenFiles(reconciler);
    // It repairs and tears down Dask clusters (functions/reconciler/dask-clusters.ts).
    daskNetwork.grantRunClusters(reconciler);
    this.taskLifecycle.reconcileWith(reconciler.fn);

    // Job logs on AWS: the API finds a task's log stream (DescribeTasks gives its family) and reads it.
    this.grantReadTaskLogs(this.api.handler);
    // GET /api/info/servers offers the GPU sizes this stack provisions, and no other.
    for (const [key, value] of Object.entries(this.compute.offeredGpuEnvironment())) this.api.handler.addEnvironment(key, value);
    // Dask clusters on AWS: the API describes them from their tasks (ListTasks by startedBy, DescribeTasks).
    this.api.handler.addEnvironment('DASK_NAMESPACE_NAME', daskNetwork.namespace.namespaceName);
    this.compute.grantListTasks(this.api.handler);
    if (this.sshGateway) ({ admission: this.sshAdmission, service: this.sshGatewayService } = this.serveSsh(this.sshGateway, config));
    observability.watchFunction(scheduleTarget, 'Schedule target');
    observability.watchFunction(taskState, 'Task state');
    observability.watchFunction(reconciler, 'Reconciler');
    observability.watchTasksWaitingToStart(reconciler);

    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The web console (sign in with Cognito)' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'UserPoolId', { value: identity.userPool.userPoolId });
    new CfnOutput(this, 'ApiClientId', { value: identity.apiClient.userPoolClientId, description: 'Cognito app client for API sign-in' });
    new CfnOutput(this, 'EventBusName', { value: this.integrations.bus.eventBusName });
    new CfnOutput(this, 'ClusterName', { value: this.compute.cluster.clusterName });
    new CfnOutput(this, 'FileSystemId', { value: this.storage.fileSystem.fileSystemId });
    if (this.sshGateway) new CfnOutput(this, 'SshHost', { value: this.sshGateway.loadBalancer.loadBalancerDnsName, description: `SSH entry point (port ${config.sshPort}); point a name of your own here if you like` });
    if (this.ingress) new CfnOutput(this, 'LoadBalancerDns', { value: this.ingress.loadBalancer.loadBalancerDnsName, description: `Point *.${config.ingress!.domainName} here if no hosted zone was given` });
  }

  /**
   * SSH on AWS: the admission function (SshGate over the events table, nothing else), the
   * gateway's service that invokes it, and `state.ssh` naming the gateway's host in the API.
   */
  private serveSsh(gateway: SshGateway, config: PlatformConfig): { admission: PlatformFunction; service: SshGatewayService } {
    const admission = new PlatformFunction(this, 'SshAdmission', {
      entry: 'functions/ssh-admission/handler.ts',
      description: 'Cassini SSH admission: who may open an SSH session into which workspace, and the sessions\' start and end',
    });
    this.eventStore.connectEventsOnly(admission);
    const service = new SshGatewayService(this, 'SshGatewayService', {
      gateway,
      compute: this.compute,
      admission: admission.fn,
      ...(config.edgeImage ? { image: config.edgeImage } : {}),
    });
    for (const [key, value] of Object.entries(gateway.environment())) this.api.handler.addEnvironment(key, value);
    this.observability.watchFunction(admission, 'SSH admission');
    return { admission, service };
  }

  /**
   * Lets `fn` read the output of the platform's tasks (shared/adapters/aws/logs/cloudwatch-task-logs.ts):
   * where they run and log (ECS_CLUSTER, TASK_LOG_GROUP), ecs:DescribeTasks on the cluster's
   * tasks and logs:GetLogEvents on the task log group's streams, nothing more.
   */
  private grantReadTaskLogs(fn: PlatformFunction): void {
    fn.addEnvironment('ECS_CLUSTER', this.compute.cluster.clusterName);
    fn.addEnvironment('TASK_LOG_GROUP', this.compute.taskLogs.logGroupName);
    this.compute.grantDescribeTasks(fn);
    const streams = this.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${this.compute.taskLogs.logGroupName}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [streams] }));
    acknowledgeGrantedWildcard(fn.role, streams, 'Log streams are named by ECS per task at run time: reading is allowed on the streams of the task log group only.');
    acknowledgeGrantedWildcard(fn.role, this.formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.compute.cluster.clusterName}/*` }), 'Task ids are chosen by ECS at launch: describing is allowed on the tasks of this cluster only.');
  }
}
