/**
 * A restart of `npm start` in the middle of a run leaves no run stuck: after a crash (SIGKILL
 * of the control plane's process group) the run ends as failed, its task's process is ended
 * and nothing is started again; after a clean stop (SIGTERM) the run has already ended.
 *
 * A task runs in a session of its own, so killing the control plane's group leaves the task's
 * processes running, as a real crash of the control plane would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type Json } from './support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';
import {
  applyJob,
  getRun,
  jobReaches,
  listRuns,
  LONG_COMMAND,
  processEnds,
  processRuns,
  runningRun,
  runReaches,
  startRun,
  taskLog,
} from './support/job-runs.ts';

/** Each test restarts `npm start` once, a few seconds each way. */
const RESTART_TEST_TIMEOUT_MS = 60_000;

let server: LocalServer;

beforeAll(async () => {
  server = await LocalServer.start();
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  await server?.dispose();
});

/** The pid of the task's shell, from its log's `started: pid <n>, ...` line (after the preparation's lines). */
async function pidInLog(jobId: string, taskName: string): Promise<number> {
  const isStart = (line: string) => line.startsWith('started: pid ');
  const lines = await waitUntil(`task ${taskName} to log its start`, () => taskLog(server, jobId, taskName, 'system'), (logged) => logged.some(isStart));
  const pid = Number(/^started: pid (\d+)/.exec(lines.find(isStart)!)?.[1]);
  expect(pid).toBeGreaterThan(1);
  return pid;
}

/** The pid of the control plane, from the lock it holds on its data directory. */
function lockHolder(): number {
  return Number(readFileSync(join(server.dataDir, 'cassini.pid'), 'utf8').split('\n')[0]);
}

/**
 * Waits until the killed process has been reaped, not only killed. Until then it is a zombie,
 * which the data directory lock takes for a live holder, so `npm start` would refuse to start.
 */
function reaped(pid: number): Promise<boolean> {
  const exists = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return waitUntil(`the killed control plane (pid ${pid}) to be reaped`, async () => !exists(), (gone) => gone, 10_000);
}

describe('a control plane killed mid-run', () => {
  it('fails the run saying the control plane restarted, ends its process, and starts nothing again', async () => {
    // Prepare
    const id = await applyJob(server, { name: 'crashed', command: LONG_COMMAND });
    const { run: running, pid } = await runningRun(server, id);
    const task = running.tasks[0].name;

    // Act
    const controlPlane = lockHolder();
    await server.stop('SIGKILL');
    const survivedTheCrash = processRuns(pid);
    await reaped(controlPlane);
    await server.restart();

    // Assess
    expect(survivedTheCrash).toBe(true);
    const run = await runReaches(server, id, running.id);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/control plane restarted while the task was running/);
    expect(run.exit_code).toBeUndefined();
    expect(await processEnds(pid)).toBe(true);
    const job = await jobReaches(server, 'crashed', 'stopped');
    expect(job.state.last_run).toMatchObject({ id: run.id, status: 'failed' });
    // Nothing starts it again later: recovery arms no launch and no timer for it
    // (test/infra/local/job-recovery.test.ts), so what is read now stays so.
    expect((await getRun(server, id, run.id)).tasks).toEqual([{ name: task, rank: 0, status: 'exited' }]);
    expect((await listRuns(server, id)).map((r: Json) => r.id)).toEqual([run.id]);
    expect(readdirSync(join(server.dataDir, 'tasks')).filter((name) => name.startsWith(run.id))).toEqual([task]);
    const system = await taskLog(server, id, task, 'system');
    expect(system.filter((line) => line.startsWith('started:'))).toHaveLength(1);
    expect(system.at(-1)).toMatch(/control plane restarted/);
  }, RESTART_TEST_TIMEOUT_MS);
});

describe('a control plane stopped cleanly mid-run', () => {
  it('ends every run and task before it exits, saying it shut down, and the runs stay ended after the restart', async () => {
    // Prepare: a run of one task of plain `sleep 30`, which ends the moment it is told to, and a run of two tasks; every task running.
    const single = await applyJob(server, { name: 'interrupted', command: 'sleep 30' });
    const scaled = await applyJob(server, { name: 'interrupted-scaled', command: LONG_COMMAND, scale: 2 });
    const one = await runReaches(server, single, (await startRun(server, single)).id, ['running']);
    const pid = await pidInLog(single, one.tasks[0].name);
    const { run: two } = await runningRun(server, scaled);
    await waitUntil('both tasks to start', () => getRun(server, scaled, two.id), (r) => r.tasks.every((t: Json) => t.status === 'running'));

    // Act
    const stopped = await server.stop('SIGTERM');
    expect(stopped.killedAfterTimeout, 'the clean shutdown did not finish in time and was killed: its runs could not say it shut down').toBe(false);
    const survivedTheStop = processRuns(pid);
    await server.restart();

    // Assess: the restarted control plane answers once it has recovered, so the runs read ended at once.
    expect(survivedTheStop).toBe(false);
    for (const [jobId, runId, name] of [
      [single, one.id, 'interrupted'],
      [scaled, two.id, 'interrupted-scaled'],
    ]) {
      const run = await getRun(server, jobId, runId);
      expect(['failed', 'cancelled'], runId).toContain(run.status);
      // The tasks ran until the shutdown stopped them: a reason saying they never started would be false.
      expect(run.reason).toMatch(/control plane shut down/);
      expect(run.tasks.every((t: Json) => t.status === 'exited'), JSON.stringify(run.tasks)).toBe(true);
      await jobReaches(server, name, 'stopped');
    }
    // No new run later either (test/infra/local/job-recovery.test.ts: recovery arms nothing for ended runs).
    expect((await listRuns(server, single)).map((r: Json) => r.id)).toEqual([one.id]);
    expect((await listRuns(server, scaled)).map((r: Json) => r.id)).toEqual([two.id]);
  }, RESTART_TEST_TIMEOUT_MS);
});
