/**
 * A fake ECS behind a real `ECSClient` (its `send` replaced by aws-sdk-client-mock) that
 * behaves as ECS does where a launch burst is concerned:
 *
 * - it accepts at most `launchesPerSecond` RunTask calls per second of (fake) time and answers
 *   the rest with ThrottlingException — stricter than Fargate, which also allows a burst;
 * - it remembers every clientToken and answers a repeated one with the task it started, as
 *   ECS's idempotency does, instead of starting another;
 * - every `timeoutEvery`-th task it starts, the answer is lost: the task exists, the caller
 *   gets a TimeoutError after a while, as when a socket times out after ECS acted.
 *
 * It reads time with Date.now() and waits with setTimeout, so vi.useFakeTimers drives it.
 */
import { DescribeTaskDefinitionCommand, ECSClient, RunTaskCommand, type RunTaskCommandInput, type Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';

export interface ThrottlingEcsOptions {
  launchesPerSecond: number;
  timeoutEvery: number;
  /** How long an accepted call takes to answer. */
  latencyMs?: number;
  /** How long a caller waits before its lost answer times out. */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function bump(counts: Map<number, number>, key: number): number {
  const next = (counts.get(key) ?? 0) + 1;
  counts.set(key, next);
  return next;
}

export function throttlingEcs(options: ThrottlingEcsOptions) {
  const { launchesPerSecond, timeoutEvery, latencyMs = 80, timeoutMs = 3_000 } = options;
  const client = new ECSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const mock = mockClient(client);
  const taskByToken = new Map<string, Task>();
  const acceptedPerSecond = new Map<number, number>();
  const receivedPerSecond = new Map<number, number>();
  const stats = { calls: 0, throttled: 0, timedOut: 0, replayed: 0 };

  mock.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => ({
    taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${input.taskDefinition}:1`, status: 'ACTIVE' },
  }));

  mock.on(RunTaskCommand).callsFake(async (input: RunTaskCommandInput) => {
    stats.calls += 1;
    const second = Math.floor(Date.now() / 1000);
    bump(receivedPerSecond, second);
    if ((acceptedPerSecond.get(second) ?? 0) >= launchesPerSecond) {
      stats.throttled += 1;
      await sleep(20);
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    }
    bump(acceptedPerSecond, second);
    const token = input.clientToken;
    if (token === undefined) throw new Error('the fake expects every RunTask to carry a clientToken');
    const known = taskByToken.get(token);
    if (known) {
      stats.replayed += 1;
      await sleep(latencyMs);
      return { tasks: [known], failures: [] };
    }
    const task: Task = {
      taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/cassini/${String(taskByToken.size + 1).padStart(6, '0')}`,
      startedBy: input.startedBy,
      group: input.group,
      lastStatus: 'PROVISIONING',
      createdAt: new Date(),
    };
    taskByToken.set(token, task);
    if (taskByToken.size % timeoutEvery === 0) {
      stats.timedOut += 1;
      await sleep(timeoutMs);
      throw Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });
    }
    await sleep(latencyMs);
    return { tasks: [task], failures: [] };
  });

  return {
    client,
    mock,
    stats,
    /** Every task the fake started, one per clientToken it accepted first. */
    tasks: () => [...taskByToken.values()],
    maxAcceptedInASecond: () => Math.max(0, ...acceptedPerSecond.values()),
    maxReceivedInASecond: () => Math.max(0, ...receivedPerSecond.values()),
  };
}
