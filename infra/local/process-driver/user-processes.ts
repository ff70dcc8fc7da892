/**
 * Every process of one uid, found through /proc and killed: how a sandboxed task's leftovers
 * end with it. A process that leaves the task's process group (`setsid`, a double fork) is out of
 * reach of a signal to the group, but it cannot leave its uid: a task has no capability to change
 * it, and no other task is given the same uid while it runs.
 */
import { readdirSync, readFileSync } from 'node:fs';

// A task forking as fast as it is killed is out-raced within a few rounds; this bounds the loop.
const MAX_ROUNDS = 50;

/** The pids whose real, effective, saved or filesystem uid is `uid`. */
export function processesOfUser(uid: number): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
    const zombie = /^State:\s+[ZX]/m.test(status);
    if (!zombie && uids.includes(uid)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * SIGKILL to every process of `uid`, until none is left; true when none is. Refuses root and
 * the control plane's own uid: a damaged record must never turn into killing those.
 */
export function killProcessesOfUser(uid: number): boolean {
  if (!Number.isSafeInteger(uid) || uid <= 0 || uid === process.getuid?.()) return false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const pids = processesOfUser(uid);
    if (pids.length === 0) return true;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ESRCH: it ended on its own.
      }
    }
  }
  return processesOfUser(uid).length === 0;
}
