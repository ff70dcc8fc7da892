/**
 * The serving port on AWS: a deployment or workspace is one ECS service (`cassini-<resource
 * id>`) behind the platform's load balancer, its workspace home an EFS access point. ECS does
 * what the port promises of a runtime — replaces crashed replicas, rolls revisions out with the
 * deployment circuit breaker and rolls back a revision that never gets healthy — and its task
 * and deployment events come back as reports (ecs-service-state.ts, functions/task-state).
 *
 * `apply` registers the revision's task definition (`cassini-<resource id>-r<revision>`, so
 * every task and deployment names its revision), makes the routes (alb-routes.ts) and lists
 * their sign-in URLs on the load balancer's Cognito app client (cognito-callback-urls.ts), then
 * creates the service or updates it. Every revision's task carries the edge sidecar
 * (edge-sidecar.ts) when the stack has a load balancer: the service's load balancers name the
 * sidecar's ports, never the app's. A signed-in route withdrawn (stopped, removed, renamed or
 * made `unauthenticated`) gives its URL up before its rule goes, so a failed attempt retried
 * still finds the rule and the URL to remove. Applying a revision the service already runs
 * changes nothing. A plan that can never run (an unknown size, the load balancer's route quota
 * or the app client's callback URL quota reached) is reported `failed` instead of thrown, so the
 * caller does not retry it forever; anything else is thrown for the caller to retry.
 *
 * SATURN_TOKEN: a revision whose plan asks for one (`platformTokenFor`, a user owner) gets a
 * token of its own, held in the secret `<prefix>_tasks/<family>` (task-token-secrets.ts) that
 * its definition names, so every replica of the revision (and one ECS starts after a rollback
 * to it) has it. A group-owned resource gets none (a token acts as a user), as locally. The
 * revisions holding a secret are always a contiguous run ending at the newest one applied:
 * a rollout of revision N retires those below N (`retireBefore`), a stop or removal all of
 * them, each time from the newest down to the first revision that has no secret.
 */
import { createHash } from 'node:crypto';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type CapacityProviderStrategyItem,
  type CreateServiceCommandInput,
  type DeploymentConfiguration,
  type ECSClient,
  type LoadBalancer,
  type Service,
  type Tag,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { NotFoundError } from '../../../domain/errors.ts';
import { sizeNamed, type Size } from '../../../domain/sizes.ts';
import type { Clock } from '../../../ports/platform-clock.ts';
import type { ServicePlan, ServiceReports, ServiceRuntime } from '../../../ports/service-runtime.ts';
import type { TaskSpec } from '../../../ports/task-driver.ts';
import { RouteLimitError, type AlbRoutes, type RoutedPort } from './alb-routes.ts';
import type { DaskClusterSecurityGroups } from '../dask/dask-cluster-security-groups.ts';
import { CallbackUrlLimitError, signInCallbackUrl, type CognitoCallbackUrls } from './cognito-callback-urls.ts';
import { containerEnvironment, containerScript, SERVICE_PORT } from '../tasks/container-overrides.ts';
import { resolveAttachments, type AttachmentResolvers } from '../tasks/ecs-attachments.ts';
import { daskTlsClusterOf, withDaskTls } from '../dask/dask-tls-task-parts.ts';
import type { EfsHomeVolumes } from '../storage/efs-home-volumes.ts';
import { EDGE_CONTAINER, edgePortsFor, type EdgeSidecarSettings } from './edge-sidecar.ts';
import { sshAgentStartLines, type SshAgentSettings } from './ssh-agent-task-parts.ts';
import type { SshAgentSecrets } from '../ssh/ssh-agent-secrets.ts';
import { MAIN_CONTAINER, type EcsTaskDefinitions, type ServiceContainerParams } from '../tasks/ecs-task-definitions.ts';
import { serviceWoundDown } from './ecs-service-state.ts';
import { MissingSecretError, type SecretArns } from '../secrets/secret-arns.ts';
import { resourceTags, revisionOfTaskDefinition, serviceFamilyFor, serviceNameFor } from './service-names.ts';
import type { TaskTokenSecrets } from '../tasks/task-token-secrets.ts';
import { capacityFor, missingCapacity, type GpuCapacityProviders } from '../tasks/capacity-strategy.ts';
import type { ResourceRoles } from '../iam/resource-roles.ts';
import { retryWhileRolePropagates, type RolePropagationOptions } from '../iam/role-propagation.ts';

/** CreateService's clientToken: at most 36 ASCII characters. */
const MAX_CLIENT_TOKEN = 36;
const MAX_TAG_VALUE = 256;

/** Roll out by starting new replicas before stopping old ones, and roll back a revision that never gets healthy. */
export const DEPLOYMENT_CONFIGURATION: DeploymentConfiguration = {
  deploymentCircuitBreaker: { enable: true, rollback: true },
  minimumHealthyPercent: 100,
  maximumPercent: 200,
};

/** A plan that no retry can make run. */
export class UnrunnablePlanError extends Error {
  override name = 'UnrunnablePlanError';
}

/** The load balancer side: AlbRoutes, or nothing to route to when the stack has no domain. */
export type ServiceRoutes = Pick<AlbRoutes, 'ensure' | 'detach' | 'remove' | 'signInHosts' | 'signedInHostsOf'>;

/** The sign-in side: the load balancer's Cognito app client, or nothing when the stack has no domain. */
export type SignInCallbacks = Pick<CognitoCallbackUrls, 'add' | 'remove'>;

export interface EcsServiceRuntimeOptions {
  client: ECSClient;
  cluster: string;
  /** Private subnets: replicas get no public address; the load balancer reaches them in the VPC. */
  subnets: string[];
  securityGroups: string[];
  /** Dask clusters' security groups (dask-cluster-security-groups.ts): replicas of a resource with a cluster join its group. */
  daskClusterGroups?: Pick<DaskClusterSecurityGroups, 'ensure'>;
  /** The cluster's capacity provider for each GPU instance type it provisions. */
  gpuCapacityProviders: GpuCapacityProviders;
  definitions: EcsTaskDefinitions;
  routes: ServiceRoutes;
  callbacks: SignInCallbacks;
  homes: Pick<EfsHomeVolumes, 'ensure' | 'removeOf'>;
  fileSystemId: string;
  /** Shared folders' EFS access points (efs-shared-folders.ts). */
  folders?: AttachmentResolvers['folders'];
  reports: Pick<ServiceReports, 'failed' | 'stopped'>;
  clock: Clock;
  /** A fresh resolver of secrets' full ARNs per apply (secret-arns.ts); without it secrets are named by partial ARN. */
  secretArns?: () => Pick<SecretArns, 'arnOf'>;
  /** Revisions' SATURN_TOKEN secrets (task-token-secrets.ts); without it replicas get none. */
  tokenSecrets?: Pick<TaskTokenSecrets, 'create' | 'remove'>;
  /**
   * The edge sidecar every revision's task carries (edge-sidecar.ts), the only container the
   * load balancer reaches. Without it (a stack with no load balancer, which routes nothing) the
   * app's own ports are mapped.
   */
  edge?: EdgeSidecarSettings;
  /**
   * The SSH agent of workspaces with `start_ssh` (ssh-agent-task-parts.ts), when the stack has
   * the SSH gateway: each such workspace's agent secret is made before its definition and
   * service, and deleted with it. Without it `start_ssh` gives ECS Exec only.
   */
  sshAgent?: { settings: SshAgentSettings; secrets: Pick<SshAgentSecrets, 'ensure' | 'remove'> };
  /** Where a revision that gets no SATURN_TOKEN is said. */
  log?: { info(message: string, attributes: Record<string, unknown>): void };
  /** The resource's own roles (resource-roles.ts, made by `definitions`): deleted with the resource. */
  roles?: Pick<ResourceRoles, 'removeOf'>;
  /** How long CreateService and UpdateService are tried again while ECS cannot assume a new role yet (role-propagation.ts). */
  rolePropagation?: RolePropagationOptions;
}

/** The revision itself in the token when it fits (readable in CloudTrail), else a hash of both. */
export function serviceClientToken(resourceId: string, revision: number): string {
  const token = `${resourceId}r${revision}`;
  return token.length <= MAX_CLIENT_TOKEN ? token : createHash('sha256').update(token).digest('hex').slice(0, MAX_CLIENT_TOKEN);
}

/** Owner, resource, type, name and revision: on the service, and through propagation on every replica. */
export function serviceTags(plan: ServicePlan): Tag[] {
  const tags = { ...resourceTags(plan), 'cassini:revision': String(plan.revision) };
  return Object.entries(tags).map(([key, value]) => ({ key, value: value.slice(0, MAX_TAG_VALUE) }));
}

/**
 * The container a revision runs: the plan's task as one script, $PORT and a PORT_N per other
 * routed port, behind the edge sidecar, with the SSH agent beside the command when the plan
 * asks for shell access and the stack has the gateway.
 */
export function serviceContainer(plan: ServicePlan, home: ServiceContainerParams['home'], edge?: EdgeSidecarSettings, sshAgent?: SshAgentSettings): ServiceContainerParams {
  const family = serviceFamilyFor(plan.resourceId, plan.revision);
  const otherPorts = [...(plan.task.extraPorts ?? []), ...plan.routes.map((r) => r.containerPort)].filter((p) => p !== SERVICE_PORT);
  const spec: TaskSpec = { ...plan.task, taskId: family, group: serviceNameFor(plan.resourceId), extraPorts: [...new Set(otherPorts)] };
  const agent = plan.shellAccess && sshAgent ? sshAgent : undefined;
  return {
    family,
    script: containerScript(spec, agent ? sshAgentStartLines() : []),
    environment: containerEnvironment(spec),
    ports: [SERVICE_PORT, ...spec.extraPorts!],
    ...(home ? { home } : {}),
    ...(edge ? { edge: { plan, settings: edge } } : {}),
    ...(agent ? { sshAgent: { settings: agent, workspace: { owner: plan.owner, resourceId: plan.resourceId } } } : {}),
  };
}

/** Each route's target group, sending to the edge sidecar's port for the route (or, with no sidecar, to the app's). */
export function loadBalancersFor(routed: RoutedPort[], plan: Pick<ServicePlan, 'routes'>, edge: boolean): LoadBalancer[] {
  const edgePorts = edgePortsFor(plan).routes;
  return routed.map((r) =>
    edge
      ? { targetGroupArn: r.targetGroupArn, containerName: EDGE_CONTAINER, containerPort: edgePorts.get(r.containerPort)! }
      : { targetGroupArn: r.targetGroupArn, containerName: MAIN_CONTAINER, containerPort: r.containerPort },
  );
}

function sameLoadBalancers(a: LoadBalancer[] | undefined, b: LoadBalancer[]): boolean {
  const key = (list: LoadBalancer[]) => list.map((l) => `${l.targetGroupArn}|${l.containerName}|${l.containerPort}`).sort().join(',');
  return key(a ?? []) === key(b);
}

/** The newest revision a service has run or is rolling out, read from its task definitions. */
export function newestRevisionOf(service: Service | undefined): number | undefined {
  const definitions = [service?.taskDefinition, ...(service?.deployments ?? []).map((d) => d.taskDefinition)];
  const revisions = definitions.flatMap((d) => (d ? [revisionOfTaskDefinition(d)?.revision] : [])).filter((r): r is number => r !== undefined);
  return revisions.length > 0 ? Math.max(...revisions) : undefined;
}

function sameGroups(service: Service, securityGroups: string[]): boolean {
  return [...(service.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [])].sort().join(',') === [...securityGroups].sort().join(',');
}

function sameCapacity(a: CapacityProviderStrategyItem[] | undefined, b: CapacityProviderStrategyItem[]): boolean {
  return (a ?? []).map((c) => c.capacityProvider).join(',') === b.map((c) => c.capacityProvider).join(',');
}

export class EcsServiceRuntime implements ServiceRuntime {
  constructor(private readonly options: EcsServiceRuntimeOptions) {}

  async apply(plan: ServicePlan): Promise<void> {
    try {
      await this.rollTo(plan);
    } catch (error) {
      if (!(error instanceof UnrunnablePlanError || error instanceof RouteLimitError || error instanceof CallbackUrlLimitError || error instanceof MissingSecretError)) throw error;
      await this.options.reports.failed({ resourceId: plan.resourceId, revision: plan.revision, reason: error.message, at: this.now() });
    }
  }

  async stop(resourceId: string, _reason: string): Promise<void> {
    const { client, cluster, routes } = this.options;
    await this.withdrawSignIn(resourceId);
    await routes.detach(resourceId);
    const service = await this.describe(resourceId);
    if (service?.status === 'ACTIVE' && service.desiredCount !== 0) {
      await client.send(new UpdateServiceCommand({ cluster, service: serviceNameFor(resourceId), desiredCount: 0 }));
    }
    // Replicas being stopped have read their token; it stops acting now.
    await this.retireFrom(resourceId, newestRevisionOf(service));
    // With replicas still running, the task-state function reports `stopped` when the last one stops.
    if (serviceWoundDown(service && { ...service, desiredCount: 0 })) await this.options.reports.stopped({ resourceId, at: this.now() });
  }

  /** `revision` rolled out: no replica of an older revision runs, nor can ECS roll back to one, so their tokens go. */
  async retireBefore(resourceId: string, revision: number): Promise<void> {
    await this.retireFrom(resourceId, revision - 1);
  }

  async remove(resourceId: string): Promise<void> {
    const { client, cluster, routes, homes } = this.options;
    const service = await this.describe(resourceId);
    if (service?.status === 'ACTIVE') {
      // `force` deletes a service that still has replicas: ECS stops them.
      await client.send(new DeleteServiceCommand({ cluster, service: serviceNameFor(resourceId), force: true }));
    }
    await this.withdrawSignIn(resourceId);
    await routes.remove(resourceId);
    await homes.removeOf(resourceId);
    await this.retireFrom(resourceId, newestRevisionOf(service));
    await this.options.roles?.removeOf(resourceId);
    await this.removeSshAgentSecret(resourceId, service);
    if (serviceWoundDown(service && { ...service, status: 'DRAINING' })) await this.options.reports.stopped({ resourceId, at: this.now() });
  }

  private async rollTo(plan: ServicePlan): Promise<void> {
    const size = sizeNamed(plan.instanceType);
    if (!size) throw new UnrunnablePlanError(`unknown size ${JSON.stringify(plan.instanceType)}`);
    const unplaceable = missingCapacity(size, this.options.gpuCapacityProviders);
    if (unplaceable) throw new UnrunnablePlanError(unplaceable);
    const accessPointId = plan.homeVolume ? await this.options.homes.ensure(plan.homeVolume, plan) : undefined;
    const home = accessPointId ? { fileSystemId: this.options.fileSystemId, accessPointId } : undefined;
    const { attachments: planned } = plan.task;
    const { folders, secretArns } = this.options;
    const resolved = await resolveAttachments(planned, { ...(folders ? { folders } : {}), ...(secretArns ? { secrets: secretArns() } : {}) });
    const platformTokenSecretArn = planned?.platformTokenFor === undefined ? undefined : await this.tokenSecretFor(plan, planned.platformTokenFor);
    // Before the definition that names it: ECS reads it when a replica starts.
    if (plan.shellAccess && this.options.sshAgent) await this.options.sshAgent.secrets.ensure({ owner: plan.owner, resourceId: plan.resourceId });
    const attachments = withDaskTls(resolved && platformTokenSecretArn ? { ...resolved, platformTokenSecretArn } : resolved, daskTlsClusterOf([plan.task]));
    const taskDefinition = await this.options.definitions.ensureService({
      resourceId: plan.resourceId,
      image: plan.image,
      size,
      ...(planned?.taskRoleArn ? { taskRoleArn: planned.taskRoleArn } : {}),
      ...(attachments ? { attachments } : {}),
      container: serviceContainer(plan, home, this.options.edge, this.options.sshAgent?.settings),
    });
    const { routes, callbacks } = this.options;
    const signIn = routes.signInHosts(plan);
    await this.withdrawSignIn(plan.resourceId, signIn);
    const routed = await routes.ensure(plan);
    if (signIn.length > 0) await callbacks.add(signIn.map(signInCallbackUrl));
    const securityGroups = await this.securityGroupsOf(plan);
    const service = await this.describe(plan.resourceId);
    if (service?.status === 'DRAINING') throw new Error(`the ECS service of ${plan.resourceId} is being deleted; try again once it is gone`);
    if (service?.status !== 'ACTIVE') {
      const create = new CreateServiceCommand(this.createInput(plan, size, taskDefinition, routed, securityGroups));
      await retryWhileRolePropagates(() => this.options.client.send(create), this.options.rolePropagation);
      return;
    }
    const update = this.updateInput(plan, size, taskDefinition, routed, service, securityGroups);
    if (!update) return;
    // Replicas take the service's tags when they start, so the revision tag changes first.
    if (service.serviceArn) await this.options.client.send(new TagResourceCommand({ resourceArn: service.serviceArn, tags: serviceTags(plan).filter((t) => t.key === 'cassini:revision') }));
    await retryWhileRolePropagates(() => this.options.client.send(new UpdateServiceCommand(update)), this.options.rolePropagation);
  }

  /** CreateService, the same request on every attempt of a revision, as the clientToken requires. */
  createInput(plan: ServicePlan, size: Size, taskDefinition: string, routed: RoutedPort[], securityGroups = this.options.securityGroups): CreateServiceCommandInput {
    const { cluster, subnets, gpuCapacityProviders } = this.options;
    return {
      cluster,
      serviceName: serviceNameFor(plan.resourceId),
      taskDefinition,
      desiredCount: plan.replicas,
      clientToken: serviceClientToken(plan.resourceId, plan.revision),
      capacityProviderStrategy: capacityFor(size, plan.spot, gpuCapacityProviders),
      deploymentConfiguration: DEPLOYMENT_CONFIGURATION,
      // ECS accepts a grace period only for a service behind a load balancer.
      ...(routed.length > 0 ? { healthCheckGracePeriodSeconds: plan.healthGraceSeconds } : {}),
      enableExecuteCommand: plan.shellAccess,
      loadBalancers: loadBalancersFor(routed, plan, this.options.edge !== undefined),
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups, assignPublicIp: 'DISABLED' } },
      propagateTags: 'SERVICE',
      tags: serviceTags(plan),
      enableECSManagedTags: true,
    };
  }

  /** UpdateService to the plan, or undefined when the service already is what the plan asks. */
  /** The platform's task group, plus the group of the resource's Dask cluster when it has one. */
  private async securityGroupsOf(plan: ServicePlan): Promise<string[]> {
    const { securityGroups, daskClusterGroups } = this.options;
    const cluster = plan.task.daskCluster;
    if (!cluster) return securityGroups;
    if (!daskClusterGroups) throw new UnrunnablePlanError(`${plan.resourceId} has a Dask cluster, and this platform has no Dask cluster security groups (TASK_VPC_ID)`);
    return [...securityGroups, await daskClusterGroups.ensure(cluster)];
  }

  updateInput(plan: ServicePlan, size: Size, taskDefinition: string, routed: RoutedPort[], service: Service, securityGroups = this.options.securityGroups): UpdateServiceCommandInput | undefined {
    const capacity = capacityFor(size, plan.spot, this.options.gpuCapacityProviders);
    const loadBalancers = loadBalancersFor(routed, plan, this.options.edge !== undefined);
    const sameDefinition = service.taskDefinition === taskDefinition;
    // What only new replicas pick up: with the same definition, they must be replaced to get it.
    // A service placed with a constraint (an instance type, before each GPU type had its own provider) is re-placed without it.
    const groupsDiffer = !sameGroups(service, securityGroups);
    const replicasDiffer =
      service.enableExecuteCommand !== plan.shellAccess || !sameCapacity(service.capacityProviderStrategy, capacity) || groupsDiffer || (service.placementConstraints?.length ?? 0) > 0;
    if (sameDefinition && !replicasDiffer && service.desiredCount === plan.replicas && sameLoadBalancers(service.loadBalancers, loadBalancers)) return undefined;
    return {
      cluster: this.options.cluster,
      service: serviceNameFor(plan.resourceId),
      taskDefinition,
      desiredCount: plan.replicas,
      capacityProviderStrategy: capacity,
      // Left out, UpdateService keeps the service's constraints and strategy: a service that once
      // ran on a GPU type would stay pinned to it after a resize. An empty list removes them
      // (UpdateService, Amazon ECS API Reference); each provider's instances are of one type, so
      // none is needed.
      placementConstraints: [],
      placementStrategy: [],
      deploymentConfiguration: DEPLOYMENT_CONFIGURATION,
      ...(routed.length > 0 ? { healthCheckGracePeriodSeconds: plan.healthGraceSeconds } : {}),
      enableExecuteCommand: plan.shellAccess,
      loadBalancers,
      // A Dask cluster added to or dropped from the resource: its replicas join or leave the cluster's group.
      ...(groupsDiffer ? { networkConfiguration: { awsvpcConfiguration: { subnets: this.options.subnets, securityGroups, assignPublicIp: 'DISABLED' as const } } } : {}),
      forceNewDeployment: sameDefinition && replicasDiffer,
    };
  }

  /** The ARN of the revision's token secret (made on its first apply), or undefined when the owner is no user. */
  private async tokenSecretFor(plan: ServicePlan, owner: string): Promise<string | undefined> {
    const { tokenSecrets } = this.options;
    if (!tokenSecrets) return undefined;
    try {
      return await tokenSecrets.create(owner, serviceFamilyFor(plan.resourceId, plan.revision));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      this.options.log?.info('no SATURN_TOKEN: the owner is not a user, and a token acts as a user', { resource: plan.resourceId, revision: plan.revision, owner });
      return undefined;
    }
  }

  /** Retires the token secrets of `revision` and the revisions below it, down to the first without one. */
  private async retireFrom(resourceId: string, revision: number | undefined): Promise<void> {
    const { tokenSecrets } = this.options;
    if (!tokenSecrets || revision === undefined) return;
    for (let r = revision; r >= 1; r--) {
      if (!(await tokenSecrets.remove(serviceFamilyFor(resourceId, r)))) return;
    }
  }

  /** The workspace's agent secret, if it may have one: its owner is read off the service's tags. */
  private async removeSshAgentSecret(resourceId: string, service: Service | undefined): Promise<void> {
    const owner = service?.tags?.find((tag) => tag.key === 'cassini:owner')?.value;
    const type = service?.tags?.find((tag) => tag.key === 'cassini:type')?.value;
    if (!this.options.sshAgent || owner === undefined || type !== 'workspace') return;
    await this.options.sshAgent.secrets.remove({ owner, resourceId });
  }

  /** Takes the callback URLs of the resource's signed-in rules off the app client, but those of the hosts kept. */
  private async withdrawSignIn(resourceId: string, kept: string[] = []): Promise<void> {
    const withdrawn = (await this.options.routes.signedInHostsOf(resourceId)).filter((host) => !kept.includes(host));
    if (withdrawn.length > 0) await this.options.callbacks.remove(withdrawn.map(signInCallbackUrl));
  }

  private async describe(resourceId: string): Promise<Service | undefined> {
    const { services } = await this.options.client.send(new DescribeServicesCommand({ cluster: this.options.cluster, services: [serviceNameFor(resourceId)], include: ['TAGS'] }));
    return services?.[0];
  }

  private now(): string {
    return this.options.clock.now().toISOString();
  }
}
