import { describe, expect, it } from 'vitest';
import { hoursRefusal, instancesOf, instancesRefusal, specRefusal, windowUsage } from '../../../shared/domain/limits/limit-checks.ts';
import { limitSettings } from '../support/usage-limit-settings.ts';
import type { UsageLimit } from '../../../shared/domain/limits/usage-limits.ts';
import { typedRecipe } from '../support/typed-recipe.ts';

const workspace = (spec: Record<string, unknown> = {}) => typedRecipe({ type: 'workspace', spec: { name: 'lab', ...spec } }, { caller: 'ann' });
const deployment = (spec: Record<string, unknown> = {}) => typedRecipe({ type: 'deployment', spec: { name: 'web', command: 'serve', ...spec } }, { caller: 'ann' });
const job = (spec: Record<string, unknown> = {}) => typedRecipe({ type: 'job', spec: { name: 'etl', command: 'run', ...spec } }, { caller: 'ann' });

const NONE: UsageLimit = { ...limitSettings({ name: 'l' }), id: 'l', org_id: 'cassini', created_at: '2026-12-01T00:00:00Z' };

describe('limit checks', () => {
  it('counts the instances one start runs: replicas or ranks, plus a Dask scheduler and its workers (scaled or not)', () => {
    expect(instancesOf(workspace())).toBe(1);
    expect(instancesOf(deployment({ scale: 3 }))).toBe(3);
    expect(instancesOf(job({ scale: 2, dask_cluster: { num_workers: 4 } }))).toBe(2 + 1 + 4);
    expect(instancesOf(job({ dask_cluster: { num_workers: 4 } }), 1)).toBe(1 + 1 + 1);
  });

  it('lets through what a limit of nulls does not limit, and the default sizes, shutoff and disk when allowed', () => {
    expect(specRefusal(NONE, workspace({ instance_type: '4xlarge', auto_shutoff: 'Never', disk_space: '1000Gi' }))).toBeUndefined();
    expect(specRefusal({ ...NONE, instance_sizes: ['medium'], auto_shutoff: 1, storage_in_gb: 10 }, workspace())).toBeUndefined();
    expect(specRefusal({ ...NONE, auto_shutoff: 168 }, workspace({ auto_shutoff: 'Never' }))).toContain('Never');
  });

  it('allows instances up to num_instances, and names the number a start would make', () => {
    expect(instancesRefusal({ ...NONE, num_instances: 4 }, 2, 2)).toBeUndefined();
    expect(instancesRefusal({ ...NONE, num_instances: 4 }, 2, 3)).toBe('Usage limit l allows num_instances 4 running at once; this start would make 5 (2 running, 3 more).');
  });

  it('counts the UTC day, the UTC month and all time, each instance of an interval, open ones until now', () => {
    const now = Date.parse('2026-12-06T02:00:00Z');
    const usage = windowUsage(
      [
        { key: 'a', kind: 'dask-worker', resourceId: 'r', resourceType: 'job', owner: 'ann', size: 'small', instances: 2, start: '2026-12-05T23:00:00Z', end: '2026-12-06T01:00:00Z' },
        { key: 'b', kind: 'replica', resourceId: 'r', resourceType: 'deployment', owner: 'ann', size: 'small', instances: 1, start: '2026-11-30T23:00:00Z', end: null },
      ],
      now,
      3_600_000,
    );
    expect(usage).toEqual({ hours_today: 2 + 2, hours_this_month: 4 + (24 * 5 + 2), hours_forever: 4 + (24 * 5 + 3) });
    expect(hoursRefusal({ ...NONE, hours_per_month: 200 }, 'ann', usage)).toBeUndefined();
    expect(hoursRefusal({ ...NONE, hours_per_day: 4 }, 'ann', usage)).toBe('Usage limit l: hours_per_day is 4 instance-hours and ann has used 4 today (UTC).');
  });
});
