/**
 * The ECS side of the platform for the Lambda functions that launch and stop tasks (reactor,
 * reconciler), from the environment the CDK stack gives them (infra/aws/cassini-stack.ts):
 *
 * - `ECS_CLUSTER`, `TASK_SUBNETS` (comma-separated), `TASK_SECURITY_GROUP`
 * - `TASK_EXECUTION_ROLE_ARN`, `TASK_ROLE_ARN` (the default task role), `TASK_LOG_GROUP`
 * - `GPU_CAPACITY_PROVIDERS` (`instance-type=provider`, comma-separated); `AWS_REGION` (set by Lambda)
 * - `PLATFORM_URL` (optional): the API's base URL, given to tasks as SATURN_BASE_URL
 * - `TASK_SECRET_ARN_PREFIX`: `arn:…:secret:<platform prefix>`, what tasks' secrets are read from
 * - `GIT_IMAGE` (optional): the image of the init container that clones repositories
 * - `FILE_SYSTEM_ID` (optional): the EFS file system of shared folders; without it a task with
 *   shared folders fails to start with the reason
 * - `TASK_VPC_ID` (optional): the VPC of Dask clusters' own security groups, which tasks of a
 *   resource with a cluster join; without it such a task cannot start
 * - `DASK_NAMESPACE_NAME` (optional): the Cloud Map namespace of Dask schedulers; a job with a
 *   `dask_cluster` gets `DASK_SCHEDULER_ADDRESS=tls://<job id>.<namespace>:8786`
 * - `SECRET_PREFIX` (optional, default `cassini/`): the platform prefix, to resolve secrets' full ARNs
 * - `TASKS_BUCKET` (optional): the bucket of job tasks' SATURN_TOKEN files (task-token-files.ts);
 *   with the caller's TaskTokens each job task gets a token, else none
 * - `TASK_ROLE_BOUNDARY_ARN`, `EXECUTION_ROLE_BOUNDARY_ARN` (optional), `EXEC_LOG_GROUP`: each
 *   resource gets roles of its own (shared/adapters/aws/iam/resource-roles.ts)
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { JobRunService } from '../../../app/job-run-service.ts';
import type { Clock } from '../../../ports/platform-clock.ts';
import type { TaskTokens } from '../../../ports/task-tokens.ts';
import { DEFAULT_GIT_IMAGE, type AttachmentSettings } from './ecs-attachments.ts';
import { imageCacheFromEnv, type ImageCache } from './image-cache.ts';
import { ECS_TASK_NETWORK, EcsRunTaskControl } from './ecs-run-task-control.ts';
import { cloudMapSchedulerAddress } from '../dask/dask-task-names.ts';
import { EfsSharedFolders } from '../storage/efs-shared-folders.ts';
import { daskClusterGroupsFromEnv, type DaskClusterSecurityGroups } from '../dask/dask-cluster-security-groups.ts';
import { EcsTaskDefinitions } from './ecs-task-definitions.ts';
import { EcsTaskLauncher, type EcsTaskLauncherOptions } from './ecs-task-launcher.ts';
import { SecretArns } from '../secrets/secret-arns.ts';
import { taskTokenFilesFromEnv, type TaskTokenFiles } from './task-token-files.ts';
import { requiredEnv } from '../../required-env.ts';
import { gpuCapacityProvidersFromEnv } from './capacity-strategy.ts';
import { resourceRolesFromEnv, type ResourceRoles } from '../iam/resource-roles.ts';

export interface EcsPlatform {
  client: ECSClient;
  cluster: string;
  control: EcsRunTaskControl;
  /** Job tasks' SATURN_TOKEN files, when the stack has a tasks bucket and the caller gave TaskTokens. */
  tokenFiles?: TaskTokenFiles;
}

/** What the caller adds: who issues and revokes tokens (IdentityService over its event store), and where to log. */
export interface EcsPlatformExtras {
  tokens?: TaskTokens;
  log?: EcsTaskLauncherOptions['log'];
}

/** How tasks' attachments are realized, from the environment the stack gives the launching functions. */
export function attachmentSettingsFromEnv(env: NodeJS.ProcessEnv): AttachmentSettings {
  return {
    secretArnPrefix: requiredEnv(env, 'TASK_SECRET_ARN_PREFIX'),
    gitImage: env.GIT_IMAGE || DEFAULT_GIT_IMAGE,
    ...(env.FILE_SYSTEM_ID ? { fileSystemId: env.FILE_SYSTEM_ID } : {}),
  };
}

/** The task definitions of the platform's tasks: the stack's execution role, default task role, log group and attachment settings. */
export function taskDefinitionsFromEnv(client: ECSClient, env: NodeJS.ProcessEnv): EcsTaskDefinitions {
  return new EcsTaskDefinitions({
    client,
    executionRoleArn: requiredEnv(env, 'TASK_EXECUTION_ROLE_ARN'),
    taskRoleArn: requiredEnv(env, 'TASK_ROLE_ARN'),
    logGroup: requiredEnv(env, 'TASK_LOG_GROUP'),
    region: requiredEnv(env, 'AWS_REGION'),
    attachmentSettings: attachmentSettingsFromEnv(env),
    ...imageCacheOption(env),
    ...resourceRolesOption(env),
  });
}

/** Each resource's own task and execution roles, when the stack gives their boundaries (resource-roles.ts). */
export function resourceRolesOption(env: NodeJS.ProcessEnv): { roles?: ResourceRoles } {
  const roles = resourceRolesFromEnv(env);
  return roles ? { roles } : {};
}

function imageCacheOption(env: NodeJS.ProcessEnv): { imageCache?: ImageCache } {
  const imageCache = imageCacheFromEnv(env);
  return imageCache ? { imageCache } : {};
}

/** Dask clusters' security groups, for the launchers' options, when the stack gives a VPC id. */
export function daskClusterGroupsOption(env: NodeJS.ProcessEnv): { daskClusterGroups?: DaskClusterSecurityGroups } {
  const daskClusterGroups = daskClusterGroupsFromEnv(env);
  return daskClusterGroups ? { daskClusterGroups } : {};
}

/** The private subnets the platform's tasks run in (`TASK_SUBNETS`, comma-separated). */
export function taskSubnetsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return requiredEnv(env, 'TASK_SUBNETS').split(',').filter(Boolean);
}

/**
 * How a launch resolves its tasks' attachments: shared folders' access points (when the stack
 * has a file system; without it a task with folders cannot start) and secrets' full ARNs.
 */
export function attachmentResolversFromEnv(env: NodeJS.ProcessEnv): { folders?: EfsSharedFolders; secretArns: () => SecretArns } {
  return {
    ...(env.FILE_SYSTEM_ID ? { folders: new EfsSharedFolders({ client: new EFSClient({}), fileSystemId: env.FILE_SYSTEM_ID }) } : {}),
    secretArns: secretArnsFromEnv(env),
  };
}

/** A fresh resolver of secrets' full ARNs per definition build (secret-arns.ts). */
export function secretArnsFromEnv(env: NodeJS.ProcessEnv): () => SecretArns {
  const client = new SecretsManagerClient({});
  return () => new SecretArns({ client, ...(env.SECRET_PREFIX ? { prefix: env.SECRET_PREFIX } : {}) });
}

export function ecsPlatformFromEnv(jobs: Pick<JobRunService, 'report'>, clock: Clock, env: NodeJS.ProcessEnv = process.env, extras: EcsPlatformExtras = {}): EcsPlatform {
  const cluster = requiredEnv(env, 'ECS_CLUSTER');
  const client = new ECSClient({});
  const tokenFiles = taskTokenFilesFromEnv(env, extras.tokens);
  const launcher = new EcsTaskLauncher({
    client,
    cluster,
    subnets: taskSubnetsFromEnv(env),
    securityGroups: [requiredEnv(env, 'TASK_SECURITY_GROUP')],
    ...daskClusterGroupsOption(env),
    definitions: taskDefinitionsFromEnv(client, env),
    gpuCapacityProviders: gpuCapacityProvidersFromEnv(env),
    ...attachmentResolversFromEnv(env),
    ...(tokenFiles ? { tokenFiles } : {}),
    ...(extras.log ? { log: extras.log } : {}),
    clock: () => clock.now(),
  });
  const platformEnvironment: Record<string, string> = env.PLATFORM_URL ? { SATURN_BASE_URL: env.PLATFORM_URL } : {};
  // A job's Dask scheduler has a stable Cloud Map name, so its tasks get it in their overrides.
  const namespace = env.DASK_NAMESPACE_NAME;
  const network = namespace ? { ...ECS_TASK_NETWORK, daskSchedulerAddress: (jobId: string) => cloudMapSchedulerAddress(jobId, namespace) } : ECS_TASK_NETWORK;
  return { client, cluster, control: new EcsRunTaskControl({ client, cluster, launcher, jobs, clock, platformEnvironment, network }), ...(tokenFiles ? { tokenFiles } : {}) };
}
