/**
 * The ECS side of the platform for the Lambda functions that launch and stop tasks (reactor,
 * reconciler), from the environment the CDK stack gives them (infra/aws/cassini-stack.ts):
 *
 * - `ECS_CLUSTER`, `TASK_SUBNETS` (comma-separated), `TASK_SECURITY_GROUP`
 * - `TASK_EXECUTION_ROLE_ARN`, `TASK_ROLE_ARN` (the default task role), `TASK_LOG_GROUP`
 * - `GPU_CAPACITY_PROVIDER`; `AWS_REGION` (set by Lambda)
 * - `PLATFORM_URL` (optional): the API's base URL, given to tasks as SATURN_BASE_URL
 * - `TASK_SECRET_ARN_PREFIX`: `arn:…:secret:<platform prefix>`, what tasks' secrets are read from
 * - `GIT_IMAGE` (optional): the image of the init container that clones repositories
 * - `FILE_SYSTEM_ID` (optional): the EFS file system of shared folders; without it a task with
 *   shared folders fails to start with the reason
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import type { JobRunService } from '../../app/job-run-service.ts';
import type { Clock } from '../../ports/platform-clock.ts';
import { DEFAULT_GIT_IMAGE, type AttachmentSettings } from './ecs-attachments.ts';
import { EcsRunTaskControl } from './ecs-run-task-control.ts';
import { EfsSharedFolders } from './efs-shared-folders.ts';
import { EcsTaskDefinitions } from './ecs-task-definitions.ts';
import { EcsTaskLauncher } from './ecs-task-launcher.ts';

export interface EcsPlatform {
  client: ECSClient;
  cluster: string;
  control: EcsRunTaskControl;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

/** How tasks' attachments are realized, from the environment the stack gives the launching functions. */
export function attachmentSettingsFromEnv(env: NodeJS.ProcessEnv): AttachmentSettings {
  return {
    secretArnPrefix: required(env, 'TASK_SECRET_ARN_PREFIX'),
    gitImage: env.GIT_IMAGE || DEFAULT_GIT_IMAGE,
    ...(env.FILE_SYSTEM_ID ? { fileSystemId: env.FILE_SYSTEM_ID } : {}),
  };
}

export function ecsPlatformFromEnv(jobs: Pick<JobRunService, 'report'>, clock: Clock, env: NodeJS.ProcessEnv = process.env): EcsPlatform {
  const cluster = required(env, 'ECS_CLUSTER');
  const region = required(env, 'AWS_REGION');
  const client = new ECSClient({});
  const definitions = new EcsTaskDefinitions({
    client,
    executionRoleArn: required(env, 'TASK_EXECUTION_ROLE_ARN'),
    taskRoleArn: required(env, 'TASK_ROLE_ARN'),
    logGroup: required(env, 'TASK_LOG_GROUP'),
    region,
    attachmentSettings: attachmentSettingsFromEnv(env),
  });
  const launcher = new EcsTaskLauncher({
    client,
    cluster,
    subnets: required(env, 'TASK_SUBNETS').split(',').filter(Boolean),
    securityGroups: [required(env, 'TASK_SECURITY_GROUP')],
    definitions,
    gpuCapacityProvider: required(env, 'GPU_CAPACITY_PROVIDER'),
    ...(env.FILE_SYSTEM_ID ? { folders: new EfsSharedFolders({ client: new EFSClient({}), fileSystemId: env.FILE_SYSTEM_ID }) } : {}),
    clock: () => clock.now(),
  });
  const platformEnvironment: Record<string, string> = env.PLATFORM_URL ? { SATURN_BASE_URL: env.PLATFORM_URL } : {};
  return { client, cluster, control: new EcsRunTaskControl({ client, cluster, launcher, jobs, clock, platformEnvironment }) };
}
