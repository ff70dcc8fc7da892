/**
 * Usage rows as CSV (RFC 4180): a header of the columns the rows carry, in a fixed order, then one
 * line per row. Fields holding a comma, quote or line break are quoted; a field a spreadsheet
 * would read as a formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe.
 */
import type { DailyUsageRow } from '../../../shared/domain/usage/daily-usage.ts';

const COLUMNS = ['date', 'owner', 'resource_id', 'resource_name', 'resource_type', 'instance_type', 'kind', 'instance_seconds', 'instance_hours', 'cost'] as const;

function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function usageCsv(rows: readonly DailyUsageRow[], columnsOf: readonly string[]): string {
  const columns = COLUMNS.filter((c) => columnsOf.includes(c));
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => field((row as unknown as Record<string, unknown>)[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
