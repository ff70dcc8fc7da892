import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsRunInspector } from '../../../../shared/adapters/aws/tasks/ecs-run-inspector.ts';

const client = new ECSClient({ region: 'eu-west-1' });
const ecs = mockClient(client);
const CLUSTER = 'cassini';
const arn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/${id}`;
const SERVICE_GROUP = `service:cassini-${'e'.repeat(32)}`;

beforeEach(() => {
  ecs.reset();
});

describe('EcsRunInspector.serviceTasksWaitingToStart', () => {
  it('lists the tasks ECS means to run, describes them in batches of 100, and counts services’ replicas PROVISIONING since before the bound', async () => {
    // Prepare: 101 tasks over two ListTasks pages; the bound is 06:00.
    const ids = Array.from({ length: 101 }, (_, i) => `t${i}`);
    ecs.on(ListTasksCommand, { cluster: CLUSTER, desiredStatus: 'RUNNING' }).resolves({ taskArns: ids.slice(0, 100).map(arn), nextToken: 'page-2' });
    ecs.on(ListTasksCommand, { cluster: CLUSTER, desiredStatus: 'RUNNING', nextToken: 'page-2' }).resolves({ taskArns: [arn('t100')] });
    const createdAt = (iso: string) => new Date(iso);
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((taskArn) => {
        const i = Number(taskArn.slice(taskArn.lastIndexOf('/t') + 2));
        if (i === 0) return { taskArn, group: SERVICE_GROUP, lastStatus: 'PROVISIONING', createdAt: createdAt('2026-01-01T05:59:59Z') };
        if (i === 100) return { taskArn, group: SERVICE_GROUP, lastStatus: 'PROVISIONING', createdAt: createdAt('2026-01-01T06:00:00Z') };
        if (i === 1) return { taskArn, group: SERVICE_GROUP, lastStatus: 'PROVISIONING', createdAt: createdAt('2026-01-01T06:00:01Z') };
        if (i === 2) return { taskArn, group: SERVICE_GROUP, lastStatus: 'PENDING', createdAt: createdAt('2026-01-01T05:00:00Z') };
        return { taskArn, group: `run:${'8'.repeat(32)}`, lastStatus: 'PROVISIONING', createdAt: createdAt('2026-01-01T05:00:00Z') };
      }),
    }));
    const inspector = new EcsRunInspector({ client, cluster: CLUSTER });

    // Act
    const waiting = await inspector.serviceTasksWaitingToStart(new Date('2026-01-01T06:00:00Z'));

    // Assess
    expect(waiting).toBe(2);
    expect(ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, desiredStatus: 'RUNNING' },
      { cluster: CLUSTER, desiredStatus: 'RUNNING', nextToken: 'page-2' },
    ]);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, tasks: ids.slice(0, 100).map(arn) },
      { cluster: CLUSTER, tasks: [arn('t100')] },
    ]);
  });
});
