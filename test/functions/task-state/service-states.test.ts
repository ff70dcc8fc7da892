import { describe, expect, it } from 'vitest';
import type { Service } from '@aws-sdk/client-ecs';
import { reportDeployment, reportServiceTask, type DeploymentStateChange, type ServiceStateDeps } from '../../../functions/task-state/service-states.ts';
import type { ServiceReports } from '../../../shared/ports/service-runtime.ts';

const RESOURCE = '0123456789abcdef0123456789000001';
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:123456789012:service/cassini/cassini-${RESOURCE}`;
const def = (revision: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-${RESOURCE}-r${revision}:1`;
const AT = '2025-03-01T12:00:00.000Z';

function deps(service: Service | undefined): ServiceStateDeps & { calls: Array<[string, unknown]> } {
  const calls: Array<[string, unknown]> = [];
  const record = (kind: string) => async (report: unknown) => void calls.push([kind, report]);
  const reports: ServiceReports = {
    replicaStarted: record('replicaStarted'),
    replicaReady: record('replicaReady'),
    replicaExited: record('replicaExited'),
    replicaExposed: record('replicaExposed'),
    rolledOut: record('rolledOut'),
    rolledBack: record('rolledBack'),
    failed: record('failed'),
    stopped: record('stopped'),
    idle: record('idle'),
  };
  return { reports, services: { describe: async () => service }, calls };
}

const stoppedTask = {
  taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/abc',
  taskDefinitionArn: def(2),
  group: `service:cassini-${RESOURCE}`,
  lastStatus: 'STOPPED',
  stopCode: 'ServiceSchedulerInitiated',
  stoppedReason: 'Scaling activity initiated by deployment',
  stoppedAt: '2025-03-01T11:59:00Z',
  containers: [{ name: 'main', exitCode: 0 }],
};

describe('reportServiceTask', () => {
  it('reports the last replica of a stopped service exited, then the service stopped', async () => {
    const d = deps({ status: 'ACTIVE', desiredCount: 0, runningCount: 0, pendingCount: 0 });

    await expect(reportServiceTask(stoppedTask, AT, d)).resolves.toEqual(['replicaExited', 'stopped']);
    expect(d.calls[1]).toEqual(['stopped', { resourceId: RESOURCE, at: '2025-03-01T11:59:00.000Z' }]);
  });

  it('reports only the replica when the service still wants replicas', async () => {
    const d = deps({ status: 'ACTIVE', desiredCount: 2, runningCount: 1, pendingCount: 1 });

    await expect(reportServiceTask(stoppedTask, AT, d)).resolves.toEqual(['replicaExited']);
  });

  it('leaves a job task to the run reports', async () => {
    await expect(reportServiceTask({ ...stoppedTask, group: 'run:9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e' }, AT, deps(undefined))).resolves.toBeUndefined();
  });
});

describe('reportDeployment', () => {
  const event = (eventName: string): DeploymentStateChange =>
    ({
      version: '0',
      id: 'e1',
      'detail-type': 'ECS Deployment State Change',
      source: 'aws.ecs',
      account: '123456789012',
      time: AT,
      region: 'eu-west-1',
      resources: [SERVICE_ARN],
      detail: { eventType: 'ERROR', eventName, deploymentId: 'ecs-svc/new', updatedAt: AT, reason: 'ECS deployment circuit breaker: tasks failed to start.' },
    }) as DeploymentStateChange;

  it('reports a failed deployment rolled back when the previous revision serves again', async () => {
    const d = deps({
      deployments: [
        { id: 'ecs-svc/rollback', status: 'PRIMARY', taskDefinition: def(2), runningCount: 1 },
        { id: 'ecs-svc/new', status: 'ACTIVE', taskDefinition: def(3), rolloutState: 'FAILED' },
      ],
    });

    await expect(reportDeployment(event('SERVICE_DEPLOYMENT_FAILED'), AT, d)).resolves.toBe('rolledBack');
    expect(d.calls).toEqual([['rolledBack', { resourceId: RESOURCE, revision: 3, reason: 'ECS deployment circuit breaker: tasks failed to start.', at: AT }]]);
  });

  it('ignores a deployment still in progress', async () => {
    await expect(reportDeployment(event('SERVICE_DEPLOYMENT_IN_PROGRESS'), AT, deps(undefined))).resolves.toBeUndefined();
  });
});
