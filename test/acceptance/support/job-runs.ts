/**
 * Jobs and their runs over HTTP against a `LocalServer`: apply a job, start a run, wait for a
 * run or a job to reach a state, read a task's log; and what a test sees of a task's process
 * on this machine (the pid it wrote into its $HOME, whether that process still runs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Json, LocalServer } from './local-server.ts';
import { waitUntil } from '../../support/wait-until.ts';

/** How long a run or a job may take to reach the state a test waits for. */
export const SETTLE_TIMEOUT_MS = 15_000;

export const FINISHED = ['succeeded', 'failed', 'cancelled', 'skipped', 'timed_out'] as const;

/** A command that keeps running and writes its pid to $HOME/pid, for `runningRun`. */
export const LONG_COMMAND = 'echo $$ > "$HOME/pid"; sleep 30';

/** Applies a job recipe and returns its id. */
export async function applyJob(server: LocalServer, spec: Record<string, unknown>): Promise<string> {
  const response = await server.api('PUT', '/api/recipes', { schema_version: '2025.10.01', type: 'job', spec });
  expect(response.status, response.text).toBe(201);
  return response.json.state.id;
}

/** `POST /api/jobs/{id}/runs`; returns the run it answered with (202). */
export async function startRun(server: LocalServer, jobId: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Json> {
  const response = await server.api('POST', `/api/jobs/${jobId}/runs`, body, headers);
  expect(response.status, response.text).toBe(202);
  return response.json.run;
}

export async function getRun(server: LocalServer, jobId: string, runId: string): Promise<Json> {
  const response = await server.api('GET', `/api/jobs/${jobId}/runs/${runId}`);
  expect(response.status, response.text).toBe(200);
  return response.json.run;
}

/** The job's runs, newest first (one page of up to 1000). */
export async function listRuns(server: LocalServer, jobId: string): Promise<Json[]> {
  const response = await server.api('GET', `/api/jobs/${jobId}/runs?page_size=1000`);
  expect(response.status, response.text).toBe(200);
  return response.json.runs;
}

export async function getJob(server: LocalServer, name: string): Promise<Json> {
  const response = await server.api('GET', `/api/recipes/job/${name}`);
  expect(response.status, response.text).toBe(200);
  return response.json;
}

/** Waits until the run has one of `statuses` (any end when omitted) and returns it. */
export function runReaches(server: LocalServer, jobId: string, runId: string, statuses: readonly string[] = FINISHED, timeoutMs = SETTLE_TIMEOUT_MS): Promise<Json> {
  return waitUntil(`run ${runId} to reach ${statuses.join(' or ')}`, () => getRun(server, jobId, runId), (run) => statuses.includes(run.status), timeoutMs);
}

/** Waits until every task of the run has exited: its processes have been reaped and reported. */
export function tasksExited(server: LocalServer, jobId: string, runId: string): Promise<Json> {
  return waitUntil(
    `the tasks of run ${runId} to exit`,
    () => getRun(server, jobId, runId),
    (run) => run.tasks.length > 0 && run.tasks.every((t: Json) => t.status === 'exited'),
  );
}

/** Waits until the job's `state.status` is `status` (a job is `stopped` once no run of it is active). */
export function jobReaches(server: LocalServer, name: string, status: string): Promise<Json> {
  return waitUntil(`job ${name} to become ${status}`, () => getJob(server, name), (job) => job.state.status === status);
}

/** The messages a task printed on `stream` (stdout, stderr or system), oldest first. */
export async function taskLog(server: LocalServer, jobId: string, podName: string, stream = 'stdout'): Promise<string[]> {
  const response = await server.api('GET', `/api/jobs/${jobId}/logs?format=lines&pod_name=${encodeURIComponent(podName)}`);
  expect(response.status, response.text).toBe(200);
  return response.json.logs.filter((line: Json) => line.stream === stream).map((line: Json) => line.message);
}

/** The host directory that is the task's $HOME in local mode: `<DATA_DIR>/tasks/<task>/home/jovyan`. */
export function taskHome(server: LocalServer, taskName: string): string {
  return join(server.dataDir, 'tasks', taskName, 'home', 'jovyan');
}

/**
 * The pid a task's shell wrote with `echo $$ > $HOME/pid`, once it has. A task is spawned
 * detached, so that shell leads the task's process group.
 */
export function taskPid(server: LocalServer, taskName: string): Promise<number> {
  const file = join(taskHome(server, taskName), 'pid');
  return waitUntil(
    `task ${taskName} to write its pid to ${file}`,
    async () => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0),
    (pid) => Number.isInteger(pid) && pid > 1,
  );
}

/** Starts a run of a job whose command is `LONG_COMMAND`; returns the run once it runs, and its task's pid. */
export async function runningRun(server: LocalServer, jobId: string): Promise<{ run: Json; pid: number }> {
  const started = await startRun(server, jobId);
  const run = await runReaches(server, jobId, started.id, ['running']);
  const pid = await taskPid(server, run.tasks[0].name);
  return { run, pid };
}

/** Waits (briefly) until the process no longer runs; true once it has ended. */
export function processEnds(pid: number): Promise<boolean> {
  return waitUntil(`process ${pid} to end`, async () => !processRuns(pid), (gone) => gone, 5_000);
}

/**
 * Whether the process runs. A zombie counts as gone: it runs nothing, and an orphan (a task
 * that outlived a killed control plane) stays one for good where PID 1 does not reap it.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!existsSync('/proc/self/stat')) return true;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}
