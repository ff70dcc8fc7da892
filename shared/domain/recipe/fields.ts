/**
 * Field-level building blocks of recipe schemas. Recipes exported by Saturn Cloud write
 * absent optional fields as `null` or as empty lists/maps, so every optional field here
 * accepts those and the normalizer drops them.
 */
import * as z from 'zod';
import { Cron } from 'croner';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS label: lower-case letters, digits and `-`, 1–63 characters, no leading or trailing `-`. */
export const dnsLabel = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit');

/** A user or group name: the same rules as a DNS label, so it can appear in subdomains. */
export const principalName = dnsLabel;

/** Optional: absent, `null`, or the value. */
export function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish();
}

export const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name: letters, digits and "_", not starting with a digit');

/** An absolute path or one relative to the working directory; no NUL bytes. */
export const filePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.includes('\0'), 'must not contain NUL bytes');

/** Five-field cron (minute hour day-of-month month day-of-week) or one of the `@` macros. */
export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
const CRON_RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function cronValue(token: string, field: number): number | undefined {
  const lower = token.toLowerCase();
  if (/^[0-9]+$/.test(lower)) return Number(lower);
  if (field === 3 && MONTH_NAMES.includes(lower)) return MONTH_NAMES.indexOf(lower) + 1;
  if (field === 4 && DAY_NAMES.includes(lower)) return DAY_NAMES.indexOf(lower);
  return undefined;
}

/** Explains why a cron expression is invalid, or returns undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    return (CRON_MACROS as readonly string[]).includes(trimmed) ? undefined : `unknown macro; use one of ${CRON_MACROS.join(', ')}`;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) return 'must have 5 fields (minute hour day-of-month month day-of-week) or be an @ macro';
  for (const [i, field] of fields.entries()) {
    const [lo, hi] = CRON_RANGES[i]!;
    if (!CRON_FIELD.test(field)) return `field ${i + 1} ("${field}") is not a cron field`;
    if (field === '?' && i !== 2 && i !== 4) return `"?" is only allowed in day-of-month and day-of-week`;
    for (const part of field.split(',')) {
      const [range, step] = part.split('/');
      if (step !== undefined && Number(step) < 1) return `field ${i + 1} ("${field}") has a step of 0`;
      if (step !== undefined && !range!.includes('-') && range !== '*') return `field ${i + 1} ("${field}"): a step needs "*" or a range before it, e.g. "*/${step}" or "1-5/${step}"`;
      if (range === '*' || range === '?') continue;
      const values = range!.split('-').map((token) => cronValue(token, i));
      if (values.some((v) => v === undefined || v < lo || v > hi)) return `field ${i + 1} ("${field}") must be within ${lo}-${hi}`;
      if (values.length === 2 && values[0]! > values[1]!) return `field ${i + 1} ("${field}") has a range that runs backwards`;
    }
  }
  return scheduleEngineProblem(trimmed);
}

/** The scheduler that computes fire times must accept the expression too, or reads of the job would fail. */
function scheduleEngineProblem(expression: string): string | undefined {
  try {
    new Cron(expression.replace(/^@midnight$/, '@daily'), { paused: true });
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

export const cronSchedule = z.string().superRefine((value, ctx) => {
  const problem = cronProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** An IANA time zone name the runtime knows, e.g. `Europe/Paris` or `UTC`. */
export const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone name such as "UTC" or "America/New_York"');

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds in a duration given as seconds or as `1d2h30m10s` (any non-empty subset). */
export function durationSeconds(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return durationSeconds(Number(trimmed));
  const m = DURATION.exec(trimmed);
  if (!m || trimmed === '') return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  const total = Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s);
  return total > 0 ? total : undefined;
}

export const duration = z
  .union([z.number(), z.string()])
  .refine((v) => durationSeconds(v) !== undefined, 'must be a positive number of seconds or a duration such as "90m" or "1h30m"');
