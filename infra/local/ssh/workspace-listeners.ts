/**
 * What `ssh -L` may reach from a local workspace: a socket the workspace itself listens on at a
 * loopback address, and nothing else. On this machine every task, the control plane and whatever
 * else runs share one loopback, so "localhost:8080" could be the API, another user's Jupyter or
 * a database; a forward is therefore allowed only to a listening socket held by the workspace's
 * processes — those of its own uid when tasks run as users of their own, else those started
 * with its home as HOME (home-processes.ts: how a task's processes are found without a uid of
 * their own, its SSH sessions' included). Linux only: elsewhere nothing is found, so nothing is
 * forwarded.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { isLoopback, listenersIn, readProc, type Listener } from '../services/exposed-listeners.ts';
import { processesWithHome } from '../process-driver/home-processes.ts';

/** Whose processes count as the workspace's. */
export type ListenerOwner = { uid: number } | { home: string };

/** The host names a forward may name: loopback only, never another machine or task address. */
export function isLoopbackTarget(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}

/** Whether the workspace listens on `port` at a loopback address. */
export function workspaceListensOn(port: number, owner: ListenerOwner, read: (path: string) => string = readProc): boolean {
  const listeners: Listener[] = [...listenersIn(read('/proc/net/tcp'), 4), ...listenersIn(read('/proc/net/tcp6'), 6)].filter(
    (listener) => listener.port === port && isLoopback(listener.address),
  );
  if (listeners.length === 0) return false;
  if ('uid' in owner) return listeners.some((listener) => listener.uid === owner.uid);
  const inodes = socketInodesOf(processesWithHome(owner.home));
  return listeners.some((listener) => inodes.has(listener.inode));
}

/** The inodes of every socket these processes hold open. */
function socketInodesOf(pids: number[]): Set<number> {
  const inodes = new Set<number>();
  for (const pid of pids) {
    for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
      const target = safeReadlink(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined) inodes.add(Number(inode));
    }
  }
  return inodes;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
