import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { foldUsage, usageEventsOf, type UsageEvent } from '../../../shared/domain/usage/usage-intervals.ts';
import { dailyUsage } from '../../../shared/domain/usage/daily-usage.ts';

const JOB = 'a'.repeat(32);
const SERVICE = 'b'.repeat(32);
const T0 = Date.parse('2026-11-30T22:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** An event as a test writes it: its time in milliseconds, its version not yet given. */
type Unrecorded<E> = E extends UsageEvent ? Omit<E, 'at' | 'version'> & { atMs: number } : never;

/** A stream's events, versions numbered in order of time (the order the log records them). */
function stream(events: Array<Unrecorded<UsageEvent>>): UsageEvent[] {
  return [...events].sort((a, b) => a.atMs - b.atMs).map(({ atMs, ...e }, i) => ({ ...e, at: iso(atMs), version: i + 1 }));
}

/** One instance's true life: started at `start`, its end recorded at `end` (null: still running). */
const life = fc.record({
  start: fc.integer({ min: 0, max: 3 * 86_400_000 }),
  length: fc.integer({ min: 0, max: 2 * 86_400_000 }),
  /** Ended normally, lost in a crash and its loss recorded later, or still running. */
  ending: fc.constantFrom('exited', 'lost-then-recorded', 'running'),
  recordedAfter: fc.integer({ min: 1, max: 600_000 }),
});
type Life = { start: number; length: number; ending: 'exited' | 'lost-then-recorded' | 'running'; recordedAfter: number };

/** When the log says it ended: a crash-lost task counts until its loss is recorded. */
function recordedEnd(l: Life): number | null {
  if (l.ending === 'running') return null;
  return T0 + l.start + l.length + (l.ending === 'lost-then-recorded' ? l.recordedAfter : 0);
}

const NOW = T0 + 6 * 86_400_000;

function trueSeconds(lives: Life[]): number {
  return lives.reduce((sum, l) => {
    const end = recordedEnd(l) ?? NOW;
    return sum + (Math.floor(end / 1000) - Math.floor((T0 + l.start) / 1000));
  }, 0);
}

function totalSeconds(events: UsageEvent[], streamId: string): number {
  const usage = foldUsage(streamId, events);
  const rows = dailyUsage(usage.intervals, usage.names, { firstDay: '2026-11-01', lastDay: '2026-12-31', timeZone: 'UTC', now: NOW });
  return rows.reduce((sum, r) => sum + r.instance_seconds, 0);
}

describe('usage from the event log', () => {
  it('counts a run\'s tasks (every rank, lost ones until their loss is recorded) to the second, however their events interleave', () => {
    fc.assert(
      fc.property(fc.array(life, { minLength: 1, maxLength: 8 }), (lives) => {
        const events = stream([
          { type: 'RunQueued', data: { run_id: 'r1', job_id: JOB, owner: 'ann', plan: { instance_type: 'large', scale: lives.length } }, atMs: T0 - 1 },
          ...lives.flatMap((l, rank): Array<Unrecorded<UsageEvent>> => {
            const end = recordedEnd(l);
            const started: Unrecorded<UsageEvent> = { type: 'TaskStarted', data: { task_id: `t${rank}` }, atMs: T0 + l.start };
            return end === null ? [started] : [started, { type: 'TaskExited', data: { task_id: `t${rank}`, exit_code: l.ending === 'exited' ? 0 : null, reason: l.ending }, atMs: end }];
          }),
        ]);
        expect(totalSeconds(events, 'run-r1')).toBe(trueSeconds(lives));
      }),
    );
  });

  it('counts replicas across starts, stops, crashes and restarts to the second', () => {
    fc.assert(
      fc.property(fc.array(life, { minLength: 1, maxLength: 8 }), (lives) => {
        const events = stream([
          { type: 'ResourceCreated', data: { id: SERVICE, type: 'deployment', owner: 'ann', name: 'api', incarnation: 1, spec: { instance_type: 'small' } }, atMs: T0 - 2 },
          { type: 'ResourceStartRequested', data: {}, atMs: T0 - 1 },
          ...lives.flatMap((l, i): Array<Unrecorded<UsageEvent>> => {
            const end = recordedEnd(l);
            const started: Unrecorded<UsageEvent> = { type: 'ReplicaStarted', data: { pod: `p${i}`, revision: 1 }, atMs: T0 + l.start };
            return end === null ? [started] : [started, { type: 'ReplicaExited', data: { pod: `p${i}`, revision: 1, exit_code: null, reason: l.ending }, atMs: end }];
          }),
        ]);
        expect(totalSeconds(events, 'resource-x')).toBe(trueSeconds(lives));
      }),
    );
  });

  it('gives the same usage whether the events come at once or in any split into batches (a repeat changes nothing)', () => {
    fc.assert(
      fc.property(fc.array(life, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 5 }), (lives, cuts) => {
        const events = stream([
          { type: 'RunQueued', data: { run_id: 'r1', job_id: JOB, owner: 'ann', plan: { instance_type: 'small', scale: 1 } }, atMs: T0 - 1 },
          ...lives.flatMap((l, rank): Array<Unrecorded<UsageEvent>> => {
            const end = recordedEnd(l);
            const started: Unrecorded<UsageEvent> = { type: 'TaskStarted', data: { task_id: `t${rank}` }, atMs: T0 + l.start };
            return end === null ? [started] : [started, { type: 'TaskExited', data: { task_id: `t${rank}` }, atMs: end }];
          }),
        ]);
        let state = foldUsage('run-r1', []);
        let from = 0;
        for (const cut of [...cuts.map((c) => c % (events.length + 1))].sort((a, b) => a - b)) {
          state = foldUsage('run-r1', events.slice(Math.max(0, from - 1), cut), state); // overlapping: the repeated event is skipped
          from = Math.max(from, cut);
        }
        state = foldUsage('run-r1', events.slice(from), state);
        expect(state).toEqual(foldUsage('run-r1', events));
      }),
    );
  });

  it('counts a Dask cluster while its deployment is started: the scheduler and each worker, at their sizes', () => {
    // Prepare: 2 workers of size large, scheduler small; started for one hour, scaled to 4 for the second hour.
    const h = 3_600_000;
    const events = stream([
      {
        type: 'ResourceCreated',
        data: { id: SERVICE, type: 'deployment', owner: 'ann', name: 'api', incarnation: 1, spec: { instance_type: 'medium', dask_cluster: { num_workers: 2, scheduler: { instance_type: 'small' }, worker: { instance_type: 'large' } } } },
        atMs: T0,
      },
      { type: 'ResourceStartRequested', data: {}, atMs: T0 + h },
      { type: 'DaskClusterScaled', data: { num_workers: 4 }, atMs: T0 + 2 * h },
      { type: 'ResourceStopRequested', data: {}, atMs: T0 + 3 * h },
    ]);
    // Act
    const usage = foldUsage('resource-x', events);
    const rows = dailyUsage(usage.intervals, usage.names, { firstDay: '2026-11-30', lastDay: '2026-12-01', timeZone: 'UTC', now: NOW, groupBy: ['size', 'kind'] });
    // Assess: started 23:00 (T0 is 22:00 UTC), scaled at midnight, stopped at 01:00: each day one scheduler hour, then 2 or 4 worker hours.
    expect(rows.map((r) => [r.date, r.instance_type, r.kind, r.instance_hours])).toEqual([
      ['2026-11-30', 'large', 'dask-worker', 2],
      ['2026-11-30', 'small', 'dask-scheduler', 1],
      ['2026-12-01', 'large', 'dask-worker', 4],
      ['2026-12-01', 'small', 'dask-scheduler', 1],
    ]);
  });

  it('counts a job\'s Dask cluster while it has an active run', () => {
    const h = 3_600_000;
    const events = stream([
      { type: 'ResourceCreated', data: { id: JOB, type: 'job', owner: 'ann', name: 'etl', incarnation: 1, spec: { instance_type: 'small', dask_cluster: { num_workers: 1 } } }, atMs: T0 },
      { type: 'JobRunRequested', data: { run_id: 'r1' }, atMs: T0 + h },
      { type: 'JobRunRequested', data: { run_id: 'r2' }, atMs: T0 + 1.5 * h },
      { type: 'JobRunFinished', data: { run_id: 'r1' }, atMs: T0 + 2 * h },
      { type: 'JobRunFinished', data: { run_id: 'r2' }, atMs: T0 + 3 * h },
    ]);
    const usage = foldUsage('resource-x', events);
    const rows = dailyUsage(usage.intervals, usage.names, { firstDay: '2026-11-01', lastDay: '2026-12-31', timeZone: 'UTC', now: NOW, groupBy: ['kind'] });
    expect(rows.reduce((s, r) => s + r.instance_seconds, 0)).toBe(2 * 2 * 3600);
  });

  it('closes what the runtime did not report ended when the resource is recorded stopped, and when a run ends', () => {
    const events = stream([
      { type: 'ResourceCreated', data: { id: SERVICE, type: 'workspace', owner: 'ann', name: 'ws', incarnation: 1, spec: {} }, atMs: T0 },
      { type: 'ResourceStartRequested', data: {}, atMs: T0 + 1000 },
      { type: 'ReplicaStarted', data: { pod: 'p1', revision: 1 }, atMs: T0 + 2000 },
      { type: 'ResourceBecameStopped', data: {}, atMs: T0 + 62_000 },
    ]);
    const usage = foldUsage('resource-x', events);
    expect(usage.intervals).toEqual([expect.objectContaining({ kind: 'replica', size: 'medium', start: iso(T0 + 2000), end: iso(T0 + 62_000) })]);
    const run = stream([
      { type: 'RunQueued', data: { run_id: 'r1', job_id: JOB, owner: 'ann', plan: { instance_type: 'small', scale: 1 } }, atMs: T0 },
      { type: 'TaskStarted', data: { task_id: 't0' }, atMs: T0 + 1000 },
      { type: 'RunCancelled', data: { reason: 'x' }, atMs: T0 + 5000 },
    ]);
    expect(foldUsage('run-r1', run).intervals[0]!.end).toBe(iso(T0 + 5000));
  });
});

describe('usageEventsOf', () => {
  it('reads a stream\'s stored resource and run events as the fold\'s, and leaves out an event of another aggregate', () => {
    const recorded = { at: iso(T0), actor: 'ann', stream: 'run-r1' };
    const queued = { ...recorded, type: 'RunQueued', version: 1, data: { run_id: 'r1', job_id: JOB, owner: 'ann', plan: { instance_type: 'small' } } };
    const foreign = { ...recorded, type: 'SecretCreated', version: 2, data: { owner: 'ann', name: 's', description: null, access: 'owner' } };
    const started = { ...recorded, type: 'TaskStarted', version: 3, data: { task_id: 't0' } };
    expect(usageEventsOf([queued, foreign, started])).toEqual([queued, started]);
  });
});

describe('dailyUsage', () => {
  const interval = { key: 'k', kind: 'task' as const, resourceId: JOB, resourceType: 'job' as const, owner: 'ann', size: 'small', instances: 1 };

  it('cuts days at the midnights of the time zone asked for, 23-hour days included', () => {
    // Prepare: 2026-03-29 is the day Europe/Paris moves from UTC+1 to UTC+2 (a 23-hour day).
    const start = '2026-03-28T23:00:00.000Z'; // 00:00 on the 29th in Paris
    const end = '2026-03-29T23:00:00.000Z'; // 01:00 on the 30th in Paris
    // Act
    const rows = dailyUsage([{ ...interval, start, end }], {}, { firstDay: '2026-03-28', lastDay: '2026-03-30', timeZone: 'Europe/Paris', now: NOW, groupBy: ['owner'] });
    // Assess
    expect(rows.map((r) => [r.date, r.instance_seconds])).toEqual([
      ['2026-03-29', 23 * 3600],
      ['2026-03-30', 3600],
    ]);
  });

  it('counts only the days asked for, an open interval until now, and prices what has a price', () => {
    const rows = dailyUsage([{ ...interval, start: '2026-12-01T12:00:00Z', end: null }], { [JOB]: 'etl' }, {
      firstDay: '2026-12-02',
      lastDay: '2026-12-02',
      timeZone: 'UTC',
      now: Date.parse('2026-12-03T06:00:00Z'),
      prices: { small: 0.5 },
    });
    expect(rows).toEqual([
      { date: '2026-12-02', owner: 'ann', resource_id: JOB, resource_name: 'etl', resource_type: 'job', instance_type: 'small', instance_seconds: 86_400, instance_hours: 24, cost: 12 },
    ]);
  });

  it('filters by owner, resource and size', () => {
    const a = { ...interval, start: '2026-12-01T00:00:00Z', end: '2026-12-01T01:00:00Z' };
    const b = { ...a, key: 'b', owner: 'bob', size: 'large' };
    const base = { firstDay: '2026-12-01', lastDay: '2026-12-01', timeZone: 'UTC', now: NOW };
    expect(dailyUsage([a, b], {}, { ...base, owners: new Set(['bob']) }).map((r) => r.owner)).toEqual(['bob']);
    expect(dailyUsage([a, b], {}, { ...base, size: 'small' }).map((r) => r.owner)).toEqual(['ann']);
    expect(dailyUsage([a, b], {}, { ...base, resourceId: 'c'.repeat(32) })).toEqual([]);
  });
});
