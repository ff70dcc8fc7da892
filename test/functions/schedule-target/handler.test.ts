import { liveJob } from '../../domain/support/live-resource.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickFromSchedule } from '../../../functions/schedule-target/handler.ts';
import { loadState } from '../../../shared/app/command-runner.ts';
import { resourceModel } from '../../../shared/app/resource-model.ts';
import { tickRunId } from '../../../shared/app/job-run-service.ts';
import type { ResourceState } from '../../../shared/domain/resource/resource-decider.ts';
import { createJob, startJobRuns, type JobRunsFixture } from '../../adapters/aws/support/job-runs-on-dynalite.ts';

let f: JobRunsFixture;

beforeAll(async () => {
  f = await startJobRuns();
});

afterAll(async () => {
  await f.dynamo.close();
});

async function activeRuns(streamId: string) {
  const { state } = await loadState(f.store, resourceModel(streamId));
  return liveJob(state as ResourceState).runs.active.map((r) => r.id);
}

describe('schedule target handler', () => {
  it('requests one run for a tick, and still one when the same tick fires twice', async () => {
    // Prepare
    const job = await createJob(f, 'nightly', { schedule: '0 * * * *' });
    const event = { job_id: job.id, scheduled_time: '2026-01-01T01:00:00Z' };

    // Act
    const tick = await tickFromSchedule(event, f.jobs);
    await tickFromSchedule(event, f.jobs);

    // Assess
    expect(tick).toEqual({ jobId: job.id, scheduledFor: '2026-01-01T01:00:00.000Z' });
    expect(await activeRuns(job.streamId)).toEqual([tickRunId(job.id, '2026-01-01T01:00:00.000Z')]);
  });

  it('logs and drops a malformed event instead of failing (a retry could not fix it)', async () => {
    const ticks: string[] = [];
    const result = await tickFromSchedule({ job_id: 'x', scheduled_time: 'yesterday' }, { tick: async (id) => void ticks.push(id) });
    expect(result).toBeUndefined();
    expect(ticks).toEqual([]);
  });

  it('fails when the tick cannot be recorded, so Scheduler retries it', async () => {
    const failing = { tick: async () => Promise.reject(new Error('throttled')) };
    await expect(tickFromSchedule({ job_id: 'x', scheduled_time: '2026-01-01T01:00:00Z' }, failing)).rejects.toThrow('throttled');
  });
});
