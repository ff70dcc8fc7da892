/**
 * What the task-state function does with ECS events about deployments and workspaces (the
 * readings are in shared/adapters/aws/services/ecs-service-state.ts):
 *
 * - a task of a Cassini service: its replica reports; when it stopped, and its service was
 *   stopped or deleted and has no replica left, the service's `stopped` too;
 * - an "ECS Deployment State Change" that ends a deployment: `rolledOut`, `rolledBack` or
 *   `failed` for the revision the deployment ran.
 *
 * Every report is idempotent on the resource's side, so EventBridge's retries are harmless.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { Service } from '@aws-sdk/client-ecs';
import type { ServiceReports } from '../../shared/ports/service-runtime.ts';
import {
  deploymentOf,
  deploymentReportOf,
  replicaReportsOf,
  serviceTaskOf,
  serviceWoundDown,
  type EcsDeploymentFacts,
  type EcsServiceTaskFacts,
} from '../../shared/adapters/aws/services/ecs-service-state.ts';
import { stateTime } from '../../shared/adapters/aws/tasks/ecs-task-state.ts';

export type DeploymentStateChange = EventBridgeEvent<'ECS Deployment State Change', EcsDeploymentFacts>;

export interface ServiceStateDeps {
  reports: ServiceReports;
  services: { describe(resourceId: string): Promise<Service | undefined> };
}

/** The reports a service task's state change made (their kinds), or undefined when the task is no service replica. */
export async function reportServiceTask(task: EcsServiceTaskFacts, fallbackAt: string, deps: ServiceStateDeps): Promise<string[] | undefined> {
  const ref = serviceTaskOf(task);
  if (!ref) return undefined;
  const made: string[] = [];
  for (const call of replicaReportsOf(task, ref, fallbackAt)) {
    if (call.kind === 'replicaExited') await deps.reports.replicaExited(call.report);
    else await deps.reports[call.kind](call.report);
    made.push(call.kind);
  }
  if (task.lastStatus === 'STOPPED' && serviceWoundDown(await deps.services.describe(ref.resourceId))) {
    await deps.reports.stopped({ resourceId: ref.resourceId, at: stateTime(task) ?? fallbackAt });
    made.push('stopped');
  }
  return made;
}

/** The report a deployment's end made, or undefined when the event ends no deployment of ours. */
export async function reportDeployment(event: DeploymentStateChange, fallbackAt: string, deps: ServiceStateDeps): Promise<string | undefined> {
  const ref = deploymentOf(event.detail, event.resources ?? [], event.time ?? fallbackAt);
  if (!ref) return undefined;
  const call = deploymentReportOf(ref, await deps.services.describe(ref.resourceId));
  if (!call) return undefined;
  if (call.kind === 'rolledOut') await deps.reports.rolledOut(call.report);
  else await deps.reports[call.kind](call.report);
  return call.kind;
}
