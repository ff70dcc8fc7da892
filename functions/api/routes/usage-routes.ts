/** Usage per day in Saturn's shapes (`{"usage": [...]}`), with our filters and CSV as extensions. */
import * as z from 'zod';
import type { RouteContext, RouteDefinition, RouteReply } from '../api-types.ts';
import { validate } from '../validation.ts';
import { USAGE_GROUPS, type UsageGroup } from '../../../shared/domain/usage/daily-usage.ts';
import { isTimeZone } from '../../../shared/domain/usage/calendar-days.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { usageCsv } from './usage-csv.ts';

/** The widest window one request may ask for, so one request stays one bounded computation. */
export const MAX_USAGE_DAYS = 366;

/** A day, or a date-time whose day is taken (Saturn's client sends `datetime.isoformat()`). */
const dayParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/, 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time')
  .transform((value, ctx) => {
    const day = value.slice(0, 10);
    if (Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
      ctx.addIssue({ code: 'custom', message: 'is not a calendar date' });
      return z.NEVER;
    }
    return day;
  });

export const usageQuery = z.lazy(() =>
  z.strictObject({
    start: dayParam.describe('first day counted (a date-time counts from its day)'),
    end: dayParam.describe('last day counted, included'),
    tz: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').optional().describe('extension: days of this time zone; default UTC'),
    owner: z.string().min(1).max(200).optional().describe('extension: only this user or group'),
    resource: z.string().regex(/^[0-9a-f]{32}$/, 'must be a resource id').optional().describe('extension: only this resource'),
    size: z.string().min(1).max(100).optional().describe('extension: only this instance size'),
    group_by: z
      .string()
      .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.enum(USAGE_GROUPS)).min(1))
      .optional()
      .describe(`extension: the columns hours are summed by besides the day, comma-separated from ${USAGE_GROUPS.join(', ')}; default owner,resource,size`),
  }),
);

const usageResponse = z.lazy(() =>
  z.object({
    usage: z.array(
      z.object({
        date: z.string(),
        owner: z.string().optional(),
        resource_id: z.string().optional(),
        resource_name: z.string().nullable().optional(),
        resource_type: z.string().optional(),
        instance_type: z.string().optional(),
        kind: z.string().optional(),
        instance_seconds: z.number(),
        instance_hours: z.number(),
        cost: z.number().nullable().optional().describe('present when the platform has a price table; null for a size without a price'),
      }),
    ),
  }),
);

function wantsCsv(headers: RouteContext['headers']): boolean {
  return /\btext\/csv\b/.test(headers.accept ?? '');
}

const GROUP_COLUMNS: Record<UsageGroup, string[]> = {
  owner: ['owner'],
  resource: ['resource_id', 'resource_name', 'resource_type'],
  size: ['instance_type'],
  kind: ['kind'],
};

async function daily({ user, params, query, headers, services }: RouteContext): Promise<RouteReply> {
  const input = validate(usageQuery, query, 'query');
  if (input.end < input.start) throw new ValidationError('end is before start; give the first day in start and the last in end.', [{ path: 'query.end', message: 'must not be before start' }]);
  const days = (Date.parse(input.end) - Date.parse(input.start)) / 86_400_000 + 1;
  if (days > MAX_USAGE_DAYS) throw new ValidationError(`Ask for at most ${MAX_USAGE_DAYS} days at a time; this asks for ${days}.`, [{ path: 'query.end', message: `at most ${MAX_USAGE_DAYS} days after start` }]);
  const groupBy = input.group_by ?? ['owner', 'resource', 'size'];
  const rows = await services.usage.daily(user, {
    orgId: params.org_id!,
    ...(params.user_id === undefined ? {} : { memberId: params.user_id }),
    firstDay: input.start,
    lastDay: input.end,
    timeZone: input.tz ?? 'UTC',
    ...(input.owner === undefined ? {} : { owner: input.owner }),
    ...(input.resource === undefined ? {} : { resourceId: input.resource }),
    ...(input.size === undefined ? {} : { size: input.size }),
    groupBy,
  });
  if (wantsCsv(headers)) {
    const columns = ['date', ...groupBy.flatMap((g) => GROUP_COLUMNS[g]), 'instance_seconds', 'instance_hours', ...(services.usage.priced ? ['cost'] : [])];
    return { status: 200, text: { contentType: 'text/csv; charset=utf-8', body: usageCsv(rows, columns) } };
  }
  return { status: 200, body: { usage: rows } };
}

const summary = (whose: string) =>
  `Instance-hours per day of ${whose}, from the event log: job tasks (every rank), replicas, workspaces and Dask clusters. Admins see every owner; a member sees their own and their groups'. Accept: text/csv gives CSV.`;

export const usageRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/api/orgs/{org_id}/usage/daily',
    summary: summary('the organization'),
    access: 'user',
    query: usageQuery,
    response: { status: 200, schema: usageResponse, description: 'One row per day and group, by date.' },
    handle: daily,
  },
  {
    method: 'GET',
    path: '/api/orgs/{org_id}/members/{user_id}/usage/daily',
    summary: summary('what one member owns (the member itself, or an admin)'),
    access: 'user',
    query: usageQuery,
    response: { status: 200, schema: usageResponse, description: 'One row per day and group, by date.' },
    handle: daily,
  },
];
