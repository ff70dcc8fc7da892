/** `CASSINI_TASK_LOG_MAX_MB`: how much of each task's log is kept on disk (10 MB by default, at least 0.25). */
import { DEFAULT_LOG_MAX_BYTES, MIN_LOG_MAX_BYTES } from './log-writer.ts';

const MB = 1024 * 1024;

export function taskLogMaxBytesFromEnvironment(env: NodeJS.ProcessEnv): number {
  const text = env.CASSINI_TASK_LOG_MAX_MB;
  if (text === undefined || text === '') return DEFAULT_LOG_MAX_BYTES;
  const mb = Number(text);
  if (!Number.isFinite(mb) || mb * MB < MIN_LOG_MAX_BYTES || mb > 1024 * 1024) {
    throw new Error(`CASSINI_TASK_LOG_MAX_MB=${JSON.stringify(text)} is not a size in MB between ${MIN_LOG_MAX_BYTES / MB} and 1048576 (default ${DEFAULT_LOG_MAX_BYTES / MB})`);
  }
  return Math.floor(mb * MB);
}
