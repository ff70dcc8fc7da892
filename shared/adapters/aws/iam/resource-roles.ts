/**
 * Each resource's own task and execution roles, made by the platform at plan time through the
 * IAM Query API (aws-query-client.ts; the SDK's IAM client would not fit a Lambda bundle):
 * `cassini-task-<resource id>` and `cassini-exec-<resource id>` under the IAM path
 * RESOURCE_ROLE_PATH, each with the platform's permissions boundary for its kind (which caps what
 * any policy written on it can grant) and one inline policy read off the task definition it serves
 * (resource-role-policies.ts). Deleted with the resource.
 *
 * `ensure` is idempotent: a role that exists is kept (EntityAlreadyExists) and its policy
 * written again, so a changed definition (a new shared folder, a removed secret) changes the
 * grant. What a process last wrote is remembered, so a warm function does not write the same
 * policy at every launch. A new role is not usable by ECS at once (IAM is eventually
 * consistent); the callers retry what ECS refuses for that (role-propagation.ts).
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { isNamed } from '../sdk-errors.ts';
import type { ResourceRoleRemoval } from '../../../ports/resource-roles.ts';
import { AwsQueryClient } from '../aws-query-client.ts';
import { imageCacheFromEnv } from '../tasks/image-cache.ts';
import { requiredEnv } from '../../required-env.ts';
import { definitionNeeds, executionRolePolicy, taskRolePolicy, type PolicyDocument, type RoleGrantSettings } from './resource-role-policies.ts';

/** The IAM API version the calls are written against. */
export const IAM_API_VERSION = '2010-05-08';
/** Where the platform's per-resource roles live: under the workload path, apart from the roles admins register. */
export const RESOURCE_ROLE_PATH = '/cassini-workloads/platform/';
/** The one inline policy of each role. */
export const RESOURCE_ROLE_POLICY = 'cassini-grants';
const TASK_ROLE_PREFIX = 'cassini-task-';
const EXECUTION_ROLE_PREFIX = 'cassini-exec-';
/** IAM's limit on a role name. */
const MAX_ROLE_NAME = 64;

export interface ResourceRolesOptions {
  iam: Pick<AwsQueryClient, 'call'>;
  settings: RoleGrantSettings;
  /** The boundaries CreateRole sets (the control plane may create no role without one). */
  taskRoleBoundaryArn: string;
  executionRoleBoundaryArn: string;
}

/** The roles a definition runs with; `taskRoleArn` only when the resource needs one of its own. */
export interface ResourceRoleArns {
  executionRoleArn: string;
  taskRoleArn?: string;
}

/**
 * A resource's Dask cluster runs other definitions than the resource's own tasks (no
 * SATURN_TOKEN, its own certificates): its roles are apart, `cassini-task-<id>-dask` and
 * `cassini-exec-<id>-dask`, so neither rewrites the other's policy.
 */
export function daskRoleScope(resourceId: string): string {
  return `${resourceId}${DASK_SUFFIX}`;
}
const DASK_SUFFIX = '-dask';

export function taskRoleName(resourceId: string): string {
  return roleName(TASK_ROLE_PREFIX, resourceId);
}

export function executionRoleName(resourceId: string): string {
  return roleName(EXECUTION_ROLE_PREFIX, resourceId);
}

function roleName(prefix: string, resourceId: string): string {
  const name = `${prefix}${resourceId.replace(/[^\w+=,.@-]/g, '_')}`;
  if (name.length > MAX_ROLE_NAME) throw new Error(`resource id ${JSON.stringify(resourceId)} is too long for an IAM role name`);
  return name;
}

/** The trust policy of every per-resource role: ECS tasks of this account only ("Amazon ECS task IAM role": aws:SourceAccount). */
function ecsTasksTrust(account: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': account } } }],
  });
}

export class ResourceRoles implements ResourceRoleRemoval {
  readonly #options: ResourceRolesOptions;
  /** Role name → the policy this process last wrote on it. */
  readonly #written = new Map<string, string>();

  constructor(options: ResourceRolesOptions) {
    this.#options = options;
  }

  arnOf(name: string): string {
    const { partition, account } = this.#options.settings;
    return `arn:${partition}:iam::${account}:role${RESOURCE_ROLE_PATH}${name}`;
  }

  /**
   * The roles `definition` (rendered for `resourceId`) runs with: always its own execution role;
   * its own task role when it mounts access points or attaches `registeredRoleArn` (which the
   * task role may then assume, registered-role-profile.ts). A resource with neither runs as the
   * shared default task role, which may do nothing of consequence.
   */
  async ensure(resourceId: string, definition: RegisterTaskDefinitionCommandInput, options: { tokenFiles: boolean; registeredRoleArn?: string }): Promise<ResourceRoleArns> {
    const { settings, taskRoleBoundaryArn, executionRoleBoundaryArn } = this.#options;
    const needs = definitionNeeds(definition);
    const execution = this.#ensureRole(executionRoleName(resourceId), executionRoleBoundaryArn, executionRolePolicy(needs, settings, { tokenFiles: options.tokenFiles }), `Cassini: ECS starts the tasks of ${resourceId} with it`);
    const task =
      needs.accessPoints.length > 0 || options.registeredRoleArn
        ? this.#ensureRole(taskRoleName(resourceId), taskRoleBoundaryArn, taskRolePolicy(needs, settings, options.registeredRoleArn), `Cassini: the tasks of ${resourceId} run as it`)
        : undefined;
    const [executionRoleArn, taskRoleArn] = await Promise.all([execution, task]);
    return { executionRoleArn, ...(taskRoleArn ? { taskRoleArn } : {}) };
  }

  /** Deletes the resource's roles, its Dask cluster's included; roles already gone are fine. */
  async removeOf(resourceId: string): Promise<void> {
    const scopes = [resourceId, daskRoleScope(resourceId)];
    for (const name of scopes.flatMap((scope) => [taskRoleName(scope), executionRoleName(scope)])) {
      this.#written.delete(name);
      // A role with an inline policy cannot be deleted (DeleteConflict): the policy goes first.
      await this.#ignoringMissing(() => this.#options.iam.call('DeleteRolePolicy', { RoleName: name, PolicyName: RESOURCE_ROLE_POLICY }));
      await this.#ignoringMissing(() => this.#options.iam.call('DeleteRole', { RoleName: name }));
    }
  }

  async #ensureRole(name: string, boundaryArn: string, policy: PolicyDocument, description: string): Promise<string> {
    const document = JSON.stringify(policy);
    if (this.#written.get(name) === document) return this.arnOf(name);
    const { iam, settings } = this.#options;
    try {
      await iam.call('CreateRole', {
        RoleName: name,
        Path: RESOURCE_ROLE_PATH,
        AssumeRolePolicyDocument: ecsTasksTrust(settings.account),
        PermissionsBoundary: boundaryArn,
        Description: description,
      });
    } catch (error) {
      if (!isNamed(error, 'EntityAlreadyExists')) throw error;
    }
    await iam.call('PutRolePolicy', { RoleName: name, PolicyName: RESOURCE_ROLE_POLICY, PolicyDocument: document });
    this.#written.set(name, document);
    return this.arnOf(name);
  }

  async #ignoringMissing(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!isNamed(error, 'NoSuchEntity')) throw error;
    }
  }
}

/**
 * The platform's per-resource roles, from the environment the stack gives the launching
 * functions: `TASK_ROLE_BOUNDARY_ARN` and `EXECUTION_ROLE_BOUNDARY_ARN` (without them, every
 * task runs with the shared roles), `AWS_REGION`, and optionally `EXEC_LOG_GROUP` (ECS Exec
 * sessions), `TASKS_BUCKET` (job tasks' token files) and `IMAGE_CACHE_PREFIXES`.
 */
export function resourceRolesFromEnv(env: NodeJS.ProcessEnv): ResourceRoles | undefined {
  const taskRoleBoundaryArn = env.TASK_ROLE_BOUNDARY_ARN;
  const executionRoleBoundaryArn = env.EXECUTION_ROLE_BOUNDARY_ARN;
  if (!taskRoleBoundaryArn || !executionRoleBoundaryArn) return undefined;
  // arn:<partition>:iam::<account>:policy/...
  const [, partition, , , account] = taskRoleBoundaryArn.split(':');
  if (!partition || !account) throw new Error(`TASK_ROLE_BOUNDARY_ARN is not a policy ARN: ${taskRoleBoundaryArn}`);
  const cache = imageCacheFromEnv(env);
  // IAM is global: one endpoint per partition, signed for its first region.
  const endpoint = partition === 'aws' ? 'https://iam.amazonaws.com/' : partition === 'aws-cn' ? 'https://iam.cn-north-1.amazonaws.com.cn/' : `https://iam.${partition === 'aws-us-gov' ? 'us-gov' : partition}.amazonaws.com/`;
  const signingRegion = partition === 'aws' ? 'us-east-1' : partition === 'aws-cn' ? 'cn-north-1' : 'us-gov-west-1';
  return new ResourceRoles({
    iam: new AwsQueryClient({ service: 'iam', version: IAM_API_VERSION, region: signingRegion, credentials: fromEnv(), endpoint }),
    settings: {
      partition,
      account,
      region: requiredEnv(env, 'AWS_REGION'),
      ...(env.EXEC_LOG_GROUP ? { execLogGroup: env.EXEC_LOG_GROUP } : {}),
      ...(env.TASKS_BUCKET ? { tasksBucket: env.TASKS_BUCKET } : {}),
      ...(cache ? { cachePrefixes: Object.values(cache.prefixes) } : {}),
    },
    taskRoleBoundaryArn,
    executionRoleBoundaryArn,
  });
}

/** What a reaction deletes with a resource: its roles, or nothing when the stack makes none. */
export function resourceRoleRemovalFromEnv(env: NodeJS.ProcessEnv): ResourceRoleRemoval {
  return resourceRolesFromEnv(env) ?? { removeOf: async () => {} };
}
