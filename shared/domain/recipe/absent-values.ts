/**
 * Saturn Cloud writes "no value" as null, "" , [] or {}. The API contract says these mean
 * absent, so they are dropped before validation. Maps whose values are user data
 * (environment variables, tags, config file contents) keep their empty-string values.
 */
const USER_MAPS = new Set(['environment_variables', 'tags', 'config_files']);

function isAbsent(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.keys(value).length === 0;
  return false;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function dropAbsent(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => dropAbsent(v));
  if (!isPlainObject(value)) return value;
  if (USER_MAPS.has(key)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const cleaned = dropAbsent(v, k);
    if (!isAbsent(cleaned)) out[k] = cleaned;
  }
  return out;
}
