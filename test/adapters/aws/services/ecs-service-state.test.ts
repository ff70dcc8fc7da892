import { describe, expect, it } from 'vitest';
import {
  deploymentOf,
  deploymentReportOf,
  replicaReportsOf,
  serviceTaskOf,
  serviceWoundDown,
  type DeploymentRef,
  type EcsServiceTaskFacts,
} from '../../../../shared/adapters/aws/services/ecs-service-state.ts';

const RESOURCE = '0123456789abcdef0123456789000001';
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:123456789012:service/cassini/cassini-${RESOURCE}`;
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/4f1e2d3c4b5a69788796a5b4c3d2e1f0';
const def = (revision: number, resource = RESOURCE) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-${resource}-r${revision}:1`;
const FALLBACK = '2025-03-01T12:00:00.000Z';

const task = (facts: Partial<EcsServiceTaskFacts>): EcsServiceTaskFacts => ({
  taskArn: TASK_ARN,
  taskDefinitionArn: def(3),
  group: `service:cassini-${RESOURCE}`,
  startedBy: 'ecs-svc/1234567890123456789',
  ...facts,
});

describe('serviceTaskOf', () => {
  it.each<[string, Partial<EcsServiceTaskFacts>, unknown]>([
    ['a replica of a Cassini service', {}, { resourceId: RESOURCE, revision: 3, pod: '4f1e2d3c4b5a69788796a5b4c3d2e1f0' }],
    ['a job task', { group: 'run:9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e', taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/cassini-0123456789ab:2' }, undefined],
    ['a task of another service', { group: 'service:someone-else' }, undefined],
    ['a task whose definition names another resource', { taskDefinitionArn: def(3, 'fedcba9876543210fedcba9876000001') }, undefined],
    ['a task of a definition not named by revision', { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/web:7' }, undefined],
  ])('reads %s', (_what, facts, expected) => {
    expect(serviceTaskOf(task(facts))).toEqual(expected);
  });
});

describe('replicaReportsOf', () => {
  const ref = { resourceId: RESOURCE, revision: 3, pod: 'pod-1' };
  const base = { resourceId: RESOURCE, pod: 'pod-1', revision: 3 };
  it.each<[string, Partial<EcsServiceTaskFacts>, unknown[]]>([
    ['RUNNING without a health check: started and ready', { lastStatus: 'RUNNING', startedAt: '2025-03-01T11:00:00Z' }, [
      { kind: 'replicaStarted', report: { ...base, at: '2025-03-01T11:00:00.000Z' } },
      { kind: 'replicaReady', report: { ...base, at: '2025-03-01T11:00:00.000Z' } },
    ]],
    ['RUNNING and HEALTHY: started and ready', { lastStatus: 'RUNNING', healthStatus: 'HEALTHY', startedAt: '2025-03-01T11:00:00Z' }, [
      { kind: 'replicaStarted', report: { ...base, at: '2025-03-01T11:00:00.000Z' } },
      { kind: 'replicaReady', report: { ...base, at: '2025-03-01T11:00:00.000Z' } },
    ]],
    ['RUNNING but UNHEALTHY: started only', { lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY', startedAt: '2025-03-01T11:00:00Z' }, [
      { kind: 'replicaStarted', report: { ...base, at: '2025-03-01T11:00:00.000Z' } },
    ]],
    ['PENDING: nothing', { lastStatus: 'PENDING' }, []],
    ['STOPPED after its command failed', { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: '2025-03-01T11:30:00Z', containers: [{ name: 'main', exitCode: 3 }] }, [
      { kind: 'replicaExited', report: { ...base, at: '2025-03-01T11:30:00.000Z', exitCode: 3, reason: 'exited with code 3' } },
    ]],
    ['STOPPED by a spot interruption', { lastStatus: 'STOPPED', stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.', containers: [{ name: 'main' }] }, [
      { kind: 'replicaExited', report: { ...base, at: FALLBACK, exitCode: null, reason: 'SpotInterruption: Your Spot Task was interrupted.' } },
    ]],
  ])('%s', (_what, facts, expected) => {
    expect(replicaReportsOf(task(facts), ref, FALLBACK)).toEqual(expected);
  });
});

describe('deploymentOf', () => {
  it.each<[string, Record<string, string>, string[], unknown]>([
    ['a completed deployment', { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: 'ecs-svc/1', updatedAt: '2025-03-01T11:05:00Z', reason: 'done' }, [SERVICE_ARN], {
      resourceId: RESOURCE, serviceArn: SERVICE_ARN, deploymentId: 'ecs-svc/1', eventName: 'SERVICE_DEPLOYMENT_COMPLETED', reason: 'done', at: '2025-03-01T11:05:00.000Z',
    }],
    ['a deployment in progress', { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS', deploymentId: 'ecs-svc/1' }, [SERVICE_ARN], undefined],
    ['another service', { eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId: 'ecs-svc/1' }, ['arn:aws:ecs:eu-west-1:1:service/cassini/web'], undefined],
  ])('reads %s', (_what, detail, resources, expected) => {
    expect(deploymentOf(detail, resources, FALLBACK)).toEqual(expected);
  });
});

describe('deploymentReportOf', () => {
  const ended = (eventName: DeploymentRef['eventName'], reason = ''): DeploymentRef => ({ resourceId: RESOURCE, serviceArn: SERVICE_ARN, deploymentId: 'ecs-svc/new', eventName, reason, at: FALLBACK });
  const failedNew = { id: 'ecs-svc/new', status: 'ACTIVE', taskDefinition: def(4), rolloutState: 'FAILED' as const, runningCount: 0 };
  it.each<[string, DeploymentRef, Parameters<typeof deploymentReportOf>[1], unknown]>([
    ['COMPLETED: the deployment\'s revision rolled out', ended('SERVICE_DEPLOYMENT_COMPLETED'), { deployments: [{ id: 'ecs-svc/new', status: 'PRIMARY', taskDefinition: def(4) }] }, {
      kind: 'rolledOut', report: { resourceId: RESOURCE, revision: 4, at: FALLBACK },
    }],
    ['FAILED with the previous revision primary again: rolled back', ended('SERVICE_DEPLOYMENT_FAILED', 'tasks failed to start'), {
      deployments: [{ id: 'ecs-svc/rollback', status: 'PRIMARY', taskDefinition: def(3), runningCount: 2 }, failedNew],
    }, { kind: 'rolledBack', report: { resourceId: RESOURCE, revision: 4, reason: 'tasks failed to start', at: FALLBACK } }],
    ['FAILED on a first start: failed', ended('SERVICE_DEPLOYMENT_FAILED'), { deployments: [{ ...failedNew, status: 'PRIMARY', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' }] }, {
      kind: 'failed', report: { resourceId: RESOURCE, revision: 4, reason: 'ECS deployment circuit breaker: tasks failed to start.', at: FALLBACK },
    }],
    ['a deployment ECS no longer lists: the service\'s revision tag', ended('SERVICE_DEPLOYMENT_COMPLETED'), { deployments: [], tags: [{ key: 'cassini:revision', value: '7' }] }, {
      kind: 'rolledOut', report: { resourceId: RESOURCE, revision: 7, at: FALLBACK },
    }],
    ['nothing to tell the revision by: no report', ended('SERVICE_DEPLOYMENT_COMPLETED'), undefined, undefined],
  ])('%s', (_what, ref, service, expected) => {
    expect(deploymentReportOf(ref, service)).toEqual(expected);
  });
});

describe('serviceWoundDown', () => {
  it.each<[string, Parameters<typeof serviceWoundDown>[0], boolean]>([
    ['no service', undefined, true],
    ['an inactive (deleted) service', { status: 'INACTIVE' }, true],
    ['stopped with nothing left', { status: 'ACTIVE', desiredCount: 0, runningCount: 0, pendingCount: 0 }, true],
    ['stopped, one replica still draining', { status: 'ACTIVE', desiredCount: 0, runningCount: 1, pendingCount: 0 }, false],
    ['a running service replacing a crashed replica', { status: 'ACTIVE', desiredCount: 2, runningCount: 0, pendingCount: 1 }, false],
    ['being deleted, nothing left', { status: 'DRAINING', desiredCount: 2, runningCount: 0, pendingCount: 0 }, true],
  ])('%s: %s', (_what, service, expected) => {
    expect(serviceWoundDown(service)).toBe(expected);
  });
});
