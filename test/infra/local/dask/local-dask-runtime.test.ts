/**
 * Local Dask clusters on the real process driver, with a fake `dask` first on PATH (this
 * machine has none): the processes it starts and their arguments, the address the resource's
 * tasks get, scaling, replacement of a lost worker, a stop that leaves no process, the
 * resource's attachments in the scheduler's and workers' tasks, and the cluster that is
 * `unavailable` when dask is missing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProcessDriver } from '../../../../infra/local/process-driver/local-process-driver.ts';
import { LocalDaskRuntime } from '../../../../infra/local/dask/local-dask-runtime.ts';
import { DASK_MISSING_REASON } from '../../../../infra/local/dask/dask-on-path.ts';
import { LocalSecretStore } from '../../../../infra/local/local-secret-store.ts';
import { daskAwareDriver } from '../../../../shared/app/dask-task-environment.ts';
import { planDaskCluster, type DaskClusterPlan } from '../../../../shared/domain/planner/dask-plan.ts';
import { connectedWorkers, daskProcesses, isAlive, makeFakeDask, schedulerCounts, type FakeDask } from './fake-dask.ts';
import { waitUntil } from '../../../support/wait-until.ts';
import { LocalDaskCredentials } from '../../../../infra/local/dask/local-dask-credentials.ts';
import { makeDaskClusterCredentials } from '../../../../shared/app/dask-tls/dask-cluster-credentials.ts';
import { taskSandboxFromEnvironment } from '../../../../infra/local/process-driver/task-sandbox-settings.ts';
import { exitsOf } from '../process-driver/task-exits.ts';
import { connect } from 'node:tls';

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

function start(options: { findDask?: () => Promise<string | null>; driver?: LocalProcessDriver } = {}) {
  driver = options.driver ?? new LocalProcessDriver({ rootDir: mkdtempSync(join(tmpdir(), 'dask-tasks-')), stopGraceMs: 2_000 });
  runtime = new LocalDaskRuntime({ driver, replaceDelayMs: 50, ...(options.findDask ? { findDask: options.findDask } : {}) });
}

afterEach(async () => {
  await runtime?.close();
  await driver?.close();
});

const workerProcesses = () => daskProcesses(fake).filter((p) => p.args[0] === 'worker' && isAlive(p.pid));
/** The live worker processes once there are `count` of them (a launch resolves when `sh` runs, a moment before dask writes its record). */
const workersOnceThere = (count: number) => waitUntil(`${count} worker processes`, workerProcesses, (ws) => ws.length === count);

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
    const [scheduler] = await waitUntil('one scheduler process', () => daskProcesses(fake).filter((p) => p.args[0] === 'scheduler' && isAlive(p.pid)), (ps) => ps.length === 1);
    expect(scheduler?.args).toEqual(['scheduler', '--host', '127.0.0.1', '--port', String(port), '--dashboard-address', `127.0.0.1:${dashboardPort}`]);
    expect((await workersOnceThere(2)).map((p) => p.args)).toEqual([
      ['worker', schedulerAddress, '--host', '127.0.0.1', '--nworkers', '2', '--nthreads', '4'],
      ['worker', schedulerAddress, '--host', '127.0.0.1', '--nworkers', '2', '--nthreads', '4'],
    ]);
    // The workers reached the scheduler at the address.
    expect(await waitUntil('2 workers to connect', () => connectedWorkers(`http://127.0.0.1:${dashboardPort}/`), (n) => n === 2)).toBe(2);
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
    await waitUntil('2 exits', () => exits.length, (n) => n === 2);

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
    const alive = await waitUntil('a replacement worker', () => workerProcesses(), (ws) => ws.length === 2 && !ws.some((w) => w.pid === victim!.pid));
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

describe('LocalDaskRuntime with attachments', () => {
  /** A driver with a secret store and shared folders, a secret, a folder with a file and a git repository to attach. */
  async function attachable() {
    const root = mkdtempSync(join(tmpdir(), 'dask-attachments-'));
    const secrets = new LocalSecretStore({ dir: join(root, 'secrets') });
    await secrets.put({ owner: 'ann', name: 'db' }, 's3cret');
    mkdirSync(join(root, 'folders', 'ann', 'raw'), { recursive: true });
    writeFileSync(join(root, 'folders', 'ann', 'raw', 'rows.csv'), 'a,b\n');
    const repository = join(root, 'origin', 'features.git');
    mkdirSync(repository, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: repository });
    git('init', '--quiet');
    writeFileSync(join(repository, 'features.py'), 'VERSION = 3\n');
    git('add', 'features.py');
    git('commit', '--quiet', '-m', 'features');
    const tasksDriver = new LocalProcessDriver({ rootDir: join(root, 'tasks'), foldersDir: join(root, 'folders'), secrets, stopGraceMs: 2_000 });
    return { driver: tasksDriver, repository };
  }

  /** The cluster of a job whose spec attaches a secret (variable and file), a repository, a folder and a config file. */
  function attachedPlan(repository: string, numWorkers: number, configFile = 'n_workers: 2\n'): DaskClusterPlan {
    return planDaskCluster({
      id: RESOURCE,
      type: 'job',
      owner: 'ann',
      name: 'train',
      daskScaledTo: null,
      spec: {
        name: 'train',
        owner: 'ann',
        image: 'docker.io/library/python:3.12-slim',
        instance_type: 'medium',
        dask_cluster: { num_workers: numWorkers },
        secrets: [
          { name: 'db', attachment_type: 'environment_variable', location: 'DB_PASSWORD' },
          { name: 'db', attachment_type: 'file', location: '/home/jovyan/.db-password' },
        ],
        git_repositories: [{ url: repository }],
        shared_folders: [{ name: 'raw' }],
        config_files: { '/home/jovyan/.config/train.yaml': { content: configFile } },
        // What a worker running the user's function would read: printed before `dask` starts.
        start_script: [
          'echo "variable=$DB_PASSWORD"',
          'echo "file=$(cat "$HOME/.db-password")"',
          'echo "repository=$(cat "$HOME/workspace/features/features.py")"',
          'echo "folder=$(cat "$HOME/shared/ann/raw/rows.csv")"',
          'echo "config=$(cat "$HOME/.config/train.yaml")"',
        ].join('\n'),
      },
    })!;
  }

  const seen = async (taskId: string) => (await driver.logs(taskId, { limit: 100 })).lines.filter((l) => l.stream === 'stdout' && !l.message.startsWith('fake dask')).map((l) => l.message);
  const taskIds = () => driver.running().filter((id) => id.startsWith(`dask-${RESOURCE}-`));

  it('gives the scheduler and every worker the secrets, checkouts, shared folders and config files of the resource', async () => {
    // Prepare
    const { driver: tasksDriver, repository } = await attachable();
    start({ driver: tasksDriver });

    // Act
    await runtime.ensure(attachedPlan(repository, 2));

    // Assess
    await workersOnceThere(2);
    const ids = taskIds();
    expect(ids.filter((id) => id.endsWith('-scheduler'))).toHaveLength(1);
    expect(ids.filter((id) => /-w\d+$/.test(id))).toHaveLength(2);
    for (const id of ids) {
      expect(await waitUntil(`${id} to print 5 lines`, () => seen(id), (lines) => lines.length >= 5), id).toEqual(['variable=s3cret', 'file=s3cret', 'repository=VERSION = 3', 'folder=a,b', 'config=n_workers: 2']);
    }
  });

  it('starts a new cluster when the attachments change, and keeps the cluster when only the worker count does', async () => {
    // Prepare
    const { driver: tasksDriver, repository } = await attachable();
    start({ driver: tasksDriver });
    const first = await runtime.ensure(attachedPlan(repository, 1));

    // Act + Assess: a scale keeps the scheduler.
    expect(await runtime.ensure(attachedPlan(repository, 2))).toEqual(first);

    // Act + Assess: another config file is another cluster, with the new file.
    const second = await runtime.ensure(attachedPlan(repository, 2, 'n_workers: 4\n'));
    expect(second.schedulerAddress).not.toBe(first.schedulerAddress);
    await workersOnceThere(2);
    const scheduler = taskIds().find((id) => id.endsWith('-scheduler'))!;
    expect((await waitUntil('the scheduler to print 5 lines', () => seen(scheduler), (lines) => lines.length >= 5)).at(-1)).toBe('config=n_workers: 4');
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

describe('LocalDaskRuntime with TLS credentials', () => {
  const IS_ROOT = process.getuid?.() === 0;
  let dataDir: string;
  let credentials: LocalDaskCredentials;

  /** As `npm start` wires it (local-platform.ts): one credential store for the runtime and the driver; a sandbox when root. */
  function startWithTls(options: { sandboxed?: boolean } = {}) {
    dataDir = mkdtempSync(join(tmpdir(), 'dask-tls-'));
    const sandbox = options.sandboxed ? taskSandboxFromEnvironment(process.env).sandbox : undefined;
    sandbox?.openDirectory(dataDir);
    credentials = new LocalDaskCredentials({ dir: join(dataDir, 'dask-tls') });
    const tlsDriver = new LocalProcessDriver({ rootDir: join(dataDir, 'tasks'), stopGraceMs: 2_000, daskCredentials: credentials, ...(sandbox ? { sandbox } : {}) });
    driver = tlsDriver;
    runtime = new LocalDaskRuntime({ driver: tlsDriver, replaceDelayMs: 50, credentials });
  }

  /** Where a task's credentials are: its private directory (the task's tree without a sandbox). */
  const filesOf = (taskId: string, sandboxed = false) => join(dataDir, 'tasks', taskId, ...(sandboxed ? ['private'] : []), 'dask-tls');

  it('runs the cluster over mutual TLS: the scheduler serves TLS only, the workers reach it at tls:// with the cluster’s certificate', async () => {
    // Prepare
    startWithTls();

    // Act
    const { schedulerAddress } = await runtime.ensure(plan(2));

    // Assess
    expect(schedulerAddress).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const [scheduler] = await waitUntil('the scheduler to run', () => daskProcesses(fake).filter((p) => p.args[0] === 'scheduler' && isAlive(p.pid)), (ps) => ps.length === 1);
    expect(scheduler!.args).toContain('--protocol');
    expect(scheduler!.args[scheduler!.args.indexOf('--protocol') + 1]).toBe('tls');
    const workers = await workersOnceThere(2);
    expect(workers.map((w) => w.args[1])).toEqual([schedulerAddress, schedulerAddress]);
    const dashboard = `http://127.0.0.1:${/:(\d+)\/status$/.exec((await runtime.describe(RESOURCE)).dashboard_url!)![1]}/`;
    expect(await waitUntil('both workers to hold a TLS connection to the scheduler', () => schedulerCounts(dashboard), (c) => c.workers === 2)).toEqual({ workers: 2, refused: 0 });
    // Each member holds the cluster's credentials in files of its own, 0600, named by distributed's variables.
    const stored = (await credentials.read(RESOURCE))!;
    for (const member of [scheduler!, ...workers]) {
      expect(member.env.DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION).toBe('True');
      for (const variable of ['TLS__CA_FILE', 'TLS__SCHEDULER__CERT', 'TLS__SCHEDULER__KEY', 'TLS__WORKER__CERT', 'TLS__WORKER__KEY', 'TLS__CLIENT__CERT', 'TLS__CLIENT__KEY']) {
        const file = member.env[`DASK_DISTRIBUTED__COMM__${variable}`]!;
        expect(file.startsWith(join(dataDir, 'tasks', 'dask-')), `${variable} in its own task's tree`).toBe(true);
        expect(statSync(file).mode & 0o777, file).toBe(0o600);
      }
      expect(readFileSync(member.env.DASK_DISTRIBUTED__COMM__TLS__CA_FILE!, 'utf8')).toBe(stored.ca);
      expect(readFileSync(member.env.DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY!, 'utf8')).toBe(stored.key);
    }
    // The store itself is the control plane's alone.
    expect(statSync(credentials.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(credentials.dir, `${RESOURCE}.json`)).mode & 0o777).toBe(0o600);
  });

  it('gives the resource’s tasks the credentials and a tls:// address, no other resource’s task either, and the scheduler refuses another cluster’s certificate', async () => {
    // Prepare
    startWithTls();
    const { schedulerAddress } = await runtime.ensure(plan(0));
    const tasks = daskAwareDriver(driver, runtime);
    const exitOf = exitsOf(driver);
    const print = 'echo "$DASK_SCHEDULER_ADDRESS|${DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION:-none}|${DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY:-none}"';
    const other = 'cd'.repeat(16);

    // Act: a run of the resource, and one of another resource that names this cluster's address in its own environment.
    // Its spec asks for plain tcp: the platform's variables win.
    await tasks.launch({ taskId: 'run-own', group: 'run', command: print, environment: { DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION: 'False' }, labels: { owner: 'ann', resource: RESOURCE }, daskCluster: RESOURCE });
    await tasks.launch({ taskId: 'run-other', group: 'run', command: print, environment: { DASK_SCHEDULER_ADDRESS: schedulerAddress! }, labels: { owner: 'bob', resource: other }, daskCluster: other });
    await Promise.all([exitOf('run-own'), exitOf('run-other')]);

    // Assess
    const lines = async (taskId: string) => (await driver.logs(taskId, { limit: 10 })).lines.filter((l) => l.stream === 'stdout').map((l) => l.message);
    expect(await lines('run-own')).toEqual([`${schedulerAddress}|True|${filesOf('run-own')}/key.pem`]);
    expect(await lines('run-other')).toEqual([`${schedulerAddress}|none|none`]);
    expect(existsSync(filesOf('run-other'))).toBe(false);
    // The log says where the credentials went; neither it nor the task's record holds a key.
    const ownLog = JSON.stringify((await driver.logs('run-own', { limit: 100 })).lines);
    expect(ownLog).toContain(`TLS certificate and key in ${filesOf('run-own')}`);
    expect(ownLog + readFileSync(join(dataDir, 'tasks', 'run-own', 'task.json'), 'utf8')).not.toContain('PRIVATE KEY');
    // The resource's client completes a handshake with the scheduler with what it was given; another cluster's member cannot.
    const { port } = new URL(schedulerAddress!.replace('tls:', 'http:'));
    const handshake = (tls: { ca: string; cert: string; key: string }) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: Number(port), ...tls, checkServerIdentity: () => undefined });
        socket.on('secureConnect', () => (socket.end(), resolve(true)));
        socket.on('error', () => resolve(false));
      });
    const given = { ca: readFileSync(`${filesOf('run-own')}/ca.pem`, 'utf8'), cert: readFileSync(`${filesOf('run-own')}/cert.pem`, 'utf8'), key: readFileSync(`${filesOf('run-own')}/key.pem`, 'utf8') };
    // (The scheduler's launch resolves when its shell runs, a moment before it listens.)
    expect(await waitUntil('the client handshake with the scheduler to complete', () => handshake(given), (ok) => ok)).toBe(true);
    const foreign = makeDaskClusterCredentials(other);
    await handshake({ ca: given.ca, cert: foreign.cert, key: foreign.key });
    const dashboard = `http://127.0.0.1:${/:(\d+)\/status$/.exec((await runtime.describe(RESOURCE)).dashboard_url!)![1]}/`;
    expect(await waitUntil('the scheduler to refuse the certificate of another cluster', async () => (await schedulerCounts(dashboard)).refused, (n) => n > 0)).toBe(1);
  });

  it('deletes the cluster’s credentials when it stops, and a new cluster gets new ones', async () => {
    // Prepare
    startWithTls();
    await runtime.ensure(plan(1));
    const first = await credentials.read(RESOURCE);

    // Act
    await runtime.stop(RESOURCE, 'the job stopped');
    const afterStop = await credentials.read(RESOURCE);
    await runtime.ensure(plan(1));

    // Assess
    expect(first).toBeDefined();
    expect(afterStop).toBeUndefined();
    expect((await credentials.read(RESOURCE))!.ca).not.toBe(first!.ca);
  });

  it('makes no credentials for a cluster that cannot run here', async () => {
    // Prepare
    dataDir = mkdtempSync(join(tmpdir(), 'dask-tls-'));
    credentials = new LocalDaskCredentials({ dir: join(dataDir, 'dask-tls') });
    driver = new LocalProcessDriver({ rootDir: join(dataDir, 'tasks'), stopGraceMs: 2_000, daskCredentials: credentials });
    runtime = new LocalDaskRuntime({ driver, credentials, findDask: async () => null });

    // Act
    await runtime.ensure(plan(1));

    // Assess
    expect(await credentials.read(RESOURCE)).toBeUndefined();
  });

  it.skipIf(!IS_ROOT)('as root, keeps each task’s copy readable by that task’s own user alone (skipped: needs root, as CI runs it)', async () => {
    // Prepare
    startWithTls({ sandboxed: true });
    await runtime.ensure(plan(0));
    const exitOf = exitsOf(driver);
    await driver.launch({ taskId: 'run-own', group: 'run', command: 'id -u; sleep 30', environment: {}, labels: { owner: 'ann', resource: RESOURCE }, daskCluster: RESOURCE });
    const key = `${filesOf('run-own', true)}/key.pem`;
    await waitUntil('the task to get its key', () => existsSync(key), (there) => there);

    // Act: another user's task tries the task's copy and the control plane's store.
    const store = join(credentials.dir, `${RESOURCE}.json`);
    await driver.launch({ taskId: 'run-bob', group: 'run', command: `cat '${key}' 2>&1; cat '${store}' 2>&1; true`, environment: {}, labels: { owner: 'bob', resource: 'cd'.repeat(16) } });
    await exitOf('run-bob');

    // Assess
    const text = (await driver.logs('run-bob', { limit: 10 })).lines.filter((l) => l.stream === 'stdout').map((l) => l.message).join('\n');
    expect(text).toContain(`cat: ${key}: Permission denied`);
    expect(text).toContain(`cat: ${store}: Permission denied`);
    expect(text).not.toContain('PRIVATE KEY');
    const ownUid = Number((await driver.logs('run-own', { limit: 10 })).lines.find((l) => l.stream === 'stdout')!.message);
    expect(statSync(key).uid).toBe(ownUid);
    expect(statSync(key).mode & 0o777).toBe(0o600);
  });
});
