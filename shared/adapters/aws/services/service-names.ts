/**
 * How a deployment's or workspace's AWS resources are named, and how a name is read back.
 * Everything ECS, the load balancer or EFS later says about a service (a task state change, a
 * deployment event, a metric) names one of these, so the resource and revision it concerns are
 * read from the name alone, with no table of our own and no extra call.
 *
 * - ECS service: `cassini-<resource id>`; its tasks are in group `service:cassini-<resource id>`.
 * - Task definition family: `cassini-<resource id>-r<revision>`, one per revision. A job's
 *   definitions are shared by content hash (ecs-task-definitions.ts); a service's carry its
 *   command and environment (a service takes no overrides), so they are the resource's own, and
 *   naming them by revision makes every task's `taskDefinitionArn` say which revision it runs.
 * - Target group: `cassini-<12 hex of the resource id's hash>-<container port>` (ELB allows 32
 *   characters); every target group and listener rule of a resource shares the prefix.
 */
import { createHash } from 'node:crypto';

/** The container that runs the user's command in every task definition. */
export const MAIN_CONTAINER = 'main';

const PREFIX = 'cassini-';
const RESOURCE_ID = '[0-9a-f]{32}';
const SERVICE_NAME = new RegExp(`^${PREFIX}(${RESOURCE_ID})$`);
const SERVICE_FAMILY = new RegExp(`^${PREFIX}(${RESOURCE_ID})-r(\\d+)$`);
const TARGET_GROUP_HASH_DIGITS = 12;
/** Group ECS gives the tasks of a service. */
const SERVICE_GROUP_PREFIX = 'service:';

export interface ServiceRevisionRef {
  resourceId: string;
  revision: number;
}

export function serviceNameFor(resourceId: string): string {
  return `${PREFIX}${resourceId}`;
}

/** The resource of a service name (or service ARN), or undefined when it is not a Cassini service. */
export function resourceOfService(nameOrArn: string): string | undefined {
  const name = nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);
  return SERVICE_NAME.exec(name)?.[1];
}

/** The resource of a task's group (`service:<service name>`), for tasks a service started. */
export function resourceOfTaskGroup(group: string | undefined): string | undefined {
  return group?.startsWith(SERVICE_GROUP_PREFIX) ? resourceOfService(group.slice(SERVICE_GROUP_PREFIX.length)) : undefined;
}

export function serviceFamilyFor(resourceId: string, revision: number): string {
  return `${PREFIX}${resourceId}-r${revision}`;
}

/** The resource and revision a task definition (ARN or family) was registered for. */
export function revisionOfTaskDefinition(taskDefinition: string): ServiceRevisionRef | undefined {
  const family = /task-definition\/([^:/]+)(?::\d+)?$/.exec(taskDefinition)?.[1] ?? taskDefinition.replace(/:\d+$/, '');
  const match = SERVICE_FAMILY.exec(family);
  return match ? { resourceId: match[1]!, revision: Number(match[2]) } : undefined;
}

/** What every target group name of the resource starts with. */
export function targetGroupPrefixFor(resourceId: string): string {
  const digest = createHash('sha256').update(resourceId).digest('hex').slice(0, TARGET_GROUP_HASH_DIGITS);
  return `${PREFIX}${digest}-`;
}

export function targetGroupNameFor(resourceId: string, containerPort: number): string {
  return `${targetGroupPrefixFor(resourceId)}${containerPort}`;
}

/** The name in a target group ARN (`…:targetgroup/<name>/<id>`). */
export function targetGroupNameOf(targetGroupArn: string): string | undefined {
  return /:targetgroup\/([^/]+)\//.exec(targetGroupArn)?.[1];
}

/** `cassini:<key>` tags, as ECS (`key`/`value`) and ELB or EFS (`Key`/`Value`) spell them. */
export function resourceTags(plan: { resourceId: string; owner: string; type: string; name: string }): Record<string, string> {
  return { 'cassini:resource': plan.resourceId, 'cassini:owner': plan.owner, 'cassini:type': plan.type, 'cassini:name': plan.name };
}
