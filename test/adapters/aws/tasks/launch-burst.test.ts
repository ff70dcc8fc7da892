/**
 * The midnight burst: 1,000 scheduled runs due in the same minute, against an ECS that takes
 * 20 launches a second, throttles the rest and sometimes loses the answer to a launch it made.
 * Every run must start, none twice, and the queue must not hammer the API while it drains.
 */
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EcsTaskDefinitions } from '../../../../shared/adapters/aws/tasks/ecs-task-definitions.ts';
import { EcsTaskLauncher, type LaunchOutcome } from '../../../../shared/adapters/aws/tasks/ecs-task-launcher.ts';
import { LaunchQueue } from '../../../../shared/adapters/aws/tasks/launch-queue.ts';
import { runTasks } from '../../../../shared/domain/planner/run-tasks.ts';
import type { RunPlan } from '../../../../events/run-events.ts';
import { throttlingEcs } from '../support/throttling-ecs.ts';

const RUNS = 1_000;
const MIDNIGHT = new Date('2025-02-01T00:00:00.000Z');

const plan: RunPlan = {
  command: 'python nightly.py',
  environment: {},
  image: 'public.ecr.aws/saturncloud/saturn-python:2024.08.01',
  instance_type: 'medium',
  scale: 1,
  timeout_seconds: null,
  start_script: null,
  working_directory: null,
};

/** mulberry32: a seeded [0, 1) source, so the jitter — and the test — is the same every time. */
function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: MIDNIGHT, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('a burst of 1,000 runs due at once', () => {
  it('starts every run exactly once, within the launch rate ECS allows', { timeout: 5_000 }, async () => {
    // Prepare
    const ecs = throttlingEcs({ launchesPerSecond: 20, timeoutEvery: 50 });
    const definitions = new EcsTaskDefinitions({
      client: ecs.client,
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      logGroup: '/cassini/tasks',
      region: 'eu-west-1',
    });
    const launcher = new EcsTaskLauncher({
      client: ecs.client,
      cluster: 'cassini',
      subnets: ['subnet-0a1b2c3d'],
      securityGroups: ['sg-0123456789abcdef0'],
      definitions,
      gpuCapacityProviders: { 'g5.xlarge': 'cassini-gpu-g5-xlarge' },
      // Fargate's documented rate: 20 a second, bursts of 100.
      queue: new LaunchQueue({ random: seededRandom(7) }),
    });
    const runIds = Array.from({ length: RUNS }, (_, i) => `${MIDNIGHT.getTime().toString(16)}${String(i).padStart(20, '0')}`);

    // Act: every run is handed over at midnight; fake time runs until the last one is settled.
    let settled = false;
    const launches = Promise.all(
      runIds.map((runId) =>
        launcher.launch(runTasks({ runId, jobId: `job-${runId}`, jobName: 'nightly', owner: 'ada' }, plan, { leaderAddress: () => 'localhost' }), {
          image: plan.image,
          instance_type: plan.instance_type,
          spot: false,
        }),
      ),
    ).finally(() => (settled = true));
    for (let step = 0; !settled && step < 10 * 60 * 10; step++) await vi.advanceTimersByTimeAsync(100);
    const outcomes: LaunchOutcome[] = (await launches).flat();
    const drainedInMs = Date.now() - MIDNIGHT.getTime();

    // Assess: every run started, each with one task of its own.
    expect(outcomes.filter((o) => o.status !== 'started')).toEqual([]);
    const arns = outcomes.map((o) => (o.status === 'started' ? o.taskArn : ''));
    expect(new Set(arns).size).toBe(RUNS);

    // ECS started exactly one task per run: the retries of lost answers reused the clientToken.
    const tasks = ecs.tasks();
    expect(tasks).toHaveLength(RUNS);
    expect(new Set(tasks.map((t) => t.startedBy))).toEqual(new Set(runIds));
    expect(new Set(tasks.map((t) => t.taskArn))).toEqual(new Set(arns));

    // The hard paths were taken: throttling, and answers lost after a start, then replayed.
    expect(ecs.stats.throttled).toBeGreaterThan(0);
    expect(ecs.stats.timedOut).toBe(RUNS / 50);
    expect(ecs.stats.replayed).toBeGreaterThanOrEqual(ecs.stats.timedOut);

    // ECS never accepted more than its limit a second, and the queue never sent more than
    // its bucket holds plus a second's refill: the burst was paced, not hammered.
    expect(ecs.maxAcceptedInASecond()).toBeLessThanOrEqual(20);
    expect(ecs.maxReceivedInASecond()).toBeLessThanOrEqual(100 + 20);
    // Most calls did useful work: a throttle-and-retry storm would multiply them.
    expect(ecs.stats.calls).toBeLessThan(RUNS * 1.2);

    // 1,000 launches at 20 a second take 50 s; the queue adds little to that.
    expect(drainedInMs).toBeLessThan(70_000);
    expect(ecs.mock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
  });
});
