/**
 * What a control plane that crashed (kill -9, power cut) left behind: task trees with a
 * task.json and no exit.json. The driver that watched them is gone, so nobody would report
 * their end. Recovery ends them for good, never restarts them: whatever the task was doing,
 * its owner learns it was interrupted, and the run, replica set or schedule above decides
 * what comes next.
 */
import { readdir } from 'node:fs/promises';
import type { TaskExit } from '../../../shared/ports/task-driver.ts';
import { LogWriter } from './log-writer.ts';
import { currentBootId, isGroupRunning, processIdentity, signalGroup, waitForGroupToEnd } from './process-group.ts';
import { claimExit, exitRecorded, readTaskRecord, type TaskRecord } from './task-records.ts';
import { isValidTaskId, TaskTree } from './task-tree.ts';
import { killProcessesOfUser } from './user-processes.ts';
import { killProcessesWithHome } from './home-processes.ts';

export const STOPPED_AFTER_RESTART = 'the control plane restarted while the task was running; it was stopped';
export const GONE_AFTER_RESTART = 'the control plane restarted while the task was running; its process was gone';

// SIGKILL cannot be caught; this only covers a process stuck in an uninterruptible wait.
const KILL_SETTLE_MS = 2_000;

export interface RecoveryOptions {
  rootDir: string;
  clock: () => Date;
  /** Tasks the recovering driver launched itself: not lost. */
  isOwnTask: (taskId: string) => boolean;
  /** Called for each lost task once its processes are gone, before its end is recorded (to revoke its SATURN_TOKEN). */
  onLost?: (record: TaskRecord) => Promise<void>;
}

/** Ends and reports every lost task under `rootDir`; each is reported by one recovery only. */
export async function recoverLostTasks(options: RecoveryOptions): Promise<TaskExit[]> {
  let entries;
  try {
    entries = await readdir(options.rootDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lost = entries.flatMap((entry) => {
    if (!entry.isDirectory() || !isValidTaskId(entry.name) || options.isOwnTask(entry.name)) return [];
    const tree = new TaskTree(options.rootDir, entry.name);
    if (exitRecorded(tree.exitFile)) return [];
    try {
      const record = readTaskRecord(tree.taskFile);
      return record === undefined ? [] : [{ tree, record }];
    } catch (error) {
      // Written through a rename, task.json is whole or absent; this is someone's hand edit.
      console.error(`process driver: ${tree.taskFile} is unreadable; task ${entry.name} is left as it is:`, error);
      return [];
    }
  });
  const exits = await Promise.all(lost.map(({ tree, record }) => endLostTask(tree, record, options)));
  return exits.filter((exit): exit is TaskExit => exit !== undefined);
}

async function endLostTask(tree: TaskTree, record: TaskRecord, options: RecoveryOptions): Promise<TaskExit | undefined> {
  const { clock } = options;
  const survived = record.pgid !== null && stillThisTasksGroup(record);
  if (survived && record.pgid !== null) {
    signalGroup(record.pgid, 'SIGKILL');
    await waitForGroupToEnd(record.pgid, KILL_SETTLE_MS);
  }
  // What left the group (a setsid child) still has the task's uid (no live task can have it yet), or else its HOME.
  if (record.uid !== undefined) killProcessesOfUser(record.uid);
  else killProcessesWithHome(tree.home);
  await options.onLost?.(record);
  const exit: TaskExit = {
    taskId: record.taskId,
    group: record.group,
    exitCode: null,
    signal: survived ? 'SIGKILL' : null,
    reason: survived ? STOPPED_AFTER_RESTART : GONE_AFTER_RESTART,
    finishedAt: clock().toISOString(),
  };
  const log = new LogWriter(tree.logFile, clock);
  log.write('system', exit.reason);
  await log.close();
  return claimExit(tree.exitFile, exit) ? exit : undefined;
}

/**
 * Whether the recorded group still runs and is still the task's. A pid is reused in time, and
 * a SIGKILL to a stranger's group is the one mistake recovery must not make. Linux never hands
 * out a pid while a group of that id has members, so a live leader that is a different process
 * (another start time, another boot) means the task's group is long gone.
 */
function stillThisTasksGroup(record: TaskRecord): boolean {
  if (record.pid === null || record.pgid === null) return false;
  const bootId = currentBootId();
  if (record.bootId !== null && bootId !== null && record.bootId !== bootId) return false;
  const leader = processIdentity(record.pid);
  if (record.pidStartTicks !== null && leader !== null && leader.startTicks !== record.pidStartTicks) return false;
  return isGroupRunning(record.pgid);
}
