/**
 * Which cron expressions a job schedule may use: five fields or an `@` macro, each field within
 * its range, and accepted by the engine that computes fire times. Plain code without zod, so the
 * reactor can check an expression before turning it into EventBridge Scheduler's form.
 */
import { Cron } from 'croner';

/** Five-field cron (minute hour day-of-month month day-of-week) or one of the `@` macros. */
export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
/** The allowed values of each field, in order (day-of-week 7 is Sunday again). */
export const CRON_RANGES: ReadonlyArray<readonly [number, number]> = [
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
