/** Durations in recipes (timeouts, auto-shutoff), as seconds or as `1d2h30m10s`. */

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * The longest duration accepted: a year. Longer than any timeout anyone means, and small enough
 * that every date computed from it is a date: `timeout: "99999999999999999999h"` once made
 * `new Date(start + timeout)` throw `RangeError` in the run reactor at every run.
 */
export const MAX_DURATION_SECONDS = 365 * 86_400;

/** Seconds in a duration given as seconds or as `1d2h30m10s` (any non-empty subset); undefined when not one, or out of range. */
export function durationSeconds(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 && value <= MAX_DURATION_SECONDS ? value : undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return durationSeconds(Number(trimmed));
  const m = DURATION.exec(trimmed);
  if (!m || trimmed === '') return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return durationSeconds(Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s));
}
