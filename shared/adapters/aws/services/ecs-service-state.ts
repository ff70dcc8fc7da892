/**
 * What ECS says about a deployment's or workspace's service, read as ServiceReports calls.
 * Pure: the task-state function (and tests) hand in the event and, where an event alone does
 * not say enough, the service as DescribeServices answered.
 *
 * - A task of a Cassini service is in group `service:cassini-<resource id>` and runs a
 *   definition named `cassini-<resource id>-r<revision>` (service-names.ts): its replica
 *   reports come from the task state change event alone. RUNNING is `replicaStarted`, and
 *   `replicaReady` too when the task is HEALTHY or has no health check of its own (the load
 *   balancer's checks do not show in task events; an unhealthy replica fails the deployment,
 *   which the deployment events report). STOPPED is `replicaExited`.
 * - An "ECS Deployment State Change" names the service and the deployment, not the revision:
 *   the deployment's task definition (from DescribeServices) says which revision it was.
 *   COMPLETED is `rolledOut`. FAILED (the circuit breaker tripped) is `rolledBack` when ECS rolled
 *   back to an older revision, which then serves, and `failed` when none was there to roll back to.
 */
import type { Deployment, Service } from '@aws-sdk/client-ecs';
import type { ReplicaReport } from '../../../ports/service-runtime.ts';
import { stateTime, stopReason, TASK_CONTAINER, type EcsTaskFacts } from '../tasks/ecs-task-state.ts';
import { resourceOfService, resourceOfTaskGroup, revisionOfTaskDefinition } from './service-names.ts';

/** A task state change's detail, with the field only service tasks use. */
export interface EcsServiceTaskFacts extends EcsTaskFacts {
  healthStatus?: string;
}

export interface ServiceTaskRef {
  resourceId: string;
  revision: number;
  /** The ECS task id, shown as the replica's `pod_name`. */
  pod: string;
}

export type ReplicaReportCall =
  | { kind: 'replicaStarted' | 'replicaReady'; report: ReplicaReport }
  | { kind: 'replicaExited'; report: ReplicaReport & { exitCode: number | null; reason: string } };

/** The replica a task is, or undefined for a task no Cassini service started. */
export function serviceTaskOf(task: EcsServiceTaskFacts): ServiceTaskRef | undefined {
  const resourceId = resourceOfTaskGroup(task.group);
  const ref = task.taskDefinitionArn ? revisionOfTaskDefinition(task.taskDefinitionArn) : undefined;
  if (!resourceId || !ref || ref.resourceId !== resourceId || !task.taskArn) return undefined;
  return { resourceId, revision: ref.revision, pod: task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1) };
}

/** The reports a service task's state makes, in order; none for the states in between. */
export function replicaReportsOf(task: EcsServiceTaskFacts, ref: ServiceTaskRef, fallbackAt: string): ReplicaReportCall[] {
  const report: ReplicaReport = { resourceId: ref.resourceId, pod: ref.pod, revision: ref.revision, at: stateTime(task) ?? fallbackAt };
  if (task.lastStatus === 'RUNNING') {
    const calls: ReplicaReportCall[] = [{ kind: 'replicaStarted', report }];
    const health = task.healthStatus ?? 'UNKNOWN';
    if (health === 'HEALTHY' || health === 'UNKNOWN') calls.push({ kind: 'replicaReady', report });
    return calls;
  }
  if (task.lastStatus !== 'STOPPED') return [];
  const exitCode = (task.containers?.find((c) => c.name === TASK_CONTAINER) ?? task.containers?.[0])?.exitCode ?? null;
  return [{ kind: 'replicaExited', report: { ...report, exitCode, reason: stopReason(task, exitCode) } }];
}

/** An "ECS Deployment State Change" event's detail. */
export interface EcsDeploymentFacts {
  eventType?: string;
  eventName?: string;
  deploymentId?: string;
  updatedAt?: string;
  reason?: string;
}

export interface DeploymentRef {
  resourceId: string;
  serviceArn: string;
  deploymentId: string;
  eventName: 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED';
  reason: string;
  at: string;
}

/** The deployment an event is about, when it is an ending of a Cassini service's deployment. */
export function deploymentOf(detail: EcsDeploymentFacts, resources: string[], fallbackAt: string): DeploymentRef | undefined {
  const { eventName, deploymentId } = detail;
  if (eventName !== 'SERVICE_DEPLOYMENT_COMPLETED' && eventName !== 'SERVICE_DEPLOYMENT_FAILED') return undefined;
  const serviceArn = resources.find((r) => resourceOfService(r) !== undefined);
  const resourceId = serviceArn ? resourceOfService(serviceArn) : undefined;
  if (!serviceArn || !resourceId || !deploymentId) return undefined;
  const at = detail.updatedAt ? new Date(detail.updatedAt).toISOString() : fallbackAt;
  return { resourceId, serviceArn, deploymentId, eventName, reason: detail.reason ?? '', at };
}

export type DeploymentReportCall =
  | { kind: 'rolledOut'; report: { resourceId: string; revision: number; at: string } }
  | { kind: 'rolledBack' | 'failed'; report: { resourceId: string; revision: number; reason: string; at: string } };

/** The revision a service was last applied at, from its `cassini:revision` tag. */
export function taggedRevision(service: Pick<Service, 'tags'> | undefined): number | undefined {
  const value = service?.tags?.find((t) => t.key === 'cassini:revision')?.value;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function revisionOf(deployment: Deployment | undefined, resourceId: string): number | undefined {
  const ref = deployment?.taskDefinition ? revisionOfTaskDefinition(deployment.taskDefinition) : undefined;
  return ref && ref.resourceId === resourceId ? ref.revision : undefined;
}

/**
 * The report a deployment's end makes, given the service as ECS describes it now. The
 * deployment's revision comes from its task definition; a deployment ECS no longer lists falls
 * back to the revision the service was tagged with.
 */
export function deploymentReportOf(ref: DeploymentRef, service: Pick<Service, 'deployments' | 'tags'> | undefined): DeploymentReportCall | undefined {
  const deployments = service?.deployments ?? [];
  const deployment = deployments.find((d) => d.id === ref.deploymentId);
  const revision = revisionOf(deployment, ref.resourceId) ?? taggedRevision(service);
  if (revision === undefined) return undefined;
  const base = { resourceId: ref.resourceId, revision, at: ref.at };
  if (ref.eventName === 'SERVICE_DEPLOYMENT_COMPLETED') return { kind: 'rolledOut', report: base };
  const reason = ref.reason || deployment?.rolloutStateReason || 'the deployment failed';
  // The circuit breaker's rollback is a new primary deployment of the last revision that completed.
  const previousServes = deployments.some((d) => {
    if (d.id === ref.deploymentId) return false;
    const older = revisionOf(d, ref.resourceId);
    return older !== undefined && older < revision && (d.status === 'PRIMARY' || (d.runningCount ?? 0) > 0);
  });
  return { kind: previousServes ? 'rolledBack' : 'failed', report: { ...base, reason } };
}

/** No replica runs and none is wanted: a stopped (desired count 0) or deleted service has wound down. */
export function serviceWoundDown(service: Pick<Service, 'status' | 'desiredCount' | 'runningCount' | 'pendingCount'> | undefined): boolean {
  if (!service || service.status === 'INACTIVE') return true;
  const stopping = service.status === 'DRAINING' || service.desiredCount === 0;
  return stopping && (service.runningCount ?? 0) === 0 && (service.pendingCount ?? 0) === 0;
}
