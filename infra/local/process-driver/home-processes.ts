/**
 * The processes a task left outside its process group, for a task that runs as the control
 * plane's own user (not root: no uid of its own to find them by). Every process of a task starts
 * with the task's home as `HOME`, a path no other task has, and /proc/<pid>/environ keeps the
 * environment a process was started with. So a `setsid` child is found; a process that
 * re-executes itself with another `HOME` is not: best effort, and the README says so.
 */
import { readdirSync, readFileSync } from 'node:fs';

// A task forking as fast as it is killed is out-raced within a few rounds; this bounds the loop.
const MAX_ROUNDS = 20;

/** The pids whose starting environment has `HOME=<home>` (readable only for this user's processes). */
export function processesWithHome(home: string): number[] {
  const wanted = `HOME=${home}`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return [];
    try {
      return readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(wanted) ? [Number(entry)] : [];
    } catch {
      return []; // ended while we looked, or another user's
    }
  });
}

/** SIGKILL to every process started with `HOME=<home>`, until none is left. */
export function killProcessesWithHome(home: string): void {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const pids = processesWithHome(home);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ESRCH: it ended on its own.
      }
    }
  }
}
