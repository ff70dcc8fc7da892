import { describe, expect, it } from 'vitest';
import { ecsExecShellAccess } from '../../../../shared/adapters/aws/tasks/ecs-exec-shell.ts';
import { awsShellAccess } from '../../../../shared/adapters/aws/tasks/aws-shell-access.ts';
import type { LiveResource } from '../../../../shared/domain/resource/resource-decider.ts';
import type { Pod } from '../../../../shared/domain/resource/service-replicas.ts';

const AT = '2026-01-01T00:00:00.000Z';
const pod = (name: string, status: Pod['status'], endedAt: string | null = null): Pod => ({ name, revision: 1, status, startedAt: AT, endedAt, lastSeen: AT, exitCode: null, reason: null });

function workspace(pods: Pod[]): LiveResource {
  return {
    id: 'a'.repeat(24) + '00000001',
    type: 'workspace',
    owner: 'ann',
    name: 'lab',
    spec: { name: 'lab', owner: 'ann', start_ssh: true, ide: 'jupyter', image: 'jupyter', instance_type: 'medium', auto_shutoff: '1 hour', disk_space: '10Gi' },
    status: 'running',
    reason: null,
    service: { revision: 1, servingRevision: 1, rolledBackRevision: null, pods },
    createdAt: AT,
    updatedAt: AT,
    firstStreamVersion: 1,
  };
}

describe('ECS Exec shell access', () => {
  it('gives the execute-command line for each running replica, and none for ended or starting ones', () => {
    const access = ecsExecShellAccess('cassini-cluster', 'eu-west-1');
    const state = access(workspace([pod('task1', 'running'), pod('task0', 'stopped', AT), pod('task2', 'starting')]));
    expect(state).toMatchObject({
      available: true,
      connect: [
        { pod_name: 'task1', command: 'aws ecs execute-command --region eu-west-1 --cluster cassini-cluster --task task1 --container main --interactive --command /bin/bash' },
      ],
    });
  });

  it('says to start the resource when nothing runs', () => {
    expect(ecsExecShellAccess('c')(workspace([]))).toMatchObject({ available: true, connect: [], note: expect.stringContaining('start the resource') });
  });
});

describe('state.ssh on AWS (aws-shell-access.ts)', () => {
  it('is the plain ssh command through the gateway when the stack has one', () => {
    const access = awsShellAccess({ SSH_GATEWAY_HOST: 'ssh-nlb.elb.eu-west-1.amazonaws.com', SSH_GATEWAY_PORT: '2200', ECS_CLUSTER: 'cassini-cluster' });
    expect(access?.(workspace([pod('task1', 'running')]))).toBe('ssh -p 2200 lab.ann@ssh-nlb.elb.eu-west-1.amazonaws.com');
    expect(awsShellAccess({ SSH_GATEWAY_HOST: 'h.example', SSH_GATEWAY_PORT: '22' })?.(workspace([]))).toBe('ssh lab.ann@h.example');
  });

  it('is ECS Exec without the gateway, and nothing without a cluster either', () => {
    expect(awsShellAccess({ ECS_CLUSTER: 'cassini-cluster', AWS_REGION: 'eu-west-1' })?.(workspace([]))).toMatchObject({ available: true, connect: [] });
    expect(awsShellAccess({})).toBeUndefined();
  });
});
