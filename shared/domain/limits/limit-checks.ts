/**
 * What a usage limit refuses, decided on plain values: a spec's sizes, type, auto_shutoff, disk and
 * shared folders (on apply and start), the instances an owner would run at once (on start), and
 * the instance-hours used in the day, month and forever windows (on start, and over time). Each
 * refusal names the limit, the setting and the number it would exceed.
 */
import type { AUTO_SHUTOFF_CHOICES } from '../recipe/choices.ts';
import type { ResourceSpec, TypedSpec } from '../recipe/spec-types.ts';
import type { UsageLimit } from './usage-limits.ts';
import type { UsageInterval } from '../usage/usage-intervals.ts';

const AUTO_SHUTOFF_HOURS: Record<(typeof AUTO_SHUTOFF_CHOICES)[number], number> = {
  '1 hour': 1,
  '6 hours': 6,
  '24 hours': 24,
  '3 days': 72,
  '7 days': 168,
  Never: Number.POSITIVE_INFINITY,
};

function named(limit: UsageLimit): string {
  return `Usage limit ${limit.name}`;
}

/** Every size the spec runs: its own, and its Dask scheduler's and workers'. */
function sizesOf(spec: ResourceSpec): Array<{ field: string; size: string }> {
  const size = spec.instance_type;
  const dask = spec.dask_cluster;
  return [
    { field: 'spec.instance_type', size },
    ...(dask ? [{ field: 'spec.dask_cluster.scheduler.instance_type', size: dask.scheduler?.instance_type ?? size }, { field: 'spec.dask_cluster.worker.instance_type', size: dask.worker?.instance_type ?? size }] : []),
  ];
}

/** Instances one start of the resource runs at once: replicas or ranks, and its Dask cluster's scheduler and workers. */
export function instancesOf(resource: TypedSpec, daskScaledTo?: number | null): number {
  const own = resource.type === 'workspace' ? 1 : resource.spec.scale;
  const dask = resource.spec.dask_cluster;
  return own + (dask ? 1 + (daskScaledTo ?? dask.num_workers ?? 0) : 0);
}

/** Why the limit refuses this spec, or undefined: checked on apply and on every start. */
export function specRefusal(limit: UsageLimit, resource: TypedSpec): string | undefined {
  const { type, spec } = resource;
  if (limit.resource_types && !limit.resource_types.includes(type)) {
    return `${named(limit)} allows resource_types ${limit.resource_types.join(', ') || '(none)'}; a ${type} is not one of them.`;
  }
  if (limit.instance_sizes) {
    const refused = sizesOf(spec).find((s) => !limit.instance_sizes!.includes(s.size));
    if (refused) return `${named(limit)} allows instance_sizes ${limit.instance_sizes.join(', ') || '(none)'}; ${refused.field} is ${refused.size}.`;
  }
  if (resource.type === 'workspace' && limit.auto_shutoff !== null) {
    const shutoff = resource.spec.auto_shutoff;
    if (AUTO_SHUTOFF_HOURS[shutoff] > limit.auto_shutoff) return `${named(limit)} allows an auto_shutoff of at most ${limit.auto_shutoff} hours; spec.auto_shutoff is ${shutoff}.`;
  }
  if (resource.type === 'workspace' && limit.storage_in_gb !== null) {
    const disk = resource.spec.disk_space;
    const gb = Number.parseInt(disk, 10);
    if (gb > limit.storage_in_gb) return `${named(limit)} allows storage_in_gb ${limit.storage_in_gb}; spec.disk_space is ${disk}.`;
  }
  const folders = spec.shared_folders?.length ?? 0;
  if (limit.num_shared_folders !== null && folders > limit.num_shared_folders) {
    return `${named(limit)} allows num_shared_folders ${limit.num_shared_folders}; spec.shared_folders has ${folders}.`;
  }
  return undefined;
}

/** Why the limit refuses running `adding` more instances beside the `running` ones, or undefined. */
export function instancesRefusal(limit: UsageLimit, running: number, adding: number): string | undefined {
  if (limit.num_instances === null || running + adding <= limit.num_instances) return undefined;
  return `${named(limit)} allows num_instances ${limit.num_instances} running at once; this start would make ${running + adding} (${running} running, ${adding} more).`;
}

export interface WindowUsage {
  /** Instance-hours used since the window began, in limit hours. */
  hours_today: number;
  hours_this_month: number;
  hours_forever: number;
}

/** Instance-hours of the intervals in the UTC day, the UTC month and all time until `now`; `hourMs` is how long a limit's hour is. */
export function windowUsage(intervals: Iterable<UsageInterval>, now: number, hourMs: number): WindowUsage {
  const date = new Date(now);
  const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const used = { day: 0, month: 0, forever: 0 };
  for (const interval of intervals) {
    const start = Date.parse(interval.start);
    const end = interval.end === null ? now : Math.min(now, Date.parse(interval.end));
    const within = (from: number) => Math.max(0, end - Math.max(start, from)) * interval.instances;
    used.day += within(dayStart);
    used.month += within(monthStart);
    used.forever += within(Number.NEGATIVE_INFINITY);
  }
  const hours = (ms: number) => Math.round((ms / hourMs) * 1e4) / 1e4;
  return { hours_today: hours(used.day), hours_this_month: hours(used.month), hours_forever: hours(used.forever) };
}

/** The window the usage has reached the limit of, as a refusal naming it; undefined while all are under. */
export function hoursRefusal(limit: UsageLimit, owner: string, usage: WindowUsage): string | undefined {
  const windows = [
    ['hours_per_day', limit.hours_per_day, usage.hours_today, 'today (UTC)'],
    ['hours_per_month', limit.hours_per_month, usage.hours_this_month, 'this month (UTC)'],
    ['hours_forever', limit.hours_forever, usage.hours_forever, 'in all'],
  ] as const;
  for (const [setting, allowed, used, when] of windows) {
    if (allowed !== null && used >= allowed) return `${named(limit)}: ${setting} is ${allowed} instance-hours and ${owner} has used ${used} ${when}.`;
  }
  return undefined;
}
