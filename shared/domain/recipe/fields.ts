/**
 * Field-level building blocks of recipe schemas. Recipes exported by Saturn Cloud write
 * absent optional fields as `null` or as empty lists/maps, so every optional field here
 * accepts those and the normalizer drops them.
 *
 * Each is `z.lazy`: built at its first use, not when the API loads (see RouteDefinition).
 */
import { posix } from 'node:path';
import * as z from 'zod';
import { cronProblem } from '../schedule/cron-expression.ts';
import { durationSeconds, MAX_DURATION_SECONDS } from './duration.ts';

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

const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_VAR_NAME_MESSAGE = 'must be an environment variable name: letters, digits and "_", not starting with a digit';

export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

export const envVarName = z.lazy(() => z.string().regex(ENV_VAR_NAME, ENV_VAR_NAME_MESSAGE));

/** Adds the issue `envVarName` would, at `path`, for a name checked outside a schema of its own. */
export function envVarNameIssue(name: string, path: PropertyKey[], ctx: z.RefinementCtx): void {
  if (!isEnvVarName(name)) ctx.addIssue({ code: 'custom', path, message: ENV_VAR_NAME_MESSAGE });
}

/** An absolute path or one relative to the working directory; no NUL bytes. */
export const filePath = z.lazy(() => z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.includes('\0'), 'must not contain NUL bytes'));

/** A task's home directory, in the image and, mapped to the task's own tree, locally. */
export const TASK_HOME = '/home/jovyan';

/** Whether a spec path (absolute, or relative to the home) stays under the home once `..` is resolved. */
export function isUnderHome(path: string): boolean {
  const fromHome = posix.relative(TASK_HOME, posix.resolve(TASK_HOME, path));
  return fromHome !== '..' && !fromHome.startsWith('../');
}

const HOME_PATH_MESSAGE = `must be a path under ${TASK_HOME} (absolute, or relative to it); a task can write files only in its home`;

/**
 * A file the platform writes into a task (a secret file, a config file): under the home. A
 * local task shares the host's filesystem and gets only its own tree, so a path elsewhere
 * would fail every run; refused at apply instead.
 */
export const homePath = z.lazy(() => filePath.refine(isUnderHome, HOME_PATH_MESSAGE));

/** Adds the issue `homePath` would, at `path`, for a path checked outside a schema of its own. */
export function homePathIssue(value: string, path: PropertyKey[], ctx: z.RefinementCtx): void {
  if (!isUnderHome(value)) ctx.addIssue({ code: 'custom', path, message: HOME_PATH_MESSAGE });
}

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
  .refine(
    (v) => durationSeconds(v) !== undefined,
    `must be a positive whole number of seconds or a duration such as "90m" or "1h30m", at most ${MAX_DURATION_SECONDS / 86_400} days`,
  ));
