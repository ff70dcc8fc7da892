import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportTaskState, type TaskStateChange } from '../../../functions/task-state/handler.ts';
import { createJob, queueRun, startJobRuns, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';

let f: JobRunsFixture;

beforeAll(async () => {
  f = await startJobRuns();
});

afterAll(async () => {
  await f.dynamo.close();
});

function taskEvent(runId: string, rank: number, detail: Partial<TaskStateChange['detail']>): TaskStateChange {
  return {
    version: '0', id: 'e1', 'detail-type': 'ECS Task State Change', source: 'aws.ecs', account: '123456789012', time: '2026-01-01T00:05:00Z', region: 'eu-west-1', resources: [],
    detail: {
      taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/cassini/${rank}abc`,
      group: `run:${runId}`,
      startedBy: runId,
      overrides: { containerOverrides: [{ name: 'main', environment: [{ name: 'SATURN_JOB_RANK', value: String(rank) }] }] },
      ...detail,
    },
  };
}

async function launchedRun(runId: string) {
  const job = await createJob(f, `job-${runId.slice(0, 4)}`);
  await queueRun(f, runId, job.id);
  await f.jobs.report(runId, { kind: 'RecordTasksLaunched', tasks: [{ rank: 0, taskId: `${runId}-0` }], at: '2026-01-01T00:00:01.000Z', actor: 'system:runner' });
}

describe('task state handler', () => {
  it('turns RUNNING into a started run, at the time ECS started the task', async () => {
    const runId = 'a'.repeat(32);
    await launchedRun(runId);
    await reportTaskState(taskEvent(runId, 0, { lastStatus: 'RUNNING', startedAt: '2026-01-01T00:00:30Z' }), f.jobs);
    const run = await f.jobs.load(runId);
    expect(run).toMatchObject({ status: 'running', startedAt: '2026-01-01T00:00:30.000Z' });
  });

  it('records the task ARN and its log stream when the task runs, so its logs stay readable after ECS forgets it', async () => {
    const runId = 'f'.repeat(32);
    await launchedRun(runId);
    const definition = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/cassini-0123456789ab:4';
    await reportTaskState(taskEvent(runId, 0, { lastStatus: 'RUNNING', taskDefinitionArn: definition }), f.jobs);
    const run = await f.jobs.load(runId);
    expect(run?.tasks[0]).toMatchObject({ ref: 'arn:aws:ecs:eu-west-1:123456789012:task/cassini/0abc', logStream: 'cassini-0123456789ab/main/0abc' });
  });

  it('turns a STOPPED task with exit code 1 into a failed run', async () => {
    // Prepare
    const runId = 'b'.repeat(32);
    await launchedRun(runId);
    await reportTaskState(taskEvent(runId, 0, { lastStatus: 'RUNNING' }), f.jobs);

    // Act
    await reportTaskState(taskEvent(runId, 0, { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'main', exitCode: 1 }] }), f.jobs);

    // Assess
    const run = await f.jobs.load(runId);
    expect(run).toMatchObject({ status: 'failed', exitCode: 1, reason: 'task 0: exited with code 1' });
  });

  it('reports a spot interruption without an exit code, with ECS\'s reason', async () => {
    const runId = 'c'.repeat(32);
    await launchedRun(runId);
    await reportTaskState(taskEvent(runId, 0, { lastStatus: 'STOPPED', stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.', containers: [{ name: 'main' }] }), f.jobs);
    const run = await f.jobs.load(runId);
    expect(run).toMatchObject({ status: 'failed', exitCode: null, reason: 'task 0: SpotInterruption: Your Spot Task was interrupted.' });
  });

  it('ignores tasks Cassini did not start, and states that report nothing', async () => {
    const reports: unknown[] = [];
    const target = { report: async (...args: unknown[]) => void reports.push(args) as never };
    const foreign = taskEvent('d'.repeat(32), 0, { lastStatus: 'STOPPED', group: 'service:web', startedBy: 'ecs-svc/123', containers: [{ exitCode: 1 }] });
    expect(await reportTaskState(foreign, target)).toBeUndefined();
    expect(await reportTaskState(taskEvent('d'.repeat(32), 0, { lastStatus: 'PROVISIONING' }), target)).toBeUndefined();
    expect(reports).toEqual([]);
  });

  it('drops the state of a run that does not exist', async () => {
    expect(await reportTaskState(taskEvent('e'.repeat(32), 0, { lastStatus: 'RUNNING' }), f.jobs)).toBeUndefined();
  });
});
