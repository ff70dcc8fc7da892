/**
 * Instance-hours per day from usage intervals: each interval is cut at the midnights of the
 * asked time zone, counted in whole seconds (event times are cut to the second first, so the
 * pieces of an interval add up to it exactly), and summed per day and per the chosen columns.
 * An interval still open counts until `now`.
 */
import { CalendarDays } from './calendar-days.ts';
import type { UsageInterval, UsageKind } from './usage-intervals.ts';

export const USAGE_GROUPS = ['owner', 'resource', 'size', 'kind'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface DailyUsageQuery {
  /** First and last day, `YYYY-MM-DD`, both included. */
  firstDay: string;
  lastDay: string;
  timeZone: string;
  /** Open intervals count until this instant (ms). */
  now: number;
  owners?: ReadonlySet<string> | undefined;
  resourceId?: string | undefined;
  size?: string | undefined;
  /** Columns the hours are summed by besides the day; default owner, resource and size. */
  groupBy?: readonly UsageGroup[] | undefined;
  /** Price per instance-hour per size; rows get a cost when given. */
  prices?: Readonly<Record<string, number>> | undefined;
}

export interface DailyUsageRow {
  date: string;
  owner?: string;
  resource_id?: string;
  resource_name?: string | null;
  resource_type?: string;
  instance_type?: string;
  kind?: UsageKind;
  /** Whole instance-seconds: the exact total. */
  instance_seconds: number;
  instance_hours: number;
  /** In the currency of the price table; null when a size has no price. */
  cost?: number | null;
}

const DEFAULT_GROUPS: readonly UsageGroup[] = ['owner', 'resource', 'size'];

const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

function rowKey(day: string, interval: UsageInterval, groups: readonly UsageGroup[]): string {
  const parts: string[] = [day];
  if (groups.includes('owner')) parts.push(interval.owner);
  if (groups.includes('resource')) parts.push(interval.resourceId);
  if (groups.includes('size')) parts.push(interval.size);
  if (groups.includes('kind')) parts.push(interval.kind);
  return JSON.stringify(parts);
}

/** The rows, by date then by their columns; `names` gives resource names by id. */
export function dailyUsage(intervals: Iterable<UsageInterval>, names: Readonly<Record<string, string>>, query: DailyUsageQuery): DailyUsageRow[] {
  const days = new CalendarDays(query.timeZone);
  const from = days.startOf(query.firstDay);
  const to = days.startOf(CalendarDays.next(query.lastDay));
  const groups = query.groupBy ?? DEFAULT_GROUPS;
  const rows = new Map<string, { row: DailyUsageRow; seconds: number; pricedSeconds: number; unpriced: boolean }>();
  for (const interval of intervals) {
    if (query.owners && !query.owners.has(interval.owner)) continue;
    if (query.resourceId !== undefined && interval.resourceId !== query.resourceId) continue;
    if (query.size !== undefined && interval.size !== query.size) continue;
    const start = Math.max(from, wholeSeconds(Date.parse(interval.start)));
    const end = Math.min(to, wholeSeconds(interval.end === null ? query.now : Date.parse(interval.end)));
    if (end <= start) continue;
    for (const piece of days.split(start, end)) {
      const key = rowKey(piece.day, interval, groups);
      let entry = rows.get(key);
      if (!entry) {
        const row: DailyUsageRow = { date: piece.day, instance_seconds: 0, instance_hours: 0 };
        if (groups.includes('owner')) row.owner = interval.owner;
        if (groups.includes('resource')) Object.assign(row, { resource_id: interval.resourceId, resource_name: names[interval.resourceId] ?? null, resource_type: interval.resourceType });
        if (groups.includes('size')) row.instance_type = interval.size;
        if (groups.includes('kind')) row.kind = interval.kind;
        entry = { row, seconds: 0, pricedSeconds: 0, unpriced: false };
        rows.set(key, entry);
      }
      const seconds = (piece.ms / 1000) * interval.instances;
      entry.seconds += seconds;
      const price = query.prices?.[interval.size];
      if (price === undefined) entry.unpriced = true;
      else entry.pricedSeconds += seconds * price;
    }
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { row, seconds, pricedSeconds, unpriced }]) => ({
      ...row,
      instance_seconds: seconds,
      instance_hours: Math.round((seconds / 3600) * 1e6) / 1e6,
      ...(query.prices ? { cost: unpriced ? null : Math.round((pricedSeconds / 3600) * 1e4) / 1e4 } : {}),
    }));
}
