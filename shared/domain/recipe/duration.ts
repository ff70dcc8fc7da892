/** Durations in recipes (timeouts, auto-shutoff), as seconds or as `1d2h30m10s`. */

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
