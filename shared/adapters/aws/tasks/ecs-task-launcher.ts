/**
 * Starts a run's task specs on ECS. One RunTask per task with `count: 1` — each task has its
 * own environment (its rank), which one multi-task call cannot give — paced by the launch
 * queue, and each carrying a clientToken derived from the task id: whatever the retries (ours,
 * the SDK's, a redelivered event in another process within ECS's token lifetime), a task id
 * starts at most one ECS task.
 *
 * The tasks carry the run in `startedBy` (ListTasks filters on it) and `group`, and the spec's
 * labels as tags for cost allocation.
 *
 * SATURN_TOKEN: when the plan asks for one (`platformTokenFor`), each task's token is written to
 * its own object before its RunTask (task-token-files.ts) and named in `environmentFiles`, so
 * the token is in no request and the definition stays shared. A group-owned resource gets no
 * token (a token acts as a user), as locally; a task that fails to start for good has its token
 * revoked at once, and the task-state function revokes the others when they stop.
 */
import { createHash } from 'node:crypto';
import {
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  type Tag,
} from '@aws-sdk/client-ecs';
import { NotFoundError } from '../../../domain/errors.ts';
import { sizeNamed, type Size } from '../../../domain/sizes.ts';
import type { LaunchedTask, TaskAttachments, TaskSpec } from '../../../ports/task-driver.ts';
import { containerOverrides, SERVICE_PORT, type TokenFileRef } from './container-overrides.ts';
import { resolveAttachments, type AttachmentResolvers } from './ecs-attachments.ts';
import { daskTlsClusterOf, withDaskTls } from '../dask/dask-tls-task-parts.ts';
import type { SecretArns } from '../secrets/secret-arns.ts';
import type { DaskClusterSecurityGroups } from '../dask/dask-cluster-security-groups.ts';
import type { TaskTokenFiles } from './task-token-files.ts';
import type { EcsTaskDefinitions } from './ecs-task-definitions.ts';
import { LaunchQueue, RetryableLaunchError } from './launch-queue.ts';
import { capacityFor, missingCapacity, type GpuCapacityProviders } from './capacity-strategy.ts';
import { errorMessage, isNamed, isThrottling, isTransient } from '../sdk-errors.ts';
import { isRoleNotYetUsable } from '../iam/role-propagation.ts';

// ECS's limits on RunTask and StopTask fields.
const MAX_CLIENT_TOKEN = 64;
const MAX_STARTED_BY = 36;
const MAX_GROUP = 255;
const MAX_TAG_VALUE = 256;
const MAX_STOP_REASON = 255;

/**
 * Failure reasons in a RunTask response that a later attempt may not meet: throttling,
 * Fargate or Spot capacity ("Capacity is unavailable at this time…"), an EC2 host short of
 * CPU, memory, GPU or network interfaces (`RESOURCE:*`), a disconnected agent, a role made for
 * this launch that ECS cannot assume yet (role-propagation.ts).
 */
const RETRYABLE_FAILURE = /throttl|rate exceeded|capacity|RESOURCE:|AGENT|try again|timed? ?out|unable to assume (the )?role/i;
const THROTTLED_FAILURE = /throttl|rate exceeded/i;

export interface EcsTaskLauncherOptions {
  client: ECSClient;
  cluster: string;
  /** Private subnets: tasks get no public address and reach out through NAT or endpoints. */
  subnets: string[];
  securityGroups: string[];
  /** Dask clusters' security groups (dask-cluster-security-groups.ts): a task whose resource has a cluster joins its group. */
  daskClusterGroups?: Pick<DaskClusterSecurityGroups, 'ensure'>;
  definitions: EcsTaskDefinitions;
  /** The cluster's capacity provider for each GPU instance type it provisions. */
  gpuCapacityProviders: GpuCapacityProviders;
  /** Shared folders' EFS access points (efs-shared-folders.ts); without it a task with shared folders cannot start. */
  folders?: AttachmentResolvers['folders'];
  /** A fresh resolver of secrets' full ARNs per launch (secret-arns.ts); without it secrets are named by partial ARN. */
  secretArns?: () => Pick<SecretArns, 'arnOf'>;
  /** Where each task's SATURN_TOKEN is written (task-token-files.ts); without it tasks get none. */
  tokenFiles?: Pick<TaskTokenFiles, 'write' | 'remove'>;
  /** Where a task that gets no SATURN_TOKEN, and a token that could not be revoked, are said. */
  log?: { info(message: string, attributes: Record<string, unknown>): void; warn(message: string, attributes: Record<string, unknown>): void };
  /** Shared by every launch of the process, so the rate holds across runs. Default: Fargate's documented rate. */
  queue?: LaunchQueue;
  clock?: () => Date;
}

/** What a run's tasks need beyond their specs. */
export interface LaunchPlan {
  image: string;
  /** A size name from the hardware catalog. */
  instance_type: string;
  spot: boolean;
  /** The IAM role the resource attached, if any. */
  taskRoleArn?: string;
  /** What every task of the run carries (secrets, repositories, folders, files, packages): part of the task definition. */
  attachments?: TaskAttachments;
}

export interface EcsLaunchedTask extends LaunchedTask {
  taskArn: string;
}

export type LaunchOutcome = ({ status: 'started' } & EcsLaunchedTask) | { status: 'failed'; taskId: string; reason: string };

/** The task id itself when it is a valid token (readable in CloudTrail), else its SHA-256. */
export function clientTokenFor(taskId: string): string {
  const valid = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CLIENT_TOKEN}}$`);
  return valid.test(taskId) ? taskId : createHash('sha256').update(taskId).digest('hex');
}

/** `startedBy` takes letters, digits, `-`, `/`, `_`; run ids are hex, so this rarely changes one. */
export function startedByFor(runId: string): string {
  return runId.replace(/[^A-Za-z0-9/_-]/g, '_').slice(0, MAX_STARTED_BY);
}

/** Labels as `cassini:<label>` tags; values cut to the characters and length tags allow. */
export function tagsFor(labels: Record<string, string>): Tag[] {
  return Object.entries(labels).map(([key, value]) => ({
    key: `cassini:${key}`,
    value: value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+@-]/gu, '_').slice(0, MAX_TAG_VALUE),
  }));
}

export class EcsTaskLauncher {
  private readonly options: EcsTaskLauncherOptions;
  private readonly queue: LaunchQueue;
  private readonly clock: () => Date;

  constructor(options: EcsTaskLauncherOptions) {
    this.options = options;
    this.queue = options.queue ?? new LaunchQueue();
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Starts every spec; resolves when each has started or failed for good, one outcome per spec
   * in order. Rejects only when nothing could be tried (unknown size, no task definition).
   */
  async launch(specs: TaskSpec[], plan: LaunchPlan): Promise<LaunchOutcome[]> {
    const size = sizeNamed(plan.instance_type);
    if (!size) throw new Error(`unknown size ${JSON.stringify(plan.instance_type)}`);
    const unplaceable = missingCapacity(size, this.options.gpuCapacityProviders);
    // No retry can place them: each task fails for good, with the reason, before anything is registered.
    if (unplaceable) return specs.map((spec) => ({ status: 'failed', taskId: spec.taskId, reason: unplaceable }));
    const { folders, secretArns } = this.options;
    // Before anything is registered: a task that could not reach its Dask cluster is not started.
    const groups = await this.securityGroupsOf(specs);
    const resolved = await resolveAttachments(plan.attachments, { ...(folders ? { folders } : {}), ...(secretArns ? { secrets: secretArns() } : {}) });
    const attachments = withDaskTls(resolved, daskTlsClusterOf(specs));
    const resourceId = specs[0]?.labels.resource;
    const taskDefinition = await this.options.definitions.ensure({
      ...(resourceId ? { resourceId } : {}),
      image: plan.image,
      size,
      ...(plan.taskRoleArn ? { taskRoleArn: plan.taskRoleArn } : {}),
      ...(attachments ? { attachments } : {}),
    });
    const owner = plan.attachments?.platformTokenFor;
    return Promise.all(specs.map((spec) => this.launchOne(spec, taskDefinition, size, plan.spot, owner, groups.get(spec.daskCluster))));
  }

  /**
   * Each spec's security groups by the Dask cluster it may reach: the platform's task group,
   * plus that cluster's own group (made now if the cluster's runtime has not made it yet).
   */
  private async securityGroupsOf(specs: TaskSpec[]): Promise<Map<string | undefined, string[]>> {
    const { securityGroups, daskClusterGroups } = this.options;
    const groups = new Map<string | undefined, string[]>([[undefined, securityGroups]]);
    for (const cluster of new Set(specs.flatMap((s) => (s.daskCluster ? [s.daskCluster] : [])))) {
      if (!daskClusterGroups) throw new Error(`the task of ${cluster} reaches a Dask cluster, and this platform has no Dask cluster security groups (TASK_VPC_ID)`);
      groups.set(cluster, [...securityGroups, await daskClusterGroups.ensure(cluster)]);
    }
    return groups;
  }

  /** Stops a task; stopping one that has stopped, or is gone, is fine. */
  async stop(taskArn: string, reason: string): Promise<void> {
    try {
      await this.options.client.send(new StopTaskCommand({ cluster: this.options.cluster, task: taskArn, reason: reason.slice(0, MAX_STOP_REASON) }));
    } catch (error) {
      // ECS forgets stopped tasks after about an hour and then calls them not found.
      if (isNamed(error, 'InvalidParameterException', 'ClientException') && /not found/i.test(errorMessage(error))) return;
      throw error;
    }
  }

  /** The RunTask request for one task; the same on every attempt, as the clientToken requires. */
  private runTaskInput(spec: TaskSpec, taskDefinition: string, size: Size, spot: boolean, securityGroups: string[], tokenFile?: TokenFileRef): RunTaskCommandInput {
    const { cluster, subnets } = this.options;
    const runId = spec.labels.run ?? spec.group;
    return {
      cluster,
      taskDefinition,
      count: 1,
      clientToken: clientTokenFor(spec.taskId),
      startedBy: startedByFor(runId),
      group: `run:${runId}`.slice(0, MAX_GROUP),
      // Each GPU type has its own provider, whose instances are all of that type: no placement constraint is needed.
      capacityProviderStrategy: capacityFor(size, spot, this.options.gpuCapacityProviders),
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups, assignPublicIp: 'DISABLED' } },
      overrides: containerOverrides(spec, tokenFile),
      // Task definitions are shared across resources, so their tags say nothing about a run:
      // the run's own tags go on the task, and nothing is propagated.
      tags: tagsFor(spec.labels),
      enableECSManagedTags: true,
      enableExecuteCommand: false,
    };
  }

  private async launchOne(spec: TaskSpec, taskDefinition: string, size: Size, spot: boolean, owner: string | undefined, securityGroups = this.options.securityGroups): Promise<LaunchOutcome> {
    let tokenFile: TokenFileRef | undefined;
    try {
      tokenFile = owner === undefined ? undefined : await this.tokenFileFor(owner, spec.taskId);
      const input = this.runTaskInput(spec, taskDefinition, size, spot, securityGroups, tokenFile);
      const launched = await this.queue.submit(() => this.attempt(spec.taskId, input));
      return { status: 'started', ...launched };
    } catch (error) {
      // No task will stop to revoke it: the token goes now.
      if (tokenFile) await this.removeTokenFile(spec.taskId, tokenFile.tokenId);
      // Every error that reaches here was worded for a person by this adapter or the queue.
      return { status: 'failed', taskId: spec.taskId, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The task's token file, or undefined when the owner is no user (or tokens are not wired). */
  private async tokenFileFor(owner: string, taskId: string): Promise<TokenFileRef | undefined> {
    const { tokenFiles } = this.options;
    if (!tokenFiles) return undefined;
    try {
      return await tokenFiles.write(owner, taskId);
    } catch (error) {
      if (error instanceof NotFoundError) {
        this.options.log?.info('no SATURN_TOKEN: the owner is not a user, and a token acts as a user', { task: taskId, owner });
        return undefined;
      }
      throw new Error(`the task's SATURN_TOKEN could not be issued: ${errorMessage(error)}`, { cause: error });
    }
  }

  private async removeTokenFile(taskId: string, tokenId: string): Promise<void> {
    try {
      await this.options.tokenFiles?.remove(taskId, tokenId);
    } catch (error) {
      // The launch outcome matters more; the token still expires (TASK_TOKEN_DAYS).
      this.options.log?.warn('could not revoke the SATURN_TOKEN of a task that did not start', { task: taskId, tokenId, error });
    }
  }

  /** One RunTask call, its outcome sorted into started, worth retrying, or failed for good. */
  private async attempt(taskId: string, input: RunTaskCommandInput): Promise<EcsLaunchedTask> {
    let response: RunTaskCommandOutput;
    try {
      response = await this.options.client.send(new RunTaskCommand(input));
    } catch (error) {
      // The token already started a task, from a request that differed (say, another
      // revision of the same definition, registered by a racing process): that task is ours.
      const existing = isNamed(error, 'ConflictException') ? (error as { resourceIds?: string[] }).resourceIds?.[0] : undefined;
      if (existing) return this.launched(taskId, existing, undefined);
      // A timeout may have started the task; the same token on the next attempt returns it.
      const message = `RunTask for ${taskId}: ${errorMessage(error)}`;
      // A role made or changed for this launch may not be assumable yet (role-propagation.ts): the queue tries again, a bounded number of times.
      if (isRoleNotYetUsable(error)) throw new RetryableLaunchError(message, { throttled: false, cause: error });
      if (isTransient(error)) throw new RetryableLaunchError(message, { throttled: isThrottling(error), cause: error });
      throw new Error(message, { cause: error });
    }
    const task = response.tasks?.find((t) => t.taskArn);
    if (task?.taskArn) return this.launched(taskId, task.taskArn, task.createdAt);
    const failure = response.failures?.[0];
    const reason = failure ? [failure.reason, failure.detail].filter(Boolean).join(': ') : 'RunTask started no task and gave no reason';
    // A call that started nothing leaves the token unbound (its lifetime follows the task it
    // created), so the retry may use it again.
    if (RETRYABLE_FAILURE.test(reason)) throw new RetryableLaunchError(`RunTask for ${taskId}: ${reason}`, { throttled: THROTTLED_FAILURE.test(reason) });
    throw new Error(`RunTask for ${taskId}: ${reason}`);
  }

  private launched(taskId: string, taskArn: string, createdAt: Date | undefined): EcsLaunchedTask {
    return { taskId, taskArn, startedAt: (createdAt ?? this.clock()).toISOString(), port: SERVICE_PORT };
  }
}
