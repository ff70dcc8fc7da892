/**
 * The local scheduler: each scheduled job ticks at its own times, with the time the tick was
 * due, whether or not other jobs share its expression (they share one timer). A fake clock
 * drives croner's timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalJobScheduler } from '../../../infra/local/local-job-scheduler.ts';
import type { ScheduleTick } from '../../../shared/ports/job-scheduler.ts';

let ticks: ScheduleTick[];
let scheduler: LocalJobScheduler;

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-06T08:00:30.000Z') });
  ticks = [];
  scheduler = new LocalJobScheduler(async (tick) => void ticks.push(tick));
});

afterEach(() => {
  scheduler.close();
  vi.useRealTimers();
});

const hourly = (jobId: string, timeZone = 'UTC') => ({ jobId, schedule: '0 * * * *', timeZone, suspended: false });
const sorted = () => [...ticks].sort((a, b) => `${a.scheduledFor}${a.jobId}`.localeCompare(`${b.scheduledFor}${b.jobId}`));

describe('LocalJobScheduler', () => {
  it('ticks every job of a shared expression once per due time, and a job of another expression at its own times', async () => {
    await scheduler.put(hourly('job-a'));
    await scheduler.put(hourly('job-b'));
    await scheduler.put({ jobId: 'job-c', schedule: '30 8 * * *', timeZone: 'UTC', suspended: false });

    await vi.advanceTimersByTimeAsync(60 * 60_000);

    expect(sorted()).toEqual([
      { jobId: 'job-c', scheduledFor: '2026-12-06T08:30:00.000Z' },
      { jobId: 'job-a', scheduledFor: '2026-12-06T09:00:00.000Z' },
      { jobId: 'job-b', scheduledFor: '2026-12-06T09:00:00.000Z' },
    ]);
  });

  it('keeps time zones apart: the same expression in another zone is another timer', async () => {
    await scheduler.put({ jobId: 'utc', schedule: '0 10 * * *', timeZone: 'UTC', suspended: false });
    await scheduler.put({ jobId: 'paris', schedule: '0 10 * * *', timeZone: 'Europe/Paris', suspended: false });

    await vi.advanceTimersByTimeAsync(2 * 60 * 60_000);

    expect(sorted()).toEqual([
      { jobId: 'paris', scheduledFor: '2026-12-06T09:00:00.000Z' },
      { jobId: 'utc', scheduledFor: '2026-12-06T10:00:00.000Z' },
    ]);
  });

  it('stops ticking a removed, suspended or rescheduled job, and leaves the jobs sharing its timer ticking', async () => {
    for (const id of ['removed', 'suspended', 'moved', 'kept']) await scheduler.put(hourly(id));

    await scheduler.remove('removed');
    await scheduler.put({ ...hourly('suspended'), suspended: true });
    await scheduler.put({ ...hourly('moved'), schedule: '15 * * * *' });
    await vi.advanceTimersByTimeAsync(60 * 60_000);

    expect(sorted()).toEqual([
      { jobId: 'moved', scheduledFor: '2026-12-06T08:15:00.000Z' },
      { jobId: 'kept', scheduledFor: '2026-12-06T09:00:00.000Z' },
    ]);
    expect(scheduler.scheduledJobs().sort()).toEqual(['kept', 'moved']);
  });

  it('arms nothing once closed, and a timer whose last job is removed fires no more', async () => {
    await scheduler.put(hourly('only'));
    await scheduler.remove('only');
    scheduler.close();
    await scheduler.put(hourly('late'));

    await vi.advanceTimersByTimeAsync(2 * 60 * 60_000);

    expect(ticks).toEqual([]);
    expect(vi.getTimerCount(), 'no croner timer left behind').toBe(0);
  });
});
