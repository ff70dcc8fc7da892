/**
 * A task's log as every runtime writes it: lines from its command's stdout and stderr and the
 * platform's own (`system`). A domain type, read by the pod summary and written by the compute
 * port's drivers (shared/ports/task-driver.ts).
 */

/**
 * How a driver's log marks the moment the task's command starts: a `system` line beginning so.
 * What comes before it is the preparation (git checkouts, package installs), which Saturn's
 * client shows as the pod's init container.
 */
export const COMMAND_STARTED_PREFIX = 'started: pid ';

export interface LogLine {
  timestamp: string;
  stream: 'stdout' | 'stderr' | 'system';
  message: string;
}
