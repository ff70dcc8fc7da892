/**
 * Field-level building blocks of recipe schemas. Recipes exported by Saturn Cloud write
 * absent optional fields as `null` or as empty lists/maps, so every optional field here
 * accepts those and the normalizer drops them.
 *
 * Each is `z.lazy`: built at its first use, not when the API loads (see RouteDefinition).
 */
import * as z from 'zod';
import { cronProblem } from '../schedule/cron-expression.ts';
import { durationSeconds } from './duration.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS label: lower-case letters, digits and `-`, 1–63 characters, no leading or trailing `-`. */
export const dnsLabel = z.lazy(() => z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit'));

/** A user or group name: the same rules as a DNS label, so it can appear in subdomains. */
export const principalName = dnsLabel;

/** Optional: absent, `null`, or the value. */
export function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish();
}

export const envVarName = z.lazy(() => z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name: letters, digits and "_", not starting with a digit'));

/** An absolute path or one relative to the working directory; no NUL bytes. */
export const filePath = z.lazy(() => z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.includes('\0'), 'must not contain NUL bytes'));

export const cronSchedule = z.lazy(() => z.string().superRefine((value, ctx) => {
  const problem = cronProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}));

/** An IANA time zone name the runtime knows, e.g. `Europe/Paris` or `UTC`. */
export const timeZone = z.lazy(() => z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone name such as "UTC" or "America/New_York"'));

export const duration = z.lazy(() => z
  .union([z.number(), z.string()])
  .refine((v) => durationSeconds(v) !== undefined, 'must be a positive number of seconds or a duration such as "90m" or "1h30m"'));
