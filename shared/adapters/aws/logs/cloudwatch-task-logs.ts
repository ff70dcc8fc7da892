/**
 * A run task's output on AWS, read from CloudWatch Logs. Tasks log with the awslogs driver
 * (ecs-task-definitions.ts): the stream of a task is `<family>/main/<ECS task id>`, the family
 * being the stream prefix. The run records each started task's ECS task ARN as its `ref`
 * (the task-state Lambda reports RUNNING with it); DescribeTasks on that ARN gives its task
 * definition, whose ARN names the family. GetLogEvents then reads the stream from its head,
 * our cursor being CloudWatch's forward token.
 *
 * The task-state Lambda records the stream itself when the task starts; for a task recorded
 * without it, the stream is worked out through DescribeTasks, which finds a stopped task for
 * about an hour only. A task that has not started yet has no stream, and so no lines.
 *
 * The stream name is worked out here rather than with `logStreamName` of ecs-task-definitions.ts:
 * that module sends task-definition commands, and the API's bundle (and role) should not carry them.
 */
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { RunState } from '../../../domain/run/run-decider.ts';
import type { LogPage, TaskDriver } from '../../../ports/task-driver.ts';
import { familyOf, taskLogStream } from '../tasks/ecs-task-state.ts';
import { parseRunTaskId } from '../../../domain/planner/run-tasks.ts';
import { isNamed } from '../sdk-errors.ts';

/** GetLogEvents returns at most 10,000 events a call. */
const MAX_LIMIT = 10_000;
/** Stream names are fixed once a task runs; remember this many. */
const MAX_CACHED_STREAMS = 1000;

export interface CloudWatchTaskLogsOptions {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  cluster: string;
  logGroup: string;
  /** The run a task belongs to (JobRunService.load). */
  loadRun: (runId: string) => Promise<RunState>;
}

const EMPTY: LogPage = { lines: [], next: null };

export class CloudWatchTaskLogs implements Pick<TaskDriver, 'logs'> {
  private readonly streams = new Map<string, string>();

  constructor(private readonly options: CloudWatchTaskLogsOptions) {}

  async logs(taskId: string, options: { cursor?: string | null; limit: number }): Promise<LogPage> {
    const stream = await this.streamOf(taskId);
    if (!stream) return EMPTY;
    const cursor = options.cursor ?? null;
    try {
      const page = await this.options.logs.send(
        new GetLogEventsCommand({
          logGroupName: this.options.logGroup,
          logStreamName: stream,
          startFromHead: true,
          limit: Math.max(1, Math.min(options.limit, MAX_LIMIT)),
          ...(cursor ? { nextToken: cursor } : {}),
        }),
      );
      const lines = (page.events ?? []).map((e) => ({
        timestamp: new Date(e.timestamp ?? 0).toISOString(),
        stream: 'stdout' as const,
        message: e.message ?? '',
      }));
      const forward = page.nextForwardToken;
      return { lines, next: forward && forward !== cursor ? forward : null };
    } catch (error) {
      // The stream appears with the container's first output.
      if (isNamed(error, 'ResourceNotFoundException')) return EMPTY;
      throw error;
    }
  }

  /** The log stream of a run task that has started, or undefined when it has none (yet, or any more). */
  private async streamOf(taskId: string): Promise<string | undefined> {
    const id = parseRunTaskId(taskId);
    if (!id) return undefined;
    const run = await this.options.loadRun(id.runId);
    const task = run?.tasks.find((t) => t.taskId === taskId);
    if (task?.logStream) return task.logStream;
    // Runs recorded before log streams were: work the stream out from the task, while ECS knows it.
    const ref = task?.ref;
    if (!ref) return undefined;
    const cached = this.streams.get(ref);
    if (cached) return cached;
    const described = await this.options.ecs.send(new DescribeTasksCommand({ cluster: this.options.cluster, tasks: [ref] }));
    const definition = described.tasks?.find((t) => t.taskArn === ref)?.taskDefinitionArn ?? described.tasks?.[0]?.taskDefinitionArn;
    const family = definition ? familyOf(definition) : undefined;
    if (!family) return undefined;
    const stream = taskLogStream(family, ref);
    if (this.streams.size >= MAX_CACHED_STREAMS) this.streams.delete(this.streams.keys().next().value!);
    this.streams.set(ref, stream);
    return stream;
  }
}

/** Task logs of the stack's cluster and log group, with new clients. */
export function cloudWatchTaskLogsWith(settings: Pick<CloudWatchTaskLogsOptions, 'cluster' | 'logGroup' | 'loadRun'>): CloudWatchTaskLogs {
  return new CloudWatchTaskLogs({ ecs: new ECSClient({}), logs: new CloudWatchLogsClient({}), ...settings });
}
