/**
 * Saturn Cloud writes "no value" as null, "" , [] or {}. The API contract says these mean
 * absent, so they are dropped before validation. Maps whose values are user data
 * (environment variables, tags, config file contents) keep their empty-string values.
 */
const USER_MAPS = new Set(['environment_variables', 'tags']);
/** Maps whose keys are user data but whose values are objects with optional fields. */
const USER_KEYED_MAPS = new Set(['config_files']);

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
  if (USER_KEYED_MAPS.has(key)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isPlainObject(v) ? keepContent(v) : v]));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const cleaned = dropAbsent(v, k);
    // defineProperty, not assignment: a "__proto__" key must stay a key (and be reported as unknown).
    if (!isAbsent(cleaned)) Object.defineProperty(out, k, { value: cleaned, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A config file's empty content is a real (empty) file, not an absent field. */
function keepContent(file: Record<string, unknown>): Record<string, unknown> {
  const cleaned = dropAbsent(file) as Record<string, unknown>;
  return typeof file.content === 'string' ? { ...cleaned, content: file.content } : cleaned;
}
