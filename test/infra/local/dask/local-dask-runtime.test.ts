/**
 * Local Dask clusters on the real process driver, with a fake `dask` first on PATH (this
 * machine has none): the processes it starts and their arguments, the address the resource's
 * tasks get, scaling, replacement of a lost worker, a stop that leaves no process, and the
 * cluster that is `unavailable` when dask is missing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProcessDriver } from '../../../../infra/local/process-driver/local-process-driver.ts';
import { LocalDaskRuntime } from '../../../../infra/local/dask/local-dask-runtime.ts';
import { DASK_MISSING_REASON } from '../../../../infra/local/dask/dask-on-path.ts';
import { daskAwareDriver } from '../../../../shared/app/dask-task-environment.ts';
import type { DaskClusterPlan } from '../../../../shared/domain/planner/dask-plan.ts';
import { connectedWorkers, daskProcesses, eventually, isAlive, makeFakeDask, type FakeDask } from './fake-dask.ts';

const RESOURCE = 'ab'.repeat(12) + '00000001';

function plan(numWorkers: number): DaskClusterPlan {
  return {
    resourceId: RESOURCE,
    type: 'job',
    owner: 'ann',
    name: 'train',
    image: 'docker.io/library/python:3.12-slim',
    numWorkers,
    scheduler: { instanceType: 'medium' },
    worker: { instanceType: 'large', numProcesses: 2, numThreads: 4, spot: true },
    environment: { MODE: 'test' },
    labels: { owner: 'ann', resource: RESOURCE, job: 'train' },
  };
}

let fake: FakeDask;
let driver: LocalProcessDriver;
let runtime: LocalDaskRuntime;
const originalPath = process.env.PATH;

beforeAll(() => {
  fake = makeFakeDask();
  process.env.PATH = `${fake.bin}:${originalPath}`;
});

afterAll(() => {
  process.env.PATH = originalPath;
});

function start(options: { findDask?: () => Promise<string | null> } = {}) {
  driver = new LocalProcessDriver({ rootDir: mkdtempSync(join(tmpdir(), 'dask-tasks-')), stopGraceMs: 2_000 });
  runtime = new LocalDaskRuntime({ driver, replaceDelayMs: 50, ...options });
}

afterEach(async () => {
  await runtime?.close();
  await driver?.close();
});

const workerProcesses = () => daskProcesses(fake).filter((p) => p.args[0] === 'worker' && isAlive(p.pid));
/** The live worker processes once there are `count` of them (a launch resolves when `sh` runs, a moment before dask writes its record). */
const workersOnceThere = (count: number) => eventually(workerProcesses, (ws) => ws.length === count);

describe('LocalDaskRuntime with dask on the PATH', () => {
  it('starts the scheduler on free ports and the workers against its address, with the plan’s arguments', async () => {
    // Prepare
    start();

    // Act
    const { schedulerAddress } = await runtime.ensure(plan(2));

    // Assess
    const port = Number(/^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(schedulerAddress ?? '')?.[1]);
    expect(port).toBeGreaterThan(0);
    const description = await runtime.describe(RESOURCE);
    expect(description).toMatchObject({ status: 'running', scheduler_address: schedulerAddress, num_workers: 2 });
    const dashboardPort = Number(/^http:\/\/127\.0\.0\.1:(\d+)\/status$/.exec(description.dashboard_url ?? '')?.[1]);
    const [scheduler] = await eventually(() => daskProcesses(fake).filter((p) => p.args[0] === 'scheduler' && isAlive(p.pid)), (ps) => ps.length === 1);
    expect(scheduler?.args).toEqual(['scheduler', '--host', '127.0.0.1', '--port', String(port), '--dashboard-address', `127.0.0.1:${dashboardPort}`]);
    expect((await workersOnceThere(2)).map((p) => p.args)).toEqual([
      ['worker', schedulerAddress, '--host', '127.0.0.1', '--nworkers', '2', '--nthreads', '4'],
      ['worker', schedulerAddress, '--host', '127.0.0.1', '--nworkers', '2', '--nthreads', '4'],
    ]);
    // The workers reached the scheduler at the address.
    expect(await eventually(() => connectedWorkers(`http://127.0.0.1:${dashboardPort}/`), (n) => n === 2)).toBe(2);
  });

  it('gives the resource’s tasks DASK_SCHEDULER_ADDRESS, and no address to a resource without a cluster', async () => {
    // Prepare
    start();
    const { schedulerAddress } = await runtime.ensure(plan(0));
    const tasks = daskAwareDriver(driver, runtime);
    const exits: string[] = [];
    driver.onExit((exit) => exits.push(exit.taskId));

    // Act
    await tasks.launch({ taskId: 'run-with-dask', group: 'run', command: 'echo "address=$DASK_SCHEDULER_ADDRESS"', environment: {}, labels: { resource: RESOURCE } });
    await tasks.launch({ taskId: 'run-without', group: 'run', command: 'echo "address=${DASK_SCHEDULER_ADDRESS:-none}"', environment: {}, labels: { resource: 'cd'.repeat(16) } });
    await eventually(() => exits.length, (n) => n === 2);

    // Assess
    const lines = async (taskId: string) => (await driver.logs(taskId, { limit: 10 })).lines.filter((l) => l.stream === 'stdout').map((l) => l.message);
    expect(await lines('run-with-dask')).toEqual([`address=${schedulerAddress}`]);
    expect(await lines('run-without')).toEqual(['address=none']);
  });

  it('scales the workers up and down', async () => {
    // Prepare
    start();
    await runtime.ensure(plan(1));

    // Act + Assess
    await runtime.scale(RESOURCE, 3);
    expect((await runtime.describe(RESOURCE)).num_workers).toBe(3);
    expect(await workersOnceThere(3)).toHaveLength(3);

    await runtime.scale(RESOURCE, 1);
    expect((await runtime.describe(RESOURCE)).num_workers).toBe(1);
    expect(await workersOnceThere(1)).toHaveLength(1);

    // ensure with the plan's count (e.g. after a restart of the control plane) brings it there too.
    await runtime.ensure(plan(2));
    expect(await workersOnceThere(2)).toHaveLength(2);
  });

  it('replaces a worker that dies', async () => {
    // Prepare
    start();
    await runtime.ensure(plan(2));
    const [victim] = await workersOnceThere(2);

    // Act
    process.kill(victim!.pid, 'SIGKILL');

    // Assess
    const alive = await eventually(() => workerProcesses(), (ws) => ws.length === 2 && !ws.some((w) => w.pid === victim!.pid));
    expect(alive.map((w) => w.pid)).not.toContain(victim!.pid);
    expect(alive).toHaveLength(2);
    expect((await runtime.describe(RESOURCE)).num_workers).toBe(2);
  });

  it('stops the scheduler and every worker, leaving no process', async () => {
    // Prepare
    start();
    await runtime.ensure(plan(3));
    await workersOnceThere(3);
    const pids = daskProcesses(fake).filter((p) => isAlive(p.pid)).map((p) => p.pid);
    expect(pids).toHaveLength(4);

    // Act
    await runtime.stop(RESOURCE, 'the job stopped');

    // Assess
    expect(pids.filter(isAlive)).toEqual([]);
    expect(driver.running()).toEqual([]);
    expect(await runtime.describe(RESOURCE)).toEqual({ status: 'stopped', scheduler_address: null, dashboard_url: null, num_workers: 0 });
    expect(await runtime.schedulerAddress(RESOURCE)).toBeNull();
  });
});

describe('LocalDaskRuntime without dask', () => {
  it('finds no dask on a PATH without it', async () => {
    const { findDask } = await import('../../../../infra/local/dask/dask-on-path.ts');
    expect(await findDask('/nonexistent')).toBeNull();
    expect(readFileSync((await findDask(`${fake.bin}`))!, 'utf8')).toContain('fake dask');
  });

  it('reports the cluster unavailable with the reason, starts nothing, and gives tasks no address', async () => {
    // Prepare
    start({ findDask: async () => null });

    // Act
    const { schedulerAddress } = await runtime.ensure(plan(2));

    // Assess
    expect(schedulerAddress).toBeNull();
    expect(await runtime.describe(RESOURCE)).toEqual({ status: 'unavailable', scheduler_address: null, dashboard_url: null, num_workers: 0, reason: DASK_MISSING_REASON });
    expect(driver.running()).toEqual([]);
    expect(await runtime.schedulerAddress(RESOURCE)).toBeNull();
  });
});
