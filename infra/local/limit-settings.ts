/**
 * Usage settings of local mode, from the environment:
 * - CASSINI_PRICES: `default` (the dated on-demand table, instance-prices.ts) or a JSON object of
 *   size to price per instance-hour; CASSINI_PRICES_FILE: a file holding the same. Without
 *   either, usage answers carry hours only.
 * - CASSINI_LIMIT_HOUR_SECONDS: how long an hour of the usage limits' windows lasts (3600): a
 *   demo or test makes `hours_per_day: 1` a few seconds of use.
 * - CASSINI_LIMITS_CHECK_SECONDS: how often what runs is held against the hours windows (60,
 *   as the reconciler on AWS).
 */
import { readFileSync } from 'node:fs';
import { parsePriceTable, type PriceTable } from '../../shared/domain/usage/instance-prices.ts';

export interface LimitSettings {
  prices?: PriceTable;
  /** Length of a limit's hour, ms. */
  limitHourMs?: number;
  /** How often the hours windows are enforced, ms. */
  limitsCheckIntervalMs?: number;
}

export const DEFAULT_LIMITS_CHECK_MS = 60_000;

function positiveSeconds(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds, not ${JSON.stringify(raw)}.`);
  return value * 1000;
}

export function limitSettingsFromEnv(env: NodeJS.ProcessEnv): LimitSettings {
  const settings: LimitSettings = {};
  if (env.CASSINI_PRICES) settings.prices = parsePriceTable(env.CASSINI_PRICES, 'CASSINI_PRICES');
  else if (env.CASSINI_PRICES_FILE) settings.prices = parsePriceTable(readFileSync(env.CASSINI_PRICES_FILE, 'utf8'), `CASSINI_PRICES_FILE (${env.CASSINI_PRICES_FILE})`);
  const hour = positiveSeconds(env, 'CASSINI_LIMIT_HOUR_SECONDS');
  if (hour !== undefined) settings.limitHourMs = hour;
  const check = positiveSeconds(env, 'CASSINI_LIMITS_CHECK_SECONDS');
  if (check !== undefined) settings.limitsCheckIntervalMs = check;
  return settings;
}
