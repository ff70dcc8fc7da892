/**
 * Signals and liveness for a task's process group. A task is spawned detached, so its shell
 * leads a group of its own (pgid = pid) and one signal to -pgid reaches everything the task
 * started, however deep, except a process that left the group on purpose (setsid).
 *
 * Liveness ignores zombies. kill(pid, 0) succeeds for a zombie, and an orphan stays a zombie
 * for good where PID 1 does not reap (a container whose PID 1 is the control plane itself,
 * some VM init processes). A zombie runs nothing and holds no port, so it counts as gone.
 * Where /proc exists (Linux) it tells zombies apart; elsewhere kill(…, 0) is all there is.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const POLL_MS = 25;

/** Sends `signal` to every process of the group; false when there was nothing to signal. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!isTaskGroupId(pgid)) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: the group is gone. EPERM: the id now belongs to someone else's processes.
    return false;
  }
}

export function isProcessRunning(pid: number): boolean {
  if (!accepts(pid)) return false;
  if (!hasProcfs()) return true;
  const stat = readStat(pid);
  return stat !== undefined && !isZombie(stat.state);
}

export function isGroupRunning(pgid: number): boolean {
  if (!isTaskGroupId(pgid) || !accepts(-pgid)) return false;
  if (!hasProcfs()) return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined && stat.pgrp === pgid && !isZombie(stat.state)) return true;
  }
  return false;
}

/** Polls until no process of the group runs; false when it still does after `timeoutMs`. */
export async function waitForGroupToEnd(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isGroupRunning(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * What tells this process apart from a later one that is given the same pid: the boot it
 * started in and its start time in clock ticks since that boot. Null where /proc is missing.
 */
export interface ProcessIdentity {
  bootId: string;
  startTicks: string;
}

export function processIdentity(pid: number): ProcessIdentity | null {
  const bootId = currentBootId();
  const stat = readStat(pid);
  return bootId === null || stat === undefined ? null : { bootId, startTicks: stat.startTicks };
}

export function currentBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Whether a group id can be a task's at all. kill(0, …) means the caller's own group and
 * kill(-1, …) every process it may signal; a damaged task.json must not turn into either.
 */
function isTaskGroupId(pgid: number): boolean {
  return Number.isSafeInteger(pgid) && pgid > 1 && pgid !== readStat(process.pid)?.pgrp;
}

function accepts(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function hasProcfs(): boolean {
  return existsSync('/proc/self/stat');
}

interface ProcStat {
  state: string;
  pgrp: number;
  startTicks: string;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2, the command name, is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTicks: fields[19] ?? '' };
}

function isZombie(state: string): boolean {
  return state === 'Z' || state === 'X';
}
