import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchTaskLogs } from '../../../../shared/adapters/aws/logs/cloudwatch-task-logs.ts';
import { familyOf, taskLogStream } from '../../../../shared/adapters/aws/tasks/ecs-task-state.ts';
import { parseRunTaskId } from '../../../../shared/domain/planner/run-tasks.ts';
import { logStreamName } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import type { Run, RunState } from '../../../../shared/domain/run/run-decider.ts';

const ecsClient = new ECSClient({ region: 'eu-west-1' });
const logsClient = new CloudWatchLogsClient({ region: 'eu-west-1' });
const ecs = mockClient(ecsClient);
const cwl = mockClient(logsClient);

const RUN_ID = '9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const TASK_ID = `${RUN_ID}-0`;
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const FAMILY = 'cassini-0123456789ab';
const DEFINITION = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${FAMILY}:3`;
const STREAM = `${FAMILY}/main/0a1b2c3d4e5f60718293a4b5c6d7e8f9`;

function run(ref: string | null, logStream: string | null = null): Run {
  return {
    id: RUN_ID, jobId: 'job-1', owner: 'ada', trigger: 'api', attempt: 1, scheduledFor: null, notBefore: null, status: 'running', plan: null,
    tasks: [{ rank: 0, taskId: TASK_ID, status: ref ? 'running' : 'launched', exitCode: null, reason: null, ref, logStream }],
    createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, finishedAt: null, exitCode: null, reason: null,
  };
}

function taskLogs(state: RunState) {
  const loaded: string[] = [];
  const logs = new CloudWatchTaskLogs({
    ecs: ecsClient, logs: logsClient, cluster: 'cassini', logGroup: '/cassini/tasks',
    loadRun: async (runId) => {
      loaded.push(runId);
      return state;
    },
  });
  return { logs, loaded };
}

beforeEach(() => {
  ecs.reset();
  cwl.reset();
  ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, taskDefinitionArn: DEFINITION }] });
});

describe('CloudWatchTaskLogs', () => {
  it('reads the stream the run recorded at start, without asking ECS (which forgets stopped tasks)', async () => {
    // Prepare
    cwl.on(GetLogEventsCommand).resolves({ events: [{ timestamp: 0, message: 'done' }], nextForwardToken: 'f/1' });
    const { logs } = taskLogs(run(TASK_ARN, STREAM));

    // Act
    const page = await logs.logs(TASK_ID, { limit: 10 });

    // Assess
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
    expect(cwl.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/cassini/tasks', logStreamName: STREAM, startFromHead: true, limit: 10 },
    ]);
    expect(page.lines.map((l) => l.message)).toEqual(['done']);
  });

  it('finds the stream from the task ARN the run recorded and reads it from the head', async () => {
    // Prepare
    cwl.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: Date.parse('2026-01-01T00:00:01.000Z'), message: 'epoch 1' },
        { timestamp: Date.parse('2026-01-01T00:00:02.500Z'), message: 'epoch 2' },
      ],
      nextForwardToken: 'f/2',
      nextBackwardToken: 'b/1',
    });
    const { logs, loaded } = taskLogs(run(TASK_ARN));

    // Act
    const page = await logs.logs(TASK_ID, { limit: 1000 });

    // Assess
    expect(loaded).toEqual([RUN_ID]);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([{ cluster: 'cassini', tasks: [TASK_ARN] }]);
    expect(cwl.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/cassini/tasks', logStreamName: STREAM, startFromHead: true, limit: 1000 },
    ]);
    expect(page).toEqual({
      lines: [
        { timestamp: '2026-01-01T00:00:01.000Z', stream: 'stdout', message: 'epoch 1' },
        { timestamp: '2026-01-01T00:00:02.500Z', stream: 'stdout', message: 'epoch 2' },
      ],
      next: 'f/2',
    });
  });

  it('reads on from the cursor, says there is nothing more when the token comes back unchanged, and describes the task once', async () => {
    // Prepare
    cwl.on(GetLogEventsCommand).resolvesOnce({ events: [{ timestamp: 0, message: 'x' }], nextForwardToken: 'f/3' }).resolvesOnce({ events: [], nextForwardToken: 'f/3' });
    const { logs } = taskLogs(run(TASK_ARN));

    // Act
    const first = await logs.logs(TASK_ID, { cursor: 'f/2', limit: 50 });
    const second = await logs.logs(TASK_ID, { cursor: first.next, limit: 50 });

    // Assess
    expect(cwl.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/cassini/tasks', logStreamName: STREAM, startFromHead: true, limit: 50, nextToken: 'f/2' },
      { logGroupName: '/cassini/tasks', logStreamName: STREAM, startFromHead: true, limit: 50, nextToken: 'f/3' },
    ]);
    expect(first.next).toBe('f/3');
    expect(second).toEqual({ lines: [], next: null });
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(1);
  });

  it('has no lines for a task that has not started (no ref), a task the run does not know, or a run that does not exist', async () => {
    expect(await taskLogs(run(null)).logs.logs(TASK_ID, { limit: 10 })).toEqual({ lines: [], next: null });
    expect(await taskLogs(run(TASK_ARN)).logs.logs(`${RUN_ID}-7`, { limit: 10 })).toEqual({ lines: [], next: null });
    expect(await taskLogs(null).logs.logs(TASK_ID, { limit: 10 })).toEqual({ lines: [], next: null });
    expect(await taskLogs(run(TASK_ARN)).logs.logs('not-a-task', { limit: 10 })).toEqual({ lines: [], next: null });
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
    expect(cwl.commandCalls(GetLogEventsCommand)).toHaveLength(0);
  });

  it('has no lines when ECS no longer knows the task, or its stream does not exist yet', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }] });
    expect(await taskLogs(run(TASK_ARN)).logs.logs(TASK_ID, { limit: 10 })).toEqual({ lines: [], next: null });
    expect(cwl.commandCalls(GetLogEventsCommand)).toHaveLength(0);

    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, taskDefinitionArn: DEFINITION }] });
    cwl.on(GetLogEventsCommand).rejects(new ResourceNotFoundException({ message: 'The specified log stream does not exist.', $metadata: {} }));
    expect(await taskLogs(run(TASK_ARN)).logs.logs(TASK_ID, { limit: 10 })).toEqual({ lines: [], next: null });
  });
});

describe('stream naming', () => {
  it('splits task ids, reads families from definition ARNs and names streams as awslogs does', () => {
    expect(parseRunTaskId(TASK_ID)).toEqual({ runId: RUN_ID, rank: 0 });
    expect(parseRunTaskId('nope')).toBeUndefined();
    expect(parseRunTaskId('not-hex-0')).toBeUndefined();
    expect(familyOf(DEFINITION)).toBe(FAMILY);
    expect(familyOf('arn:aws:ecs:eu-west-1:123456789012:task/cassini/abc')).toBeUndefined();
    expect(taskLogStream(FAMILY, TASK_ARN)).toBe(STREAM);
    expect(taskLogStream(FAMILY, TASK_ARN)).toBe(logStreamName(FAMILY, TASK_ARN));
  });
});
