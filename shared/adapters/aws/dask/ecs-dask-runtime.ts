/**
 * Dask clusters on ECS, with the flaws of dask-cloudprovider's ECSCluster fixed:
 *
 * - A stable address. The scheduler is a task registered in a Cloud Map private DNS namespace
 *   (one Cloud Map service per resource, an A record), so its address is
 *   `tls://<resource id>.<namespace>:8786` whatever task runs it; a replaced scheduler takes
 *   over the name, and the resource's tasks keep the address they were given.
 * - Closed to everyone else. Tasks run in private subnets with no public IP, in the platform's
 *   task security group and the cluster's own group (dask-cluster-security-groups.ts), which
 *   admits only its members: the scheduler, the workers and the tasks of the owning resource.
 *   No other user's task, and no other cluster, can connect.
 * - Lost workers replaced. `ensure` compares what runs with the plan (`reconcileDaskCluster`)
 *   and repairs it: a worker reclaimed from FARGATE_SPOT or crashed is started again. The
 *   reconciler calls it every minute for every resource whose cluster should run.
 * - Clean teardown. `stop` stops every task the cluster started (found by `startedBy`, not by
 *   memory, so a Lambda that never saw the start can stop it), deregisters every instance and
 *   deletes the Cloud Map service.
 * - The resource's attachments. Scheduler and workers run the task definition a job task of
 *   the resource would (ecs-attachments.ts): its secrets by ARN, the git init container, an EFS
 *   volume per shared folder, the prelude for file secrets, config files and packages, and the
 *   registered IAM role as task role. Changed attachments are a new definition family, which
 *   tasks started from then on run; the tasks that run keep theirs, as for an image change.
 * - TLS between members. Before a cluster's first task starts, the cluster gets credentials of
 *   its own (a CA, a member certificate and key, in Secrets Manager: dask-tls-secrets.ts); its
 *   tasks, and its resource's tasks, get them as files (dask-tls-task-parts.ts), the scheduler
 *   listens for TLS only and its address is `tls://`. They are deleted with the cluster.
 */
import { createHash } from 'node:crypto';
import { RunTaskCommand, StopTaskCommand, type ECSClient, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  type ServiceAlreadyExists,
  type ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import type { DaskClusterDescription, DaskRuntime } from '../../../ports/dask-runtime.ts';
import type { TaskSpec } from '../../../ports/task-driver.ts';
import { DASK_DASHBOARD_PORT, DASK_SCHEDULER_PORT, daskSchedulerCommand, daskWorkerCommand, type DaskClusterPlan } from '../../../domain/planner/dask-plan.ts';
import { reconcileDaskCluster, type RegisteredInstance } from '../../../domain/planner/dask-reconcile.ts';
import { sizeNamed } from '../../../domain/sizes.ts';
import { capacityFor, type GpuCapacityProviders } from '../tasks/capacity-strategy.ts';
import type { EcsTaskDefinitions } from '../tasks/ecs-task-definitions.ts';
import { resolveAttachments, type AttachmentResolvers, type ResolvedAttachments } from '../tasks/ecs-attachments.ts';
import type { SecretArns } from '../secrets/secret-arns.ts';
import { containerOverrides } from '../tasks/container-overrides.ts';
import { EcsDaskInspector } from './ecs-dask-inspector.ts';
import { daskGroupOf, daskStartedBy } from './dask-task-names.ts';
import { isNamed } from '../sdk-errors.ts';
import { daskRoleScope } from '../iam/resource-roles.ts';
import type { DaskClusterSecurityGroups } from './dask-cluster-security-groups.ts';
import type { DaskTlsSecrets } from './dask-tls-secrets.ts';
import { withDaskTls } from './dask-tls-task-parts.ts';


/** RunTask starts at most this many tasks per call. */
const RUN_TASK_MAX_COUNT = 10;
/** Short, so a replaced scheduler's address is found again quickly. */
const DNS_TTL_SECONDS = 10;
const MAX_STOP_REASON = 255;

export interface EcsDaskRuntimeOptions {
  ecs: ECSClient;
  discovery: ServiceDiscoveryClient;
  cluster: string;
  /** Private subnets. */
  subnets: string[];
  /** The platform's task security group; each cluster's tasks also join the cluster's own group. */
  securityGroups: string[];
  /** One security group per cluster, admitting only itself (dask-cluster-security-groups.ts). */
  clusterGroups: Pick<DaskClusterSecurityGroups, 'ensure' | 'remove' | 'clusterIds'>;
  /** Each cluster's TLS credentials (dask-tls-secrets.ts): made before its first task starts, deleted with it. */
  tlsSecrets: Pick<DaskTlsSecrets, 'ensure' | 'remove'>;
  /** The Cloud Map private DNS namespace, by id and by name (e.g. `dask.cassini.internal`). */
  namespaceId: string;
  namespaceName: string;
  definitions: Pick<EcsTaskDefinitions, 'ensure'>;
  /** Shared folders' EFS access points (efs-shared-folders.ts); without it a cluster whose resource attaches folders cannot start. */
  folders?: AttachmentResolvers['folders'];
  /** A fresh resolver of attached secrets' full ARNs per definition build; without it they are named by partial ARN. */
  secretArns?: () => Pick<SecretArns, 'arnOf'>;
  /** The cluster's capacity provider for each GPU instance type it provisions, for clusters that name GPU sizes. */
  gpuCapacityProviders?: GpuCapacityProviders;
  /** Now, for the window a RunTask client token holds in (`daskRunToken`); injectable for tests. */
  clock?: () => Date;
  /**
   * How long `ensure` waits for a scheduler it started to get its private IP, to register it at
   * once: the resource's tasks, launched right after, then resolve the name. 0 (the default)
   * leaves the registration to the next `ensure` (the reconciler's, within a minute).
   */
  registerWithinMs?: number;
  /** Pause between looks at a starting scheduler; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const SCHEDULER_POLL_MS = 2_000;
/** Passes deciding from the same cluster state within this window start its tasks once. */
export const DASK_RUN_TOKEN_WINDOW_MS = 2 * 60_000;

/**
 * The RunTask client token of one start decision: the same for every pass that decides it from
 * the same cluster state (its Cloud Map service, the tasks it saw running) in the same window,
 * so the reactor and the reconciler racing on one cluster start its scheduler once ("Ensuring
 * idempotency", Amazon ECS API Reference: a repeated token starts nothing new). A cluster
 * stopped and started again gets a new Cloud Map service, hence a new token at once; the window
 * lets a start that failed for capacity be tried again. 64 hex characters: RunTask's limit.
 */
export function daskRunToken(intent: { resourceId: string; serviceId: string; role: 'scheduler' | 'worker'; seenTaskIds: readonly string[]; chunk: number; at: Date }): string {
  const window = Math.floor(intent.at.getTime() / DASK_RUN_TOKEN_WINDOW_MS);
  const seen = [...intent.seenTaskIds].sort().join(',');
  return createHash('sha256').update(`dask|${intent.resourceId}|${intent.serviceId}|${intent.role}|${seen}|${intent.chunk}|${window}`).digest('hex');
}

export class EcsDaskRuntime implements DaskRuntime {
  readonly #options: EcsDaskRuntimeOptions;
  readonly #inspector: EcsDaskInspector;
  readonly #serviceIds = new Map<string, Promise<string>>();

  constructor(options: EcsDaskRuntimeOptions) {
    this.#options = options;
    this.#inspector = new EcsDaskInspector({ ecs: options.ecs, cluster: options.cluster, namespaceName: options.namespaceName });
  }

  /** The name the resource's tasks reach the scheduler by. */
  addressOf(resourceId: string): string {
    return this.#inspector.addressOf(resourceId);
  }

  async ensure(plan: DaskClusterPlan): Promise<{ schedulerAddress: string | null }> {
    try {
      return await this.#ensure(plan);
    } catch (error) {
      // A service id remembered from an earlier call whose service another function (the
      // reactor's stop, the reconciler's) has deleted since: find or create it again, once.
      if (!isNamed(error, 'ServiceNotFound') || !this.#serviceIds.has(plan.resourceId)) throw error;
      this.#serviceIds.delete(plan.resourceId);
      return this.#ensure(plan);
    }
  }

  /**
   * The resources that have something of a cluster here: a Cloud Map service in the namespace
   * (named by the resource id) or a task started for a cluster. The reconciler stops those
   * whose resource should have none, so nothing a lost reaction left behind stays.
   */
  async clusterIds(): Promise<Set<string>> {
    const ids = await this.#inspector.resourcesWithTasks();
    for (const service of await this.#services()) if (service.Name) ids.add(service.Name);
    for (const id of await this.#options.clusterGroups.clusterIds()) ids.add(id);
    return ids;
  }

  async #ensure(plan: DaskClusterPlan): Promise<{ schedulerAddress: string | null }> {
    const serviceId = await this.#serviceId(plan.resourceId);
    const [running, registered] = await Promise.all([this.#tasks(plan.resourceId), this.#instances(serviceId)]);
    let actions = reconcileDaskCluster(plan.numWorkers, running.map((r) => r.view), registered);
    // Resolved once for both roles, and only when a task starts (credentials, access points, secret ARNs).
    const attachments = actions.startScheduler || actions.startWorkers > 0 ? await this.#resolve(plan) : undefined;
    const seen = { serviceId, seenTaskIds: running.map((r) => r.view.id) };
    if (actions.startScheduler) await this.#run(plan, attachments, 'scheduler', 1, seen);
    if (actions.startWorkers > 0) await this.#run(plan, attachments, 'worker', actions.startWorkers, seen);
    for (const task of actions.stop) await this.#stopTask(task, `the Dask cluster of ${plan.resourceId} has more tasks than its plan`);
    if (actions.startScheduler && this.#options.registerWithinMs) actions = await this.#awaitScheduler(plan, registered, this.#options.registerWithinMs);
    if (actions.register) {
      await this.#options.discovery.send(
        new RegisterInstanceCommand({
          ServiceId: serviceId,
          InstanceId: actions.register.id,
          CreatorRequestId: actions.register.id,
          Attributes: { AWS_INSTANCE_IPV4: actions.register.ip },
        }),
      );
    }
    for (const instance of actions.deregister) await this.#deregister(serviceId, instance);
    return { schedulerAddress: this.addressOf(plan.resourceId) };
  }

  /** What to register once the scheduler just started has its address, looking until `withinMs` has passed. */
  async #awaitScheduler(plan: DaskClusterPlan, registered: RegisteredInstance[], withinMs: number) {
    const sleep = this.#options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    let actions = reconcileDaskCluster(plan.numWorkers, [], registered);
    for (let waited = 0; waited < withinMs && !actions.register; waited += SCHEDULER_POLL_MS) {
      await sleep(SCHEDULER_POLL_MS);
      const running = (await this.#tasks(plan.resourceId)).map((t) => t.view);
      // Registration only: what else the cluster lacks is the next ensure's.
      actions = { ...reconcileDaskCluster(plan.numWorkers, running, registered), startScheduler: false, startWorkers: 0, stop: [] };
    }
    return actions;
  }

  /**
   * Scales a running cluster: extra workers stop; new ones start like the ones that run (same
   * definition, overrides and capacity). A cluster with no worker to copy needs `ensure`.
   */
  async scale(resourceId: string, numWorkers: number): Promise<void> {
    const tasks = await this.#tasks(resourceId);
    const workers = tasks.filter((t) => t.view.role === 'worker');
    const actions = reconcileDaskCluster(numWorkers, tasks.map((t) => t.view), []);
    for (const task of actions.stop.filter((id) => workers.some((w) => w.view.id === id))) await this.#stopTask(task, `the Dask cluster was scaled to ${numWorkers} workers`);
    const model = workers[0]?.task;
    if (actions.startWorkers === 0 || !model) return;
    const intent = { resourceId, serviceId: (await this.#existingServiceId(resourceId)) ?? 'none', role: 'worker' as const, seenTaskIds: tasks.map((t) => t.view.id) };
    await this.#runCount(
      intent,
      {
        cluster: this.#options.cluster,
        taskDefinition: model.taskDefinitionArn,
        startedBy: daskStartedBy(resourceId),
        group: daskGroupOf(resourceId, 'worker'),
        capacityProviderStrategy: [{ capacityProvider: model.capacityProviderName, weight: 1 }],
        networkConfiguration: await this.#network(resourceId),
        ...(model.overrides ? { overrides: model.overrides } : {}),
        ...(model.tags?.length ? { tags: model.tags } : {}),
      },
      actions.startWorkers,
    );
  }

  async stop(resourceId: string, reason: string, owner?: string): Promise<void> {
    for (const { view } of await this.#tasks(resourceId)) await this.#stopTask(view.id, reason);
    const serviceId = await this.#existingServiceId(resourceId);
    this.#serviceIds.delete(resourceId);
    if (serviceId !== null) await this.#deleteService(serviceId);
    // Refused while a stopping task (or the owner's) still holds it: the reconciler's next stop deletes it.
    await this.#options.clusterGroups.remove(resourceId);
    if (owner !== undefined) await this.#options.tlsSecrets.remove({ owner, resourceId });
  }

  async #deleteService(serviceId: string): Promise<void> {
    try {
      for (const instance of await this.#instances(serviceId)) await this.#deregister(serviceId, instance.id);
      await this.#options.discovery.send(new DeleteServiceCommand({ Id: serviceId }));
    } catch (error) {
      // Deregistration is asynchronous in Cloud Map: the next stop (or the reconciler) deletes it.
      // A service already deleted (by another function) is what a stop wants.
      if (!isNamed(error, 'ResourceInUse', 'ServiceNotFound')) throw error;
    }
  }

  describe(resourceId: string): Promise<DaskClusterDescription> {
    return this.#inspector.describe(resourceId);
  }

  async schedulerAddress(resourceId: string): Promise<string | null> {
    const tasks = await this.#tasks(resourceId);
    return tasks.some((t) => t.view.role === 'scheduler') ? this.addressOf(resourceId) : null;
  }

  async #network(resourceId: string): Promise<RunTaskCommandInput['networkConfiguration']> {
    const securityGroups = [...this.#options.securityGroups, await this.#options.clusterGroups.ensure(resourceId)];
    return { awsvpcConfiguration: { subnets: this.#options.subnets, securityGroups, assignPublicIp: 'DISABLED' } };
  }

  /** The plan's attachments with their access points and secret ARNs, and the cluster's TLS credentials (made now if they are not yet). */
  async #resolve(plan: DaskClusterPlan): Promise<ResolvedAttachments | undefined> {
    const { folders, secretArns, tlsSecrets } = this.#options;
    const cluster = { owner: plan.owner, resourceId: plan.resourceId };
    await tlsSecrets.ensure(cluster);
    return withDaskTls(await resolveAttachments(plan.attachments, { ...(folders ? { folders } : {}), ...(secretArns ? { secrets: secretArns() } : {}) }), cluster);
  }

  async #run(plan: DaskClusterPlan, attachments: ResolvedAttachments | undefined, role: 'scheduler' | 'worker', count: number, seen: { serviceId: string; seenTaskIds: string[] }): Promise<void> {
    const instanceType = role === 'scheduler' ? plan.scheduler.instanceType : plan.worker.instanceType;
    const size = sizeNamed(instanceType);
    if (!size) throw new Error(`unknown size ${JSON.stringify(instanceType)}`);
    const taskRoleArn = plan.attachments?.taskRoleArn;
    const taskDefinition = await this.#options.definitions.ensure({ resourceId: daskRoleScope(plan.resourceId), image: plan.image, size, ...(taskRoleArn ? { taskRoleArn } : {}), ...(attachments ? { attachments } : {}) });
    const command =
      role === 'scheduler'
        ? daskSchedulerCommand({ port: DASK_SCHEDULER_PORT, dashboardPort: DASK_DASHBOARD_PORT, protocol: 'tls' })
        : daskWorkerCommand(plan.worker, this.addressOf(plan.resourceId));
    const spec: TaskSpec = {
      taskId: `dask-${role}-${plan.resourceId}`,
      group: daskGroupOf(plan.resourceId, role),
      command,
      ...(plan.startScript ? { startScript: plan.startScript } : {}),
      environment: plan.environment,
      labels: { ...plan.labels, dask: role },
    };
    await this.#runCount(
      { resourceId: plan.resourceId, role, ...seen },
      {
        cluster: this.#options.cluster,
        taskDefinition,
        startedBy: daskStartedBy(plan.resourceId),
        group: spec.group,
        capacityProviderStrategy: capacityFor(size, role === 'worker' && plan.worker.spot, this.#options.gpuCapacityProviders ?? {}),
        networkConfiguration: await this.#network(plan.resourceId),
        overrides: containerOverrides(spec),
        tags: Object.entries(spec.labels).map(([key, value]) => ({ key, value })),
      },
      count,
    );
  }

  async #runCount(intent: Omit<Parameters<typeof daskRunToken>[0], 'chunk' | 'at'>, input: RunTaskCommandInput, count: number): Promise<void> {
    const at = this.#options.clock?.() ?? new Date();
    for (let left = count, chunk = 0; left > 0; left -= RUN_TASK_MAX_COUNT, chunk++) {
      const clientToken = daskRunToken({ ...intent, chunk, at });
      try {
        const { failures } = await this.#options.ecs.send(new RunTaskCommand({ ...input, count: Math.min(left, RUN_TASK_MAX_COUNT), clientToken }));
        // A failed start is left to the next reconcile; say why meanwhile.
        for (const failure of failures ?? []) console.error(JSON.stringify({ level: 'warn', message: 'a Dask task did not start', group: input.group, reason: failure.reason, detail: failure.detail }));
      } catch (error) {
        // The token is in use by another pass's request for the same decision (its definition or
        // overrides may differ): that pass started these tasks.
        if (!isNamed(error, 'ConflictException')) throw error;
      }
    }
  }

  async #stopTask(task: string, reason: string): Promise<void> {
    try {
      await this.#options.ecs.send(new StopTaskCommand({ cluster: this.#options.cluster, task, reason: reason.slice(0, MAX_STOP_REASON) }));
    } catch (error) {
      if (!isNamed(error, 'InvalidParameterException')) throw error;
    }
  }

  async #deregister(serviceId: string, instanceId: string): Promise<void> {
    try {
      await this.#options.discovery.send(new DeregisterInstanceCommand({ ServiceId: serviceId, InstanceId: instanceId }));
    } catch (error) {
      if (!isNamed(error, 'InstanceNotFound')) throw error;
    }
  }

  #tasks(resourceId: string) {
    return this.#inspector.tasks(resourceId);
  }

  async #instances(serviceId: string): Promise<RegisteredInstance[]> {
    const instances: RegisteredInstance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.#options.discovery.send(new ListInstancesCommand({ ServiceId: serviceId, NextToken }));
      for (const i of page.Instances ?? []) instances.push({ id: i.Id!, ip: i.Attributes?.AWS_INSTANCE_IPV4 ?? '' });
      NextToken = page.NextToken;
    } while (NextToken);
    return instances;
  }

  /**
   * The resource's Cloud Map service, created on first use. Names are unique in a namespace, so
   * a repeat or a race gets ServiceAlreadyExists with the existing id. No fixed CreatorRequestId:
   * Cloud Map would answer a later one (a restart after a stop) with the deleted service.
   */
  #serviceId(resourceId: string): Promise<string> {
    const known = this.#serviceIds.get(resourceId);
    if (known) return known;
    const created = this.#createService(resourceId);
    this.#serviceIds.set(resourceId, created);
    created.catch(() => this.#serviceIds.delete(resourceId));
    return created;
  }

  async #createService(resourceId: string): Promise<string> {
    try {
      const { Service } = await this.#options.discovery.send(
        new CreateServiceCommand({
          Name: resourceId,
          NamespaceId: this.#options.namespaceId,
          Description: `Dask scheduler of resource ${resourceId}`,
          DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: DNS_TTL_SECONDS }] },
        }),
      );
      return Service!.Id!;
    } catch (error) {
      const existing = isNamed(error, 'ServiceAlreadyExists') ? (error as Partial<ServiceAlreadyExists>).ServiceId : undefined;
      if (existing) return existing;
      throw error;
    }
  }

  /** The service's id if it exists; a stop creates nothing. */
  async #existingServiceId(resourceId: string): Promise<string | null> {
    const known = await this.#serviceIds.get(resourceId)?.catch(() => undefined);
    if (known) return known;
    return (await this.#services()).find((service) => service.Name === resourceId)?.Id ?? null;
  }

  /** The namespace's services: one per resource that has (or had) a cluster. */
  async #services(): Promise<Array<{ Id?: string; Name?: string }>> {
    const services: Array<{ Id?: string; Name?: string }> = [];
    let NextToken: string | undefined;
    do {
      const page = await this.#options.discovery.send(
        new ListServicesCommand({ Filters: [{ Name: 'NAMESPACE_ID', Values: [this.#options.namespaceId], Condition: 'EQ' }], NextToken }),
      );
      services.push(...(page.Services ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return services;
  }
}
