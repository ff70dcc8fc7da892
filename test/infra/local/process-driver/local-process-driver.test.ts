import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { driverFixtures, SETSID_ESCAPE } from './driver-fixtures.ts';
import { waitUntil } from '../../../support/wait-until.ts';
import { LocalProcessDriver, type LocalProcessDriverOptions } from '../../../../infra/local/process-driver/local-process-driver.ts';
import { GONE_AFTER_RESTART, STOPPED_AFTER_RESTART } from '../../../../infra/local/process-driver/lost-tasks.ts';
import { taskSandboxFromEnvironment } from '../../../../infra/local/process-driver/task-sandbox-settings.ts';
import type { LogLine, TaskExit, TaskSpec } from '../../../../shared/ports/task-driver.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DRIVER_MODULE = new URL('../../../../infra/local/process-driver/local-process-driver.ts', import.meta.url).href;
const SANDBOX_SETTINGS_MODULE = new URL('../../../../infra/local/process-driver/task-sandbox-settings.ts', import.meta.url).href;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;



const fixtures = driverFixtures('process-driver');
const newRoot = fixtures.newDir;

interface Harness {
  driver: LocalProcessDriver;
  rootDir: string;
  exits: TaskExit[];
  exitOf(taskId: string): Promise<TaskExit>;
}

function newDriver(options: Partial<LocalProcessDriverOptions> = {}): Harness {
  const rootDir = options.rootDir ?? newRoot();
  const driver = new LocalProcessDriver({ stopGraceMs: 1_000, ...options, rootDir });
  fixtures.closeAfter(driver);
  const exits: TaskExit[] = [];
  driver.onExit((exit) => {
    exits.push(exit);
  });
  const exitOf = (taskId: string) =>
    waitUntil(`task ${taskId} to exit`, () => exits.find((exit) => exit.taskId === taskId), (exit) => exit !== undefined).then((exit) => exit!);
  return { driver, rootDir, exits, exitOf };
}

function spec(taskId: string, command: string, more: Partial<TaskSpec> = {}): TaskSpec {
  return { taskId, group: 'run-1', command, environment: {}, labels: { owner: 'alice' }, ...more };
}

async function allLogs(driver: LocalProcessDriver, taskId: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let cursor: string | null = null;
  do {
    const page = await driver.logs(taskId, { cursor, limit: 1_000 });
    lines.push(...page.lines);
    cursor = page.next;
  } while (cursor !== null);
  return lines;
}

async function output(driver: LocalProcessDriver, taskId: string): Promise<string[]> {
  return (await allLogs(driver, taskId)).filter((line) => line.stream !== 'system').map((line) => line.message);
}

function waitForOutput(driver: LocalProcessDriver, taskId: string, count: number): Promise<string[]> {
  return waitUntil(`task ${taskId} to write ${count} lines`, () => output(driver, taskId), (lines) => lines.length >= count);
}

function holds(what: string, condition: () => boolean): Promise<boolean> {
  return waitUntil(what, condition, (held) => held);
}

/** Alive and not a zombie: orphans stay zombies for good where PID 1 does not reap them. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

function taskRecord(rootDir: string, taskId: string): { pid: number; pgid: number } & Record<string, unknown> {
  return JSON.parse(readFileSync(join(rootDir, taskId, 'task.json'), 'utf8'));
}

/**
 * A control plane in a process of its own launches the tasks and is then killed with SIGKILL:
 * a real crash, after which no driver watches the tasks and their shells are orphans.
 * `sandboxed`: its tasks run as users of their own (the tests run as root).
 */
async function launchAndCrash(rootDir: string, tasks: TaskSpec[], sandboxed = false): Promise<void> {
  const script = `
    const { LocalProcessDriver } = await import(${JSON.stringify(DRIVER_MODULE)});
    const { taskSandboxFromEnvironment } = await import(${JSON.stringify(SANDBOX_SETTINGS_MODULE)});
    const sandbox = ${sandboxed} ? taskSandboxFromEnvironment(process.env).sandbox : undefined;
    const driver = new LocalProcessDriver({ rootDir: ${JSON.stringify(rootDir)}, sandbox });
    for (const task of ${JSON.stringify(tasks)}) await driver.launch(task);
    process.stdout.write('launched\\n');
    setInterval(() => undefined, 60_000);
  `;
  const controlPlane = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(controlPlane, 'exit');
  const launched = await Promise.race([once(controlPlane.stdout, 'data').then(() => true), exited.then(() => false)]);
  if (!launched) throw new Error('the control plane exited before it had launched the tasks');
  controlPlane.kill('SIGKILL');
  await exited;
}

describe('LocalProcessDriver', () => {
  describe('logs', () => {
    it('captures stdout and stderr line by line, timestamped and in order, between a start and an end line', async () => {
      // Prepare
      const { driver, exitOf } = newDriver();
      const command = 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; printf "no newline at the end"';

      // Act
      await driver.launch(spec('logs-1', command));
      await exitOf('logs-1');
      const lines = await allLogs(driver, 'logs-1');

      // Assess
      expect(lines.map(({ stream, message }) => [stream, message])).toEqual([
        ['system', expect.stringMatching(/^started: pid \d+, working directory \/home\/jovyan, PORT=\d+$/)],
        ['stdout', 'one'],
        ['stderr', 'two'],
        ['stdout', 'three'],
        ['stdout', 'no newline at the end'],
        ['system', 'succeeded'],
      ]);
      for (const line of lines) expect(line.timestamp).toMatch(ISO_8601);
      const times = lines.map((line) => Date.parse(line.timestamp));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('pages through the log with an opaque cursor, the last page of an ended task saying there is no more', async () => {
      // Prepare
      const { driver, exitOf } = newDriver();
      await driver.launch(spec('logs-2', 'for i in 1 2 3 4 5 6 7; do echo line $i; done'));
      await exitOf('logs-2');

      // Act
      const pages = [];
      let cursor: string | null = null;
      do {
        const page = await driver.logs('logs-2', { cursor, limit: 4 });
        pages.push(page);
        cursor = page.next;
      } while (cursor !== null);

      // Assess: 7 lines of output between the start and end lines
      expect(pages.map((page) => page.lines.length)).toEqual([4, 4, 1]);
      expect(pages.flatMap((page) => page.lines)).toEqual(await allLogs(driver, 'logs-2'));
      expect(pages.flatMap((page) => page.lines).filter((line) => line.stream === 'stdout').map((line) => line.message)).toEqual(
        ['1', '2', '3', '4', '5', '6', '7'].map((i) => `line ${i}`),
      );
    });

    it('gives a running task a cursor to read on from, and an empty page when nothing new came yet', async () => {
      // Prepare
      const { driver } = newDriver();
      await driver.launch(spec('logs-3', 'echo first; sleep 100'));
      await waitForOutput(driver, 'logs-3', 1);

      // Act
      const first = await driver.logs('logs-3', { limit: 100 });
      const nothingYet = await driver.logs('logs-3', { cursor: first.next, limit: 100 });

      // Assess
      expect(first.lines.map((line) => line.message)).toEqual([expect.stringMatching(/^started/), 'first']);
      expect(first.next).toEqual(expect.any(String));
      expect(nothingYet).toEqual({ lines: [], next: null });
    });

    it('splits a very long line every 16 KiB', async () => {
      // Prepare
      const { driver, exitOf } = newDriver();

      // Act
      await driver.launch(spec('logs-4', "head -c 40000 /dev/zero | tr '\\0' a; echo"));
      await exitOf('logs-4');

      // Assess
      expect((await output(driver, 'logs-4')).map((line) => line.length)).toEqual([16_384, 16_384, 40_000 - 2 * 16_384]);
    });

    it('has an empty log for a task it does not know, whatever the id looks like', async () => {
      const { driver } = newDriver();
      expect(await driver.logs('never-launched', { limit: 10 })).toEqual({ lines: [], next: null });
      expect(await driver.logs('../../etc', { limit: 10 })).toEqual({ lines: [], next: null });
    });

    it('reports the end only once the log holds everything', async () => {
      // Prepare
      const { driver, rootDir } = newDriver();
      let logAtExit = '';
      driver.onExit((exit) => (logAtExit = readFileSync(join(rootDir, exit.taskId, 'log.ndjson'), 'utf8')));
      const ended = new Promise((resolve) => driver.onExit(resolve));

      // Act
      await driver.launch(spec('logs-5', 'seq 1 2000; printf last'));
      await ended;

      // Assess
      const records = logAtExit.trim().split('\n').map((line) => JSON.parse(line));
      expect(records).toHaveLength(2_003);
      expect(records.at(-2)).toMatchObject({ s: 'stdout', m: 'last' });
      expect(records.at(-1)).toMatchObject({ s: 'system', m: 'succeeded' });
    });
  });

  describe('exits', () => {
    it('reports success and a non-zero exit code, once each', async () => {
      // Prepare
      const { driver, exits, exitOf } = newDriver({ clock: () => new Date('2025-03-01T09:00:00.000Z') });

      // Act
      await driver.launch(spec('exit-0', 'true'));
      await driver.launch(spec('exit-3', 'exit 3'));
      const [succeeded, failed] = await Promise.all([exitOf('exit-0'), exitOf('exit-3')]);

      // Assess
      expect(succeeded).toEqual({ taskId: 'exit-0', group: 'run-1', exitCode: 0, signal: null, reason: 'succeeded', finishedAt: '2025-03-01T09:00:00.000Z' });
      expect(failed).toMatchObject({ taskId: 'exit-3', exitCode: 3, signal: null, reason: 'exited with code 3' });
      expect(exits).toHaveLength(2);
      expect(driver.running()).toEqual([]);
    });

    it('says what a shell exit code means when it has a meaning', async () => {
      const { driver, exitOf } = newDriver();
      await driver.launch(spec('exit-127', 'no-such-command-anywhere'));
      expect((await exitOf('exit-127')).reason).toBe('exited with code 127 (command not found)');
    });

    it('reports a task killed from outside by its signal', async () => {
      // Prepare
      const { driver, rootDir, exitOf } = newDriver();
      await driver.launch(spec('killed', 'exec sleep 100'));
      await holds('the task to record its pid', () => existsSync(join(rootDir, 'killed', 'task.json')) && taskRecord(rootDir, 'killed').pid > 1);

      // Act
      process.kill(taskRecord(rootDir, 'killed').pid, 'SIGKILL');

      // Assess
      expect(await exitOf('killed')).toMatchObject({ exitCode: null, signal: 'SIGKILL', reason: 'killed by SIGKILL' });
    });

    it('reports a task that cannot start as an exit with the reason, and carries on', async () => {
      // Prepare
      const { driver, exitOf } = newDriver({ shell: '/nonexistent/sh' });

      // Act
      const launched = await driver.launch(spec('no-shell', 'echo never'));
      const exit = await exitOf('no-shell');

      // Assess
      expect(launched.taskId).toBe('no-shell');
      expect(exit).toMatchObject({ exitCode: null, signal: null, reason: expect.stringMatching(/^could not start: .*ENOENT/) });
      expect((await allLogs(driver, 'no-shell')).at(-1)).toMatchObject({ stream: 'system', message: exit.reason });
    });

    it('keeps running when an exit listener throws', async () => {
      // Prepare
      const { driver, exitOf } = newDriver();
      driver.onExit(() => {
        throw new Error('a listener bug');
      });
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);

      try {
        // Act
        await driver.launch(spec('listener-throws', 'true'));
        const exit = await exitOf('listener-throws');

        // Assess
        expect(exit).toMatchObject({ reason: 'succeeded' });
        expect(consoleError).toHaveBeenCalledWith(expect.stringContaining('listener-throws'), expect.any(Error));
      } finally {
        consoleError.mockRestore();
      }
    });
  });

  describe('launch', () => {
    it('runs the start script in the same shell, so its exports reach the command', async () => {
      const { driver, exitOf } = newDriver();
      await driver.launch(spec('start-script', 'echo "$GREETING, world"', { startScript: 'export GREETING=hi' }));
      await exitOf('start-script');
      expect(await output(driver, 'start-script')).toEqual(['hi, world']);
    });

    it('gives each task its own HOME and maps /home/jovyan paths into it', async () => {
      // Prepare
      const { driver, rootDir, exitOf } = newDriver();
      const home = join(rootDir, 'absolute', 'home', 'jovyan');

      // Act
      await driver.launch(spec('absolute', 'echo "$HOME"; pwd', { workingDirectory: '/home/jovyan/work' }));
      await driver.launch(spec('relative', 'pwd', { workingDirectory: 'notebooks/2025' }));
      await driver.launch(spec('default', 'pwd'));
      await Promise.all([exitOf('absolute'), exitOf('relative'), exitOf('default')]);

      // Assess
      expect(await output(driver, 'absolute')).toEqual([home, join(home, 'work')]);
      expect(await output(driver, 'relative')).toEqual([join(rootDir, 'relative', 'home', 'jovyan', 'notebooks', '2025')]);
      expect(await output(driver, 'default')).toEqual([join(rootDir, 'default', 'home', 'jovyan')]);
    });

    it('refuses a working directory outside /home/jovyan, naming it, and starts nothing', async () => {
      // Prepare
      const { driver, rootDir } = newDriver();

      // Act & Assess
      await expect(driver.launch(spec('etc', 'pwd', { workingDirectory: '/etc' }))).rejects.toThrow('/etc');
      await expect(driver.launch(spec('escape', 'pwd', { workingDirectory: '../../tmp' }))).rejects.toThrow('../../tmp');
      await expect(driver.launch(spec('sibling', 'pwd', { workingDirectory: '/home/jovyanx' }))).rejects.toThrow('/home/jovyanx');
      expect(existsSync(join(rootDir, 'etc'))).toBe(false);
      expect(driver.running()).toEqual([]);
    });

    it('refuses a task id that is not a plain directory name, and an extra port that is no port', async () => {
      const { driver } = newDriver();
      await expect(driver.launch(spec('../escape', 'true'))).rejects.toThrow('task id');
      await expect(driver.launch(spec('bad-port', 'true', { extraPorts: [8787, -1] }))).rejects.toThrow('extraPorts: -1 is not a TCP port number');
      expect(driver.running()).toEqual([]);
    });

    it('gives a free port as PORT, one as PORT_N for each extra port, and a server on $PORT answers', async () => {
      // Prepare
      const { driver, exitOf } = newDriver();
      const server = `require('http').createServer((_, res) => res.end('hello from ' + process.env.PORT)).listen(process.env.PORT, '127.0.0.1', () => console.log('listening'))`;

      // Act
      const launched = await driver.launch(spec('ports', `echo "$PORT_8787"; exec '${process.execPath}' -e "${server}"`, { extraPorts: [8787] }));
      const [extraPort] = await waitForOutput(driver, 'ports', 2);
      const response = await fetch(`http://127.0.0.1:${launched.port}/`);
      const other = await driver.launch(spec('ports-other', 'echo "$PORT"'));
      await exitOf('ports-other');

      // Assess
      expect(await response.text()).toBe(`hello from ${launched.port}`);
      expect(Number(extraPort)).toBeGreaterThan(0);
      expect(Number(extraPort)).not.toBe(launched.port);
      expect(other.port).not.toBe(launched.port);
      expect(await output(driver, 'ports-other')).toEqual([String(other.port)]);
    });

    it('passes the declared environment and nothing of the control plane, whose secrets it holds', async () => {
      // Prepare
      const { driver, exitOf } = newDriver();
      process.env.CASSINI_TEST_SECRET = 'control-plane-secret';

      try {
        // Act
        await driver.launch(spec('environment', 'env', { environment: { GIVEN: 'declared value' } }));
        await exitOf('environment');
      } finally {
        delete process.env.CASSINI_TEST_SECRET;
      }

      // Assess
      const variables = new Map((await output(driver, 'environment')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      const promised = ['GIVEN', 'HOME', 'HOST', 'LANG', 'PATH', 'PORT', 'USER'];
      // What sh sets of its own accord is all there may be besides.
      const shellOwn = ['PWD', 'OLDPWD', 'SHLVL', '_'];
      expect(variables.get('GIVEN')).toBe('declared value');
      expect(variables.has('CASSINI_TEST_SECRET')).toBe(false);
      expect([...variables.keys()]).toEqual(expect.arrayContaining(promised));
      expect([...variables.keys()].filter((name) => ![...promised, ...shellOwn].includes(name))).toEqual([]);
    });

    it('records the spec with environment names only, never their values', async () => {
      // Prepare
      const { driver, rootDir, exitOf } = newDriver();

      // Act
      await driver.launch(spec('record', 'true', { environment: { API_KEY: 'sk-very-secret-value' } }));
      await exitOf('record');

      // Assess
      const text = readFileSync(join(rootDir, 'record', 'task.json'), 'utf8');
      expect(text).not.toContain('sk-very-secret-value');
      expect(JSON.parse(text)).toMatchObject({ taskId: 'record', group: 'run-1', command: 'true', environmentNames: ['API_KEY'], pid: expect.any(Number) });
      expect(existsSync(join(rootDir, 'record', 'exit.json'))).toBe(true);
    });

    it('is idempotent: a second launch of a running or ended id returns the first and starts nothing', async () => {
      // Prepare
      const { driver, rootDir, exitOf } = newDriver();
      const task = spec('once', 'echo ran >> "$HOME/runs"; sleep 0.2');

      // Act
      const [first, concurrent] = await Promise.all([driver.launch(task), driver.launch(task)]);
      const whileRunning = await driver.launch(task);
      await exitOf('once');
      const afterEnd = await driver.launch(task);
      const another = newDriver({ rootDir }).driver;
      const fromAnotherDriver = await another.launch(task);

      // Assess: a launch that had started a process would count it as running when it returns.
      for (const again of [concurrent, whileRunning, afterEnd, fromAnotherDriver]) expect(again).toEqual(first);
      expect(driver.running()).toEqual([]);
      expect(another.running()).toEqual([]);
      expect(readFileSync(join(rootDir, 'once', 'home', 'jovyan', 'runs'), 'utf8')).toBe('ran\n');
    });
  });

  describe('ports', () => {
    it('tells the host port of each container port, 8000 being $PORT, also for a launch it had done before', async () => {
      // Prepare
      const { driver, rootDir, exitOf } = newDriver();

      // Act
      const launched = await driver.launch(spec('port-map', 'echo "$PORT $PORT_8787"', { extraPorts: [8787, 8000] }));
      await exitOf('port-map');
      const again = await newDriver({ rootDir }).driver.launch(spec('port-map', 'true'));

      // Assess
      expect(Object.keys(launched.ports)).toEqual(['8000', '8787']);
      expect(launched.ports[8000]).toBe(launched.port);
      expect(await output(driver, 'port-map')).toEqual([`${launched.ports[8000]} ${launched.ports[8787]}`]);
      expect(again.ports).toEqual(launched.ports);
    });

    it('knows which ids were launched on its tree, by itself or a driver before it', async () => {
      // Prepare
      const { driver, rootDir, exitOf } = newDriver();
      await driver.launch(spec('known', 'true'));
      await exitOf('known');

      // Act & Assess
      expect(driver.hasLaunched('known')).toBe(true);
      expect(newDriver({ rootDir }).driver.hasLaunched('known')).toBe(true);
      expect(driver.hasLaunched('never')).toBe(false);
      expect(driver.hasLaunched('../known')).toBe(false);
    });
  });

  describe('home volumes', () => {
    it('gives tasks with the same volume one persistent home, beside the task trees by default', async () => {
      // Prepare
      const parent = newRoot();
      const { driver, exitOf } = newDriver({ rootDir: join(parent, 'tasks') });

      // Act
      await driver.launch(spec('writer', 'echo kept > "$HOME/notes.txt"; mkdir -p "$HOME/work"', { homeVolume: 'home-alice' }));
      await exitOf('writer');
      await driver.launch(spec('reader', 'cat "$HOME/notes.txt"; pwd', { homeVolume: 'home-alice', workingDirectory: '/home/jovyan/work' }));
      await driver.launch(spec('stranger', 'cat "$HOME/notes.txt"'));
      await Promise.all([exitOf('reader'), exitOf('stranger')]);

      // Assess
      expect(readFileSync(join(parent, 'volumes', 'home-alice', 'notes.txt'), 'utf8')).toBe('kept\n');
      expect((await output(driver, 'reader'))[0]).toBe('kept');
      expect(realpathSync((await output(driver, 'reader'))[1] ?? '')).toBe(realpathSync(join(parent, 'volumes', 'home-alice', 'work')));
      expect((await exitOf('stranger')).exitCode).not.toBe(0);
      expect(taskRecord(join(parent, 'tasks'), 'reader')).toMatchObject({ homeVolume: 'home-alice' });
    });

    it('removes a volume with what is in it, idempotently, and never one a running task uses', async () => {
      // Prepare
      const volumesDir = newRoot();
      const { driver, exitOf } = newDriver({ volumesDir });
      await driver.launch(spec('busy', 'touch "$HOME/file"; sleep 100', { homeVolume: 'busy-home' }));
      await driver.launch(spec('done', 'touch "$HOME/file"', { homeVolume: 'done-home' }));
      await exitOf('done');
      await holds('the file to be written into the volume', () => existsSync(join(volumesDir, 'busy-home', 'file')));

      // Act
      await driver.removeVolume('done-home');
      await driver.removeVolume('done-home');
      const whileRunning = driver.removeVolume('busy-home');

      // Assess
      expect(existsSync(join(volumesDir, 'done-home'))).toBe(false);
      await expect(whileRunning).rejects.toThrow('busy-home is the home of running task busy');
      expect(existsSync(join(volumesDir, 'busy-home', 'file'))).toBe(true);
      await driver.stop('busy', 'done');
      await driver.removeVolume('busy-home');
      expect(existsSync(join(volumesDir, 'busy-home'))).toBe(false);
    });

    it('refuses a volume name that is not a plain directory name, and starts nothing', async () => {
      // Prepare
      const parent = newRoot();
      const { driver } = newDriver({ rootDir: join(parent, 'tasks'), volumesDir: join(parent, 'volumes') });

      // Act & Assess
      await expect(driver.launch(spec('escape', 'true', { homeVolume: '../tasks' }))).rejects.toThrow('home volume "../tasks"');
      await expect(driver.removeVolume('..')).rejects.toThrow('home volume ".."');
      await expect(driver.removeVolume('a/b')).rejects.toThrow('home volume "a/b"');
      expect(existsSync(join(parent, 'tasks', 'escape'))).toBe(false);
      expect(existsSync(parent)).toBe(true);
      expect(driver.running()).toEqual([]);
    });
  });

  describe('stop', () => {
    it('ends a setsid child with its task, when it exits and when it is stopped, found by its HOME (issue 19 item 11)', async () => {
      // Prepare: the attack as written: children that leave the task's process group
      const { driver, exitOf } = newDriver();
      await driver.launch(spec('escape-1', SETSID_ESCAPE));
      await driver.launch(spec('escape-2', `${SETSID_ESCAPE}; sleep 300`));
      await exitOf('escape-1');
      const [stoppedChild] = await waitForOutput(driver, 'escape-2', 1);

      // Act
      await driver.stop('escape-2', 'stopped by the test');

      // Assess
      const [exitedChild] = await output(driver, 'escape-1');
      for (const child of [exitedChild, stoppedChild]) expect(isRunning(Number(child)), `setsid child ${child}`).toBe(false);
    });

    it('ends the whole process group, grandchildren included, and reports the reason once', async () => {
      // Prepare
      const { driver, rootDir, exits, exitOf } = newDriver();
      await driver.launch(spec('group', 'sleep 100 & echo $!; sleep 100 & echo $!; wait'));
      const pids = (await waitForOutput(driver, 'group', 2)).map(Number);
      const shell = taskRecord(rootDir, 'group').pid;
      expect(driver.running()).toEqual(['group']);

      // Act
      await Promise.all([driver.stop('group', 'cancelled: by alice'), driver.stop('group', 'cancelled: twice')]);
      await driver.stop('group', 'cancelled: after the end');

      // Assess
      expect(await exitOf('group')).toMatchObject({ exitCode: null, signal: 'SIGTERM', reason: 'cancelled: by alice' });
      expect(exits).toHaveLength(1);
      for (const pid of [shell, ...pids]) expect(isRunning(pid)).toBe(false);
      expect(driver.running()).toEqual([]);
    });

    it('kills a task that ignores SIGTERM once the grace period is over', async () => {
      // Prepare
      const { driver, exitOf } = newDriver({ stopGraceMs: 300 });
      await driver.launch(spec('stubborn', "trap '' TERM; echo ready; sleep 100"));
      await waitForOutput(driver, 'stubborn', 1);
      const stoppedAt = Date.now();

      // Act
      await driver.stop('stubborn', 'cancelled: by alice');

      // Assess
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(300);
      expect(await exitOf('stubborn')).toMatchObject({ exitCode: null, signal: 'SIGKILL', reason: 'cancelled: by alice' });
      expect((await allLogs(driver, 'stubborn')).at(-1)?.message).toBe('cancelled: by alice (ended by SIGKILL)');
    });

    it('does nothing for a task it does not know', async () => {
      const { driver, exits } = newDriver();
      await driver.stop('never-launched', 'cancelled');
      expect(exits).toEqual([]);
    });

    it('stops every task on close, waits for their exits, and launches no more', async () => {
      // Prepare
      const { driver, exits } = newDriver();
      await driver.launch(spec('close-a', 'sleep 100'));
      await driver.launch(spec('close-b', 'sleep 100'));

      // Act
      await driver.close();

      // Assess
      expect(exits.map((exit) => exit.taskId).sort()).toEqual(['close-a', 'close-b']);
      expect(exits.every((exit) => exit.reason.startsWith('the control plane shut down'))).toBe(true);
      expect(driver.running()).toEqual([]);
      await expect(driver.launch(spec('close-c', 'true'))).rejects.toThrow('closed');
    });
  });

  describe('recover', () => {
    it('after a crash, kills what survived, reports what vanished as gone, once each, and restarts nothing', async () => {
      // Prepare: a real crash, then one of the orphaned tasks dies while no driver watches
      const rootDir = newRoot();
      await launchAndCrash(rootDir, [spec('survivor', 'sleep 100 & sleep 100'), spec('vanished', 'sleep 100', { group: 'run-2' })]);
      const survivor = taskRecord(rootDir, 'survivor').pgid;
      const vanished = taskRecord(rootDir, 'vanished').pgid;
      process.kill(-vanished, 'SIGKILL');
      await holds(`process ${vanished} to end`, () => !isRunning(vanished));
      expect(isRunning(survivor)).toBe(true);
      const { driver, exits } = newDriver({ rootDir });

      // Act
      const recovered = await driver.recover();
      const again = await driver.recover();

      // Assess
      const finishedAt = expect.stringMatching(ISO_8601);
      expect(recovered.sort((a, b) => a.taskId.localeCompare(b.taskId))).toEqual([
        { taskId: 'survivor', group: 'run-1', exitCode: null, signal: 'SIGKILL', reason: STOPPED_AFTER_RESTART, finishedAt },
        { taskId: 'vanished', group: 'run-2', exitCode: null, signal: null, reason: GONE_AFTER_RESTART, finishedAt },
      ]);
      expect(isRunning(survivor)).toBe(false);
      expect(again).toEqual([]);
      expect(exits).toEqual([]);
      expect(driver.running()).toEqual([]);
      expect(JSON.parse(readFileSync(join(rootDir, 'survivor', 'exit.json'), 'utf8'))).toEqual(recovered[0]);
      expect((await allLogs(driver, 'survivor')).at(-1)).toMatchObject({ stream: 'system', message: STOPPED_AFTER_RESTART });
      expect(await driver.launch(spec('survivor', 'sleep 100'))).toMatchObject({ taskId: 'survivor' });
      expect(driver.running()).toEqual([]);
    });

    it.skipIf(process.getuid?.() !== 0)('after a crash, kills what a task started outside its group too, by its recorded uid (as root only)', async () => {
      // Prepare: the attack of issue 19 item 11, then a crash of the control plane
      const rootDir = newRoot();
      await launchAndCrash(rootDir, [spec('escaper', 'setsid sleep 300 & echo $! > $HOME/child; sleep 300')], true);
      const childFile = join(rootDir, 'escaper', 'home', 'jovyan', 'child');
      await holds('the child to write its pid', () => existsSync(childFile) && readFileSync(childFile, 'utf8').endsWith('\n'));
      const child = Number(readFileSync(childFile, 'utf8'));
      expect(isRunning(child)).toBe(true);
      const { driver } = newDriver({ rootDir, sandbox: taskSandboxFromEnvironment(process.env).sandbox! });

      // Act
      await driver.recover();

      // Assess
      expect(Number(taskRecord(rootDir, 'escaper').uid)).toBeGreaterThan(0);
      expect(isRunning(child)).toBe(false);
    });

    it('reports an end once between two drivers on one tree, even while the first still watches', async () => {
      // Prepare: a crash simulated in process: the first driver is dropped, not stopped
      const first = newDriver();
      await first.driver.launch(spec('dropped', 'sleep 100'));
      const { pid } = taskRecord(first.rootDir, 'dropped');
      const second = newDriver({ rootDir: first.rootDir });

      // Act
      const recovered = await second.driver.recover();
      await holds('the first driver to run nothing', () => first.driver.running().length === 0);

      // Assess: whichever driver recorded exit.json first reported it; the other stayed silent
      expect(isRunning(pid)).toBe(false);
      expect(recovered.length + first.exits.length).toBe(1);
      expect(await second.driver.recover()).toEqual([]);
    });

    it('leaves alone the tasks it runs itself and those whose end was reported', async () => {
      // Prepare
      const { driver, rootDir, exitOf } = newDriver();
      await driver.launch(spec('ended', 'true'));
      await exitOf('ended');
      await driver.launch(spec('mine', 'sleep 100'));

      // Act
      const recovered = await driver.recover();

      // Assess
      expect(recovered).toEqual([]);
      expect(driver.running()).toEqual(['mine']);
      expect(isRunning(taskRecord(rootDir, 'mine').pid)).toBe(true);
    });
  });
});
