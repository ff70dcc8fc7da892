import {
  ClientException,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AlbRoutes, RouteLimitError, type RoutedPort, type RoutePlan } from '../../../../shared/adapters/aws/services/alb-routes.ts';
import { CallbackUrlLimitError } from '../../../../shared/adapters/aws/services/cognito-callback-urls.ts';
import { EcsServiceRuntime, type EcsServiceRuntimeOptions } from '../../../../shared/adapters/aws/services/ecs-service-runtime.ts';
import { EcsTaskDefinitions } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import type { ServicePlan } from '../../../../shared/ports/service-runtime.ts';
import { EDGE_CONFIG_VARIABLE } from '../../../../shared/adapters/aws/services/edge-config.ts';
import { EDGE_CODE_BUDGET, type EdgeSidecarSettings } from '../../../../shared/adapters/aws/services/edge-sidecar.ts';
import {
  DEFAULT_SSH_AGENT_IMAGE,
  SSH_AGENT_DIR,
  SSH_AGENT_INSTALL_CONTAINER,
  SSH_AGENT_INSTALL_SCRIPT,
  SSH_AGENT_VOLUME,
  sshAgentStartLines,
  type SshAgentSettings,
} from '../../../../shared/adapters/aws/services/ssh-agent-task-parts.ts';
import { SSH_AGENT_SECRET_VARIABLE, WORKSPACE_SSH_PORT } from '../../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';
import { definitionNeeds, executionRolePolicy } from '../../../../shared/adapters/aws/iam/resource-role-policies.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);

const RESOURCE = '0123456789abcdef0123456789000001';
const SERVICE = `cassini-${RESOURCE}`;
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:123456789012:service/cassini/${SERVICE}`;
const NOW = new Date('2025-03-01T12:00:00.000Z');
const TG_MAIN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/cassini-aaaaaaaaaaaa-8000/1';
const TG_APP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/cassini-aaaaaaaaaaaa-8501/2';

function definitionArn(revision: number): string {
  return `arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-${RESOURCE}-r${revision}:1`;
}

const deployment: ServicePlan = {
  resourceId: RESOURCE,
  type: 'deployment',
  owner: 'ada',
  name: 'api',
  revision: 3,
  replicas: 2,
  task: {
    command: 'uvicorn app:app --port $PORT',
    startScript: 'pip install -r requirements.txt',
    environment: { MODEL: 'small' },
    labels: { owner: 'ada', resource: RESOURCE },
  },
  image: 'public.ecr.aws/saturncloud/saturn-python:2024.08.01',
  instanceType: 'medium',
  spot: false,
  healthCheckPath: '/health',
  healthGraceSeconds: 180,
  routes: [
    { subdomain: 'api-ada', containerPort: 8000, visibility: 'owner' },
    { subdomain: 'api-ada-app', containerPort: 8501, visibility: 'unauthenticated' },
  ],
  viewers: [],
  homeVolume: null,
  shellAccess: false,
  idleShutoffSeconds: null,
};

const workspace: ServicePlan = {
  ...deployment,
  type: 'workspace',
  name: 'lab',
  revision: 1,
  replicas: 1,
  instanceType: 'g5xlarge',
  task: { command: 'exec jupyter lab --port="$PORT"', environment: {}, labels: { owner: 'ada' } },
  healthCheckPath: '/api',
  healthGraceSeconds: 600,
  routes: [{ subdomain: 'lab-ada', containerPort: 8000, visibility: 'owner' }],
  homeVolume: `home-${RESOURCE}`,
  shellAccess: true,
  idleShutoffSeconds: 3600,
};

interface Recorded {
  routes: string[];
  homes: string[];
  reports: Array<[string, unknown]>;
}

/** The hosts AlbRoutes would name, without calling ELB. */
const alb = new AlbRoutes({
  client: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
  listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/cassini/1/2',
  vpcId: 'vpc-0a1b2c3d',
  domain: 'apps.example.com',
  signIn: { userPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf', userPoolClientId: 'lbclient123', userPoolDomain: 'cassini-apps' },
});
const API_CALLBACK = 'https://api-ada.apps.example.com/oauth2/idpresponse';

/** `signedIn`: the hosts the resource's rules sign in on before the call. Routes and callback URLs are recorded in one list, in order. */
function runtime(options: { routeError?: Error; callbackError?: Error; signedIn?: string[]; daskClusterGroups?: { ensure(resourceId: string): Promise<string> }; edge?: EdgeSidecarSettings; sshAgent?: EcsServiceRuntimeOptions['sshAgent'] } = {}) {
  const recorded: Recorded = { routes: [], homes: [], reports: [] };
  const routes = {
    signInHosts: (plan: Pick<RoutePlan, 'routes'>) => alb.signInHosts(plan),
    async signedInHostsOf(): Promise<string[]> {
      return options.signedIn ?? [];
    },
    async ensure(plan: RoutePlan): Promise<RoutedPort[]> {
      if (options.routeError) throw options.routeError;
      recorded.routes.push(`ensure ${plan.resourceId}`);
      return [...new Set(plan.routes.map((r) => r.containerPort))].map((containerPort) => ({ containerPort, targetGroupArn: containerPort === 8000 ? TG_MAIN : TG_APP }));
    },
    async detach(resourceId: string) {
      recorded.routes.push(`detach ${resourceId}`);
    },
    async remove(resourceId: string) {
      recorded.routes.push(`remove ${resourceId}`);
    },
  };
  const callbacks = {
    async add(urls: string[]) {
      if (options.callbackError) throw options.callbackError;
      recorded.routes.push(`add callbacks ${urls.join(' ')}`);
    },
    async remove(urls: string[]) {
      recorded.routes.push(`remove callbacks ${urls.join(' ')}`);
    },
  };
  const homes = {
    async ensure(volume: string) {
      recorded.homes.push(`ensure ${volume}`);
      return 'fsap-0a1b2c3d4e5f60718';
    },
    async removeOf(resourceId: string) {
      recorded.homes.push(`remove ${resourceId}`);
    },
  };
  const record = (kind: string) => async (report: unknown) => void recorded.reports.push([kind, report]);
  const serviceRuntime = new EcsServiceRuntime({
    client,
    cluster: 'cassini',
    subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
    securityGroups: ['sg-0123456789abcdef0'],
    gpuCapacityProviders: { 'g5.xlarge': 'cassini-gpu-g5-xlarge', 'g4dn.xlarge': 'cassini-gpu-g4dn-xlarge' },
    definitions: new EcsTaskDefinitions({
      client,
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      taskRoleArn: 'arn:aws:iam::123456789012:role/cassini-workloads/default',
      logGroup: '/cassini/tasks',
      region: 'eu-west-1',
      attachmentSettings: { secretArnPrefix: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/', gitImage: 'alpine/git:2.45.2' },
    }),
    routes,
    callbacks,
    homes,
    fileSystemId: 'fs-0123456789abcdef0',
    reports: { failed: record('failed'), stopped: record('stopped') },
    clock: { now: () => NOW },
    ...(options.daskClusterGroups ? { daskClusterGroups: options.daskClusterGroups } : {}),
    ...(options.edge ? { edge: options.edge } : {}),
    ...(options.sshAgent ? { sshAgent: options.sshAgent } : {}),
  });
  return { runtime: serviceRuntime, recorded };
}

/** No definition registered yet: ECS registers revision 1 of the family. */
function definitionsRegisterOnce() {
  ecs.on(DescribeTaskDefinitionCommand).rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
  ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => ({
    taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1` },
  }));
}

const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'], securityGroups: ['sg-0123456789abcdef0'], assignPublicIp: 'DISABLED' as const } };

/** A service as DescribeServices shows it (its network configuration, as ECS always reports it, unless given). */
function existing(service: Partial<Service>) {
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceArn: SERVICE_ARN, serviceName: SERVICE, status: 'ACTIVE', networkConfiguration: NETWORK, ...service }] });
}

beforeEach(() => {
  ecs.reset();
});

describe('EcsServiceRuntime.apply, first time', () => {
  it('registers the revision and creates the service behind its routes', async () => {
    // Prepare
    definitionsRegisterOnce();
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: SERVICE_ARN, reason: 'MISSING' }] });
    ecs.on(CreateServiceCommand).resolves({});
    const { runtime: serviceRuntime, recorded } = runtime();

    // Act
    await serviceRuntime.apply(deployment);

    // Assess: the owner route's sign-in URL is listed, the unauthenticated route needs none.
    expect(recorded.routes).toEqual([`ensure ${RESOURCE}`, `add callbacks ${API_CALLBACK}`]);
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(registered.family).toBe(`cassini-${RESOURCE}-r3`);
    expect(registered.requiresCompatibilities).toEqual(['FARGATE']);
    expect(registered.volumes).toBeUndefined();
    expect(registered.containerDefinitions![0]).toMatchObject({
      name: 'main',
      image: deployment.image,
      entryPoint: ['sh', '-c'],
      command: ['pip install -r requirements.txt\nuvicorn app:app --port $PORT'],
      environment: [
        { name: 'MODEL', value: 'small' },
        { name: 'PORT', value: '8000' },
        { name: 'PORT_8501', value: '8501' },
      ],
      portMappings: [
        { containerPort: 8000, protocol: 'tcp' },
        { containerPort: 8501, protocol: 'tcp' },
      ],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/cassini/tasks', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': `cassini-${RESOURCE}-r3` } },
    });
    expect(ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'cassini',
      serviceName: SERVICE,
      taskDefinition: definitionArn(3),
      desiredCount: 2,
      clientToken: `${RESOURCE}r3`,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
      healthCheckGracePeriodSeconds: 180,
      enableExecuteCommand: false,
      loadBalancers: [
        { targetGroupArn: TG_MAIN, containerName: 'main', containerPort: 8000 },
        { targetGroupArn: TG_APP, containerName: 'main', containerPort: 8501 },
      ],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'], securityGroups: ['sg-0123456789abcdef0'], assignPublicIp: 'DISABLED' } },
      propagateTags: 'SERVICE',
      tags: [
        { key: 'cassini:resource', value: RESOURCE },
        { key: 'cassini:owner', value: 'ada' },
        { key: 'cassini:type', value: 'deployment' },
        { key: 'cassini:name', value: 'api' },
        { key: 'cassini:revision', value: '3' },
      ],
      enableECSManagedTags: true,
    });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('mounts a workspace home through its access point and runs a GPU size on the GPU provider with shell access', async () => {
    // Prepare
    definitionsRegisterOnce();
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: SERVICE, status: 'INACTIVE' }] });
    ecs.on(CreateServiceCommand).resolves({});
    const { runtime: serviceRuntime, recorded } = runtime();

    // Act
    await serviceRuntime.apply(workspace);

    // Assess
    expect(recorded.homes).toEqual([`ensure home-${RESOURCE}`]);
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(registered.requiresCompatibilities).toEqual(['EC2']);
    expect(registered.volumes).toEqual([
      {
        name: 'home',
        efsVolumeConfiguration: {
          fileSystemId: 'fs-0123456789abcdef0',
          rootDirectory: '/',
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: 'fsap-0a1b2c3d4e5f60718', iam: 'ENABLED' },
        },
      },
    ]);
    expect(registered.containerDefinitions![0]).toMatchObject({
      mountPoints: [{ sourceVolume: 'home', containerPath: '/home/jovyan', readOnly: false }],
      resourceRequirements: [{ type: 'GPU', value: '1' }],
      portMappings: [{ containerPort: 8000, protocol: 'tcp' }],
    });
    expect(ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input).toMatchObject({
      desiredCount: 1,
      capacityProviderStrategy: [{ capacityProvider: 'cassini-gpu-g5-xlarge', weight: 1 }],
      healthCheckGracePeriodSeconds: 600,
      enableExecuteCommand: true,
      loadBalancers: [{ targetGroupArn: TG_MAIN, containerName: 'main', containerPort: 8000 }],
    });
  });

  it('runs a spot plan on FARGATE_SPOT', async () => {
    definitionsRegisterOnce();
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(CreateServiceCommand).resolves({});

    await runtime().runtime.apply({ ...deployment, spot: true });

    expect(ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
  });
});

describe('EcsServiceRuntime.apply, service exists', () => {
  it('rolls the service to the new revision, moving its revision tag first', async () => {
    // Prepare
    definitionsRegisterOnce();
    existing({
      taskDefinition: definitionArn(2),
      desiredCount: 2,
      enableExecuteCommand: false,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      loadBalancers: [{ targetGroupArn: TG_MAIN, containerName: 'main', containerPort: 8000 }],
    });
    ecs.on(TagResourceCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});

    // Act
    await runtime().runtime.apply({ ...deployment, replicas: 4 });

    // Assess
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
    expect(ecs.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({ resourceArn: SERVICE_ARN, tags: [{ key: 'cassini:revision', value: '3' }] });
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'cassini',
      service: SERVICE,
      taskDefinition: definitionArn(3),
      desiredCount: 4,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      placementConstraints: [],
      placementStrategy: [],
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
      healthCheckGracePeriodSeconds: 180,
      enableExecuteCommand: false,
      loadBalancers: [
        { targetGroupArn: TG_MAIN, containerName: 'main', containerPort: 8000 },
        { targetGroupArn: TG_APP, containerName: 'main', containerPort: 8501 },
      ],
      forceNewDeployment: false,
    });
  });

  it('changes nothing when the service already runs the revision, reusing its registered definition', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: definitionArn(3), status: 'ACTIVE' } });
    existing({
      taskDefinition: definitionArn(3),
      desiredCount: 2,
      enableExecuteCommand: false,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      loadBalancers: [
        { targetGroupArn: TG_APP, containerName: 'main', containerPort: 8501 },
        { targetGroupArn: TG_MAIN, containerName: 'main', containerPort: 8000 },
      ],
    });

    // Act
    await runtime().runtime.apply(deployment);

    // Assess
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
  });

  it('forces new replicas when only what they start with changed (shell access on the same definition)', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: definitionArn(3), status: 'ACTIVE' } });
    existing({ taskDefinition: definitionArn(3), desiredCount: 2, enableExecuteCommand: false, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] });
    ecs.on(TagResourceCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});

    await runtime().runtime.apply({ ...deployment, shellAccess: true });

    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toMatchObject({ enableExecuteCommand: true, forceNewDeployment: true });
  });

  it("puts the replicas of a resource with a Dask cluster in the cluster's security group, moving running ones there", async () => {
    // Prepare
    const daskClusterGroups = { ensure: async (resourceId: string) => `sg-dask-${resourceId}` };
    const withCluster: ServicePlan = { ...deployment, task: { ...deployment.task, daskCluster: RESOURCE } };
    definitionsRegisterOnce();
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(CreateServiceCommand).resolves({});

    // Act: a new service, then one that runs without the group.
    await runtime({ daskClusterGroups }).runtime.apply(withCluster);
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: definitionArn(3), status: 'ACTIVE' } });
    existing({ taskDefinition: definitionArn(3), desiredCount: 2, enableExecuteCommand: false, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] });
    ecs.on(TagResourceCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});
    await runtime({ daskClusterGroups }).runtime.apply(withCluster);

    // Assess
    const groups = { awsvpcConfiguration: { ...NETWORK.awsvpcConfiguration, securityGroups: ['sg-0123456789abcdef0', `sg-dask-${RESOURCE}`] } };
    expect(ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input.networkConfiguration).toEqual(groups);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toMatchObject({ networkConfiguration: groups, forceNewDeployment: true });
    // Its replicas carry the cluster's TLS credentials: the secret of the resource's own cluster, in its owner's folder.
    const main = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.containerDefinitions!.find((c) => c.name === 'main')!;
    expect(main.secrets).toEqual(
      ['ca', 'cert', 'key'].map((key) => ({ name: `CASSINI_DASK_TLS_${key.toUpperCase()}`, valueFrom: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/${deployment.owner}/_dask-tls-${RESOURCE}:${key}::` })),
    );
  });

  it('refuses a resource with a Dask cluster where the platform has no cluster groups, creating nothing', async () => {
    definitionsRegisterOnce();
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    const { runtime: serviceRuntime, recorded } = runtime();

    await serviceRuntime.apply({ ...deployment, task: { ...deployment.task, daskCluster: RESOURCE } });

    expect(recorded.reports).toEqual([['failed', { resourceId: RESOURCE, revision: 3, reason: expect.stringMatching(/no Dask cluster security groups/), at: NOW.toISOString() }]]);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
  });

  // UpdateService leaves a service's placement constraints as they are unless the request names
  // them, and an empty list removes them (UpdateService, Amazon ECS API Reference): a service
  // resized off a GPU type must not stay pinned to it.
  it.each([
    ['from a GPU type to CPU', 'g5xlarge', 'cassini-gpu-g5-xlarge', 'medium', 'FARGATE'],
    ['from CPU to a GPU type', 'medium', 'FARGATE', 'g5xlarge', 'cassini-gpu-g5-xlarge'],
    ['between GPU types', 'g5xlarge', 'cassini-gpu-g5-xlarge', 'g4dnxlarge', 'cassini-gpu-g4dn-xlarge'],
  ])('resizes %s: the new capacity provider, and placement constraints cleared', async (_case, _from, fromProvider, to, toProvider) => {
    // Prepare: a service placed the old way, pinned to its instance type
    definitionsRegisterOnce();
    existing({
      taskDefinition: definitionArn(2),
      desiredCount: 1,
      enableExecuteCommand: true,
      capacityProviderStrategy: [{ capacityProvider: fromProvider, weight: 1 }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == g5.xlarge' }],
    });
    ecs.on(TagResourceCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});

    // Act
    await runtime().runtime.apply({ ...workspace, revision: 3, instanceType: to });

    // Assess
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toMatchObject({
      taskDefinition: definitionArn(3),
      capacityProviderStrategy: [{ capacityProvider: toProvider, weight: 1 }],
      placementConstraints: [],
      placementStrategy: [],
    });
  });

  it('re-places the replicas of a service pinned by a placement constraint even when nothing else changed', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: definitionArn(1), status: 'ACTIVE' } });
    existing({
      taskDefinition: definitionArn(1),
      desiredCount: 1,
      enableExecuteCommand: true,
      capacityProviderStrategy: [{ capacityProvider: 'cassini-gpu-g5-xlarge', weight: 1 }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == g5.xlarge' }],
      loadBalancers: [{ targetGroupArn: TG_MAIN, containerName: 'main', containerPort: 8000 }],
    });
    ecs.on(TagResourceCommand).resolves({});
    ecs.on(UpdateServiceCommand).resolves({});

    await runtime().runtime.apply(workspace);

    // Constraints alone start no deployment (UpdateService): new replicas are forced.
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toMatchObject({ placementConstraints: [], forceNewDeployment: true });
  });

  it('reports a GPU size the stack does not provision as failed, naming the instance type, and creates nothing', async () => {
    const { runtime: serviceRuntime, recorded } = runtime();

    await serviceRuntime.apply({ ...workspace, instanceType: 'p3-8xlarge' });

    expect(recorded.reports).toEqual([['failed', expect.objectContaining({ reason: expect.stringMatching(/p3\.8xlarge instances, which this platform does not provision/) })]]);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('reports a plan the load balancer cannot route as failed instead of throwing', async () => {
    // Prepare
    definitionsRegisterOnce();
    const { runtime: serviceRuntime, recorded } = runtime({ routeError: new RouteLimitError('rules', 'api-ada.apps.example.com', undefined) });

    // Act
    await serviceRuntime.apply(deployment);

    // Assess
    expect(recorded.reports).toEqual([
      ['failed', { resourceId: RESOURCE, revision: 3, reason: expect.stringMatching(/Rules per Application Load Balancer/), at: NOW.toISOString() }],
    ]);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
  });

  it('reports a route the app client has no callback URL left for as failed, naming the quota', async () => {
    // Prepare
    definitionsRegisterOnce();
    const { runtime: serviceRuntime, recorded } = runtime({ callbackError: new CallbackUrlLimitError([API_CALLBACK], 100) });

    // Act
    await serviceRuntime.apply(deployment);

    // Assess
    expect(recorded.reports).toEqual([
      ['failed', { resourceId: RESOURCE, revision: 3, reason: expect.stringMatching(/"Callback URLs per app client"/), at: NOW.toISOString() }],
    ]);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(0);
  });

  it('gives up the sign-in URLs of routes renamed or made unauthenticated before changing the rules, keeping those still signed in', async () => {
    // Prepare: api-ada-app signed in before and is unauthenticated now; old-ada was renamed away.
    definitionsRegisterOnce();
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(CreateServiceCommand).resolves({});
    const { runtime: serviceRuntime, recorded } = runtime({ signedIn: ['api-ada.apps.example.com', 'api-ada-app.apps.example.com', 'old-ada.apps.example.com'] });

    // Act
    await serviceRuntime.apply(deployment);

    // Assess
    expect(recorded.routes).toEqual([
      'remove callbacks https://api-ada-app.apps.example.com/oauth2/idpresponse https://old-ada.apps.example.com/oauth2/idpresponse',
      `ensure ${RESOURCE}`,
      `add callbacks ${API_CALLBACK}`,
    ]);
  });
});

describe('EcsServiceRuntime.stop and remove', () => {
  it('takes the routes off and scales to zero; the task-state function reports stopped later', async () => {
    // Prepare
    existing({ desiredCount: 2, runningCount: 2, pendingCount: 0 });
    ecs.on(UpdateServiceCommand).resolves({});
    const { runtime: serviceRuntime, recorded } = runtime({ signedIn: ['api-ada.apps.example.com'] });

    // Act
    await serviceRuntime.stop(RESOURCE, 'stopped by ada');

    // Assess: the sign-in URL goes first, so a retried stop still finds the rule that names it.
    expect(recorded.routes).toEqual([`remove callbacks ${API_CALLBACK}`, `detach ${RESOURCE}`]);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'cassini', service: SERVICE, desiredCount: 0 });
    expect(recorded.reports).toEqual([]);
  });

  it('reports stopped at once when no replica runs', async () => {
    existing({ desiredCount: 0, runningCount: 0, pendingCount: 0 });
    const { runtime: serviceRuntime, recorded } = runtime();

    await serviceRuntime.stop(RESOURCE, 'idle');

    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(recorded.reports).toEqual([['stopped', { resourceId: RESOURCE, at: NOW.toISOString() }]]);
  });

  it('deletes the service by force, then its sign-in URLs, routes, target groups and home', async () => {
    // Prepare
    existing({ desiredCount: 1, runningCount: 1 });
    ecs.on(DeleteServiceCommand).resolves({});
    const { runtime: serviceRuntime, recorded } = runtime({ signedIn: ['api-ada.apps.example.com'] });

    // Act
    await serviceRuntime.remove(RESOURCE);

    // Assess
    expect(ecs.commandCalls(DeleteServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'cassini', service: SERVICE, force: true });
    expect(recorded.routes).toEqual([`remove callbacks ${API_CALLBACK}`, `remove ${RESOURCE}`]);
    expect(recorded.homes).toEqual([`remove ${RESOURCE}`]);
    expect(recorded.reports).toEqual([]);
  });

  it('removes what is left of a service ECS already forgot, and reports it stopped', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    const { runtime: serviceRuntime, recorded } = runtime();

    await serviceRuntime.remove(RESOURCE);

    expect(ecs.commandCalls(DeleteServiceCommand)).toHaveLength(0);
    expect(recorded.homes).toEqual([`remove ${RESOURCE}`]);
    expect(recorded.reports).toEqual([['stopped', { resourceId: RESOURCE, at: NOW.toISOString() }]]);
  });
});

describe('EcsServiceRuntime.apply with the edge sidecar', () => {
  const edge: EdgeSidecarSettings = {
    image: 'public.ecr.aws/docker/library/node:22.12.0-alpine3.21',
    code: 'H4sIAAAAAAAAA0vOzy0oSi0uBgB6WzMjCwAAAA==',
    region: 'eu-west-1',
    loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/cassini/50dc6c495c0c9188',
    apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
  };

  async function applied(plan: ServicePlan) {
    definitionsRegisterOnce();
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: SERVICE_ARN, reason: 'MISSING' }] });
    ecs.on(CreateServiceCommand).resolves({});
    await runtime({ edge }).runtime.apply(plan);
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    const containers = registered.containerDefinitions!;
    return { registered, edgeContainer: containers.find((c) => c.name === 'edge'), main: containers.find((c) => c.name === 'main')!, created: ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input };
  }

  it.each([
    ['deployment', deployment],
    ['workspace', workspace],
  ])("puts the sidecar in a %s's task definition and sends the load balancer to it, never to the app's ports", async (_kind, plan) => {
    // Act
    const { edgeContainer, main, created } = await applied(plan);

    // Assess
    expect(edgeContainer).toMatchObject({
      image: edge.image,
      essential: true,
      user: '1000',
      readonlyRootFilesystem: true,
      entryPoint: ['node', '-e', expect.stringContaining('gunzipSync')],
      command: [edge.code],
      healthCheck: { command: ['CMD', 'node', '-e', expect.stringContaining('connect(61000')] },
    });
    // The app's ports are not mapped, and the app starts only once the sidecar holds its own.
    expect(main.portMappings).toBeUndefined();
    expect(main.dependsOn).toContainEqual({ containerName: 'edge', condition: 'HEALTHY' });
    const appPorts = plan.routes.map((r) => r.containerPort);
    for (const balancer of created.loadBalancers!) {
      expect(balancer.containerName).toBe('edge');
      expect(appPorts).not.toContain(balancer.containerPort);
      expect(edgeContainer!.portMappings!.map((m) => m.containerPort)).toContain(balancer.containerPort);
    }
  });

  it("tells the sidecar the revision's rule: owner, viewers, each port's visibility, this load balancer and the API", async () => {
    // Act
    const { edgeContainer, created } = await applied({ ...deployment, viewers: [{ name: 'bob', type: 'user' }, { name: 'analytics' }] });

    // Assess
    const config = JSON.parse(edgeContainer!.environment!.find((v) => v.name === EDGE_CONFIG_VARIABLE)!.value!);
    expect(config).toEqual({
      loadBalancerArn: edge.loadBalancerArn,
      region: 'eu-west-1',
      apiUrl: edge.apiUrl,
      owner: 'ada',
      viewers: [{ name: 'bob', type: 'user' }, { name: 'analytics' }],
      routes: [
        { listenPort: 61001, appPort: 8000, visibility: 'owner' },
        { listenPort: 61002, appPort: 8501, visibility: 'unauthenticated' },
      ],
      health: { listenPort: 61000, appPort: 8000, path: '/health' },
    });
    expect(created.loadBalancers).toEqual([
      { targetGroupArn: TG_MAIN, containerName: 'edge', containerPort: 61001 },
      { targetGroupArn: TG_APP, containerName: 'edge', containerPort: 61002 },
    ]);
  });

  it('gives the sidecar ports the app does not route itself', async () => {
    // Act
    const { edgeContainer } = await applied({ ...deployment, routes: [...deployment.routes, { subdomain: 'odd', containerPort: 61000, visibility: 'org' }, { subdomain: 'odder', containerPort: 61002, visibility: 'org' }] });

    // Assess
    const ports = edgeContainer!.portMappings!.map((m) => m.containerPort!);
    // One per routed app port (8000, 8501, 61000, 61002), then the health port.
    expect(ports).toEqual([61003, 61004, 61005, 61006, 61001]);
    for (const port of ports) expect([61000, 61002]).not.toContain(port);
  });
});

describe('EcsServiceRuntime with the SSH agent (workspaces with start_ssh, a stack with the SSH gateway)', () => {
  const BUNDLE_SHA256 = 'ab'.repeat(32);
  const settings: SshAgentSettings = {
    image: DEFAULT_SSH_AGENT_IMAGE,
    bundleUrl: `https://console.example.com/ssh-agent/${BUNDLE_SHA256}.cjs`,
    bundleSha256: BUNDLE_SHA256,
    secretArnPrefix: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cassini/',
  };
  const edge: EdgeSidecarSettings = {
    image: 'public.ecr.aws/docker/library/node:22.12.0-alpine3.21',
    // The sidecar at its whole budget: what the agent adds must fit beside it.
    code: 'A'.repeat(EDGE_CODE_BUDGET),
    region: 'eu-west-1',
    loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/cassini/50dc6c495c0c9188',
    apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
  };

  function withAgent() {
    const calls: string[] = [];
    const secrets = {
      async ensure(workspace: { owner: string; resourceId: string }) {
        calls.push(`ensure ${workspace.owner}/${workspace.resourceId}`);
      },
      async remove(workspace: { owner: string; resourceId: string }) {
        calls.push(`remove ${workspace.owner}/${workspace.resourceId}`);
      },
    };
    definitionsRegisterOnce();
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: { family: string }) => {
      calls.push('register');
      return { taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.family}:1` } };
    });
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: SERVICE_ARN, reason: 'MISSING' }] });
    ecs.on(CreateServiceCommand).callsFake(() => void calls.push('create service'));
    return { calls, ...runtime({ edge, sshAgent: { settings, secrets } }) };
  }

  function registered() {
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    const containers = input.containerDefinitions!;
    return { input, install: containers.find((c) => c.name === SSH_AGENT_INSTALL_CONTAINER), main: containers.find((c) => c.name === 'main')! };
  }

  it("makes the workspace's agent secret before its definition and service exist", async () => {
    // Prepare
    const { runtime: serviceRuntime, calls } = withAgent();

    // Act
    await serviceRuntime.apply(workspace);

    // Assess
    expect(calls).toEqual([`ensure ada/${RESOURCE}`, 'register', 'create service']);
  });

  it('adds the init container, the volume, the read-only mount, the secret and the port to the definition', async () => {
    // Prepare
    const { runtime: serviceRuntime } = withAgent();

    // Act
    await serviceRuntime.apply(workspace);

    // Assess
    const { input, install, main } = registered();
    // "Use bind mounts with Amazon ECS": a volume with a name only is an empty bind mount the task's containers share.
    expect(input.volumes).toContainEqual({ name: SSH_AGENT_VOLUME });
    expect(install).toEqual({
      name: SSH_AGENT_INSTALL_CONTAINER,
      image: DEFAULT_SSH_AGENT_IMAGE,
      // "ContainerDependency" (Amazon ECS API Reference): COMPLETE and SUCCESS can't be set on an essential container.
      essential: false,
      entryPoint: ['node', '-e', SSH_AGENT_INSTALL_SCRIPT],
      environment: [
        { name: 'CASSINI_SSH_AGENT_URL', value: settings.bundleUrl },
        { name: 'CASSINI_SSH_AGENT_SHA256', value: BUNDLE_SHA256 },
        { name: 'CASSINI_SSH_AGENT_DIR', value: SSH_AGENT_DIR },
      ],
      mountPoints: [{ sourceVolume: SSH_AGENT_VOLUME, containerPath: SSH_AGENT_DIR, readOnly: false }],
      logConfiguration: main.logConfiguration,
    });
    expect(main.mountPoints).toContainEqual({ sourceVolume: SSH_AGENT_VOLUME, containerPath: SSH_AGENT_DIR, readOnly: true });
    // "ContainerDependency": COMPLETE waits for the init container to exit, whatever its status, so a failed install never stops the workspace.
    expect(main.dependsOn).toEqual([
      { containerName: 'edge', condition: 'HEALTHY' },
      { containerName: SSH_AGENT_INSTALL_CONTAINER, condition: 'COMPLETE' },
    ]);
    // "Pass Secrets Manager secrets through Amazon ECS environment variables": `secrets` with the secret's ARN as valueFrom.
    expect(main.secrets).toEqual([{ name: SSH_AGENT_SECRET_VARIABLE, valueFrom: `${settings.secretArnPrefix}ada/_ssh-${RESOURCE}` }]);
    expect(main.portMappings).toEqual([{ containerPort: WORKSPACE_SSH_PORT, protocol: 'tcp' }]);
  });

  it("starts the agent after the working directory and start script, right before the workspace's command, which stays last", async () => {
    // Prepare
    const { runtime: serviceRuntime } = withAgent();

    // Act
    await serviceRuntime.apply({ ...workspace, task: { ...workspace.task, workingDirectory: 'project', startScript: 'source activate lab' } });

    // Assess
    const script = registered().main.command![0]!.split('\n');
    expect(script).toEqual(["cd '/home/jovyan/project' || exit 1", 'source activate lab', ...sshAgentStartLines(), workspace.task.command]);
    expect(sshAgentStartLines().at(-1)).toBe(`unset ${SSH_AGENT_SECRET_VARIABLE}`);
  });

  it("drops a variable of the workspace's spec that names the agent's secret, which only ECS may set", async () => {
    // Prepare
    const { runtime: serviceRuntime } = withAgent();

    // Act
    await serviceRuntime.apply({ ...workspace, task: { ...workspace.task, environment: { [SSH_AGENT_SECRET_VARIABLE]: '{"password":"chosen"}', KEPT: 'yes' } } });

    // Assess
    const { main } = registered();
    expect(main.environment!.map((variable) => variable.name)).not.toContain(SSH_AGENT_SECRET_VARIABLE);
    expect(main.environment).toContainEqual({ name: 'KEPT', value: 'yes' });
    expect(main.secrets!.map((secret) => secret.name)).toEqual([SSH_AGENT_SECRET_VARIABLE]);
  });

  it('keeps the definition under the 64 KiB ECS allows, beside the edge sidecar at its whole budget', async () => {
    // Prepare
    const { runtime: serviceRuntime } = withAgent();

    // Act
    await serviceRuntime.apply(workspace);

    // Assess: "Amazon ECS service quotas": task definition size, 64 KiB (the whole JSON of the definition).
    expect(Buffer.byteLength(JSON.stringify(registered().input))).toBeLessThan(64 * 1024);
  });

  it("grants the workspace's execution role its own agent secret and no other secret", async () => {
    // Prepare
    const { runtime: serviceRuntime } = withAgent();
    await serviceRuntime.apply(workspace);
    const grantSettings = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };

    // Act
    const policy = executionRolePolicy(definitionNeeds(registered().input), grantSettings, { tokenFiles: false });

    // Assess: "Pass sensitive data to an Amazon ECS container": the execution role needs secretsmanager:GetSecretValue on
    // each secret; "Permissions policy examples for AWS Secrets Manager": `-??????` matches the six-character suffix only.
    const read = policy.Statement.find((statement) => statement.Sid === 'ReadNamedSecrets')!;
    expect(read).toEqual({ Sid: 'ReadNamedSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [`${settings.secretArnPrefix}ada/_ssh-${RESOURCE}-??????`] });
    const matches = (arn: string) => (read.Resource as string[]).some((pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(arn));
    expect(matches(`${settings.secretArnPrefix}ada/_ssh-${RESOURCE}-AbC123`)).toBe(true);
    expect(matches(`${settings.secretArnPrefix}ada/_ssh-${'f'.repeat(32)}-AbC123`)).toBe(false);
    expect(matches(`${settings.secretArnPrefix}bob/_ssh-${RESOURCE}-AbC123`)).toBe(false);
    expect(matches(`${settings.secretArnPrefix}ada/api-key-AbC123`)).toBe(false);
  });

  it('leaves a deployment, and a workspace without start_ssh, as they were', async () => {
    // Prepare
    const { runtime: serviceRuntime, calls } = withAgent();

    // Act
    await serviceRuntime.apply({ ...workspace, shellAccess: false });

    // Assess
    const { input, install, main } = registered();
    expect(calls).toEqual(['register', 'create service']);
    expect(install).toBeUndefined();
    expect(input.volumes?.some((v) => v.name === SSH_AGENT_VOLUME)).toBeFalsy();
    expect(main.secrets).toBeUndefined();
    expect(main.command![0]).not.toContain(SSH_AGENT_DIR);
  });

  it("deletes the workspace's agent secret with it, its owner read off the service's tags", async () => {
    // Prepare
    const { runtime: serviceRuntime, calls } = withAgent();
    existing({ tags: [{ key: 'cassini:owner', value: 'ada' }, { key: 'cassini:type', value: 'workspace' }] });
    ecs.on(DeleteServiceCommand).resolves({});

    // Act
    await serviceRuntime.remove(RESOURCE);

    // Assess
    expect(calls).toEqual([`remove ada/${RESOURCE}`]);
  });

  it("deletes no secret with a deployment, which never has one", async () => {
    // Prepare
    const { runtime: serviceRuntime, calls } = withAgent();
    existing({ tags: [{ key: 'cassini:owner', value: 'ada' }, { key: 'cassini:type', value: 'deployment' }] });
    ecs.on(DeleteServiceCommand).resolves({});

    // Act
    await serviceRuntime.remove(RESOURCE);

    // Assess
    expect(calls).toEqual([]);
  });
});
