/**
 * Five-field cron (and the @ macros) in EventBridge Scheduler's six-field form
 * `cron(minutes hours day-of-month month day-of-week year)`.
 *
 * EventBridge differs from cron in three ways that matter: exactly one of day-of-month and
 * day-of-week must be `?`; day-of-week counts 1–7 from Sunday (cron: 0–6, with 7 also Sunday);
 * and day-of-week takes no `/` steps. Cron fires when *either* a restricted day-of-month or a
 * restricted day-of-week matches, which one EventBridge expression cannot say: such a
 * schedule becomes two expressions, one per day field.
 */
import { cronProblem } from './cron-expression.ts';

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function number(token: string, names: string[], offset: number): number {
  const lower = token.toLowerCase();
  const named = names.indexOf(lower);
  return named >= 0 ? named + offset : Number(lower);
}

/** Month names become numbers; everything else in the field stays as written. */
function monthField(field: string): string {
  return field.replace(/[a-z]{3}/gi, (name) => String(number(name, MONTHS, 1)));
}

/** Every cron day-of-week (0–6, Sunday 0) a field selects. */
function cronDays(field: string): number[] {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = 0;
    let to = 6;
    if (range !== '*' && range !== '?') {
      const [a, b] = range!.split('-');
      from = number(a!, DAYS, 0);
      to = b === undefined ? (stepText === undefined ? from : 7) : number(b, DAYS, 0);
    }
    for (let d = from; d <= to; d += step) days.add(d % 7);
  }
  return [...days].sort((x, y) => x - y);
}

/** EventBridge's day-of-week (1–7, Sunday 1) for cron days, as ranges where they run on. */
function eventBridgeDays(field: string): string {
  const days = cronDays(field).map((d) => d + 1);
  const parts: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === days[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${days[i]}-${days[j]}` : days.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

const unrestricted = (field: string) => field === '*' || field === '?';

/**
 * The EventBridge Scheduler expressions that together fire exactly when the cron expression
 * does. Throws on an expression `cronProblem` refuses.
 */
export function toEventBridgeCron(expression: string): string[] {
  const problem = cronProblem(expression);
  if (problem) throw new Error(`not a cron expression: ${problem}`);
  const trimmed = expression.trim();
  const [minute, hour, dom, month, dow] = (MACROS[trimmed] ?? trimmed).split(/\s+/) as [string, string, string, string, string];
  const head = `${minute} ${hour}`;
  const months = monthField(month);
  if (unrestricted(dow)) return [`cron(${head} ${dom === '?' ? '*' : dom} ${months} ? *)`];
  if (unrestricted(dom)) return [`cron(${head} ? ${months} ${eventBridgeDays(dow)} *)`];
  return [`cron(${head} ${dom} ${months} ? *)`, `cron(${head} ? ${months} ${eventBridgeDays(dow)} *)`];
}
