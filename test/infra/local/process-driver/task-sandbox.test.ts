/**
 * Issue 11 item 9 and issue 19 item 11 (setsid): with the control plane running as root, a
 * local task runs as a user of its own and cannot read the control plane's files or another
 * task's, and nothing it starts outlives it. Run as root, as CI is; elsewhere these tests are
 * skipped (a non-root control plane has no other user to run tasks as), and say so.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverFixtures, SETSID_ESCAPE } from './driver-fixtures.ts';
import { adminTokenPath, readAdminToken, writeAdminToken } from '../../../../infra/local/admin-token-file.ts';
import { LocalSecretStore } from '../../../../infra/local/local-secret-store.ts';
import { exitsOf } from './task-exits.ts';
import { LocalProcessDriver } from '../../../../infra/local/process-driver/local-process-driver.ts';
import { DEFAULT_TASK_UIDS, taskSandboxFromEnvironment } from '../../../../infra/local/process-driver/task-sandbox-settings.ts';
import { TaskSandbox } from '../../../../infra/local/process-driver/task-sandbox.ts';
import { processesOfUser } from '../../../../infra/local/process-driver/user-processes.ts';
import type { LogLine, TaskAttachments, TaskExit, TaskSpec } from '../../../../shared/ports/task-driver.ts';

const IS_ROOT = process.getuid?.() === 0;
const ADMIN_TOKEN = 'admin-token-that-no-task-may-read';
const SECRET = 'alice-secret-value';


const fixtures = driverFixtures('task-sandbox');

interface DataDir {
  dataDir: string;
  driver: LocalProcessDriver;
  secrets: LocalSecretStore;
  exitOf(taskId: string): Promise<TaskExit>;
}

/** A data directory laid out as `npm start` lays it out (local-platform.ts), with a sandboxed driver. */
async function dataDirWithSandbox(): Promise<DataDir> {
  const dataDir = fixtures.newDir();
  const { sandbox } = taskSandboxFromEnvironment(process.env);
  sandbox!.openDirectory(dataDir);
  writeAdminToken(dataDir, ADMIN_TOKEN);
  mkdirSync(join(dataDir, 'dynamodb'), { mode: 0o700 });
  writeFileSync(join(dataDir, 'dynamodb', 'events.ldb'), 'the event store');
  const secrets = new LocalSecretStore({ dir: join(dataDir, 'secrets') });
  await secrets.put({ owner: 'alice', name: 'key' }, SECRET);
  const driver = newDriver(dataDir, secrets, sandbox);
  const exitOf = exitsOf(driver);
  return { dataDir, driver, secrets, exitOf };
}

function newDriver(dataDir: string, secrets: LocalSecretStore, sandbox: TaskSandbox | undefined): LocalProcessDriver {
  const driver = new LocalProcessDriver({
    rootDir: join(dataDir, 'tasks'),
    volumesDir: join(dataDir, 'volumes'),
    foldersDir: join(dataDir, 'shared-folders'),
    secrets,
    stopGraceMs: 500,
    ...(sandbox === undefined ? {} : { sandbox }),
  });
  fixtures.closeAfter(driver);
  return driver;
}

function spec(taskId: string, command: string, more: Partial<TaskSpec> = {}): TaskSpec {
  return { taskId, group: 'run-1', command, environment: {}, labels: { owner: 'bob' }, ...more };
}

async function output(driver: LocalProcessDriver, taskId: string): Promise<LogLine[]> {
  return (await driver.logs(taskId, { limit: 10_000 })).lines;
}

async function stdout(driver: LocalProcessDriver, taskId: string): Promise<string[]> {
  return (await output(driver, taskId)).filter((line) => line.stream === 'stdout').map((line) => line.message);
}

function folder(name: string): NonNullable<TaskAttachments['sharedFolders']>[number] {
  return { owner: 'alice', name, path: `/home/jovyan/shared/${name}`, readOnly: false };
}

describe.skipIf(!IS_ROOT)('a local task of a control plane running as root (skipped: these tests need root, as CI runs them)', () => {
  it("cannot read the admin token, the event store, the secret store or another task's home (issue 11 item 9)", async () => {
    // Prepare: alice's task keeps a diary in its home and runs on.
    const { dataDir, driver, exitOf } = await dataDirWithSandbox();
    await driver.launch(spec('alice-1', 'echo dear diary > $HOME/diary && sleep 30', { labels: { owner: 'alice' } }));
    const diary = join(dataDir, 'tasks', 'alice-1', 'home', 'jovyan', 'diary');
    await expect.poll(() => existsSync(diary), { message: "alice's task wrote its diary" }).toBe(true);
    const targets = [adminTokenPath(dataDir), join(dataDir, 'dynamodb', 'events.ldb'), join(dataDir, 'secrets', 'alice', 'key'), diary];
    // The control plane (root) sees each: a task that cannot is refused, not pointed at nothing.
    for (const target of targets) expect(existsSync(target), target).toBe(true);

    // Act: bob's job tries to read each, and to list the data directory and the tasks.
    const reads = targets.map((target) => `cat '${target}' 2>&1`).join('; ');
    await driver.launch(spec('bob-1', `${reads}; ls '${dataDir}' 2>&1; ls '${join(dataDir, 'tasks')}' 2>&1; id -u`));
    const exit = await exitOf('bob-1');

    // Assess
    const lines = await stdout(driver, 'bob-1');
    const text = lines.join('\n');
    expect(exit.exitCode, text).toBe(0);
    for (const target of targets) expect(text).toContain(`cat: ${target}: Permission denied`);
    expect(text).not.toContain(ADMIN_TOKEN);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('dear diary');
    expect(text).not.toContain('admin-token\n');
    expect(lines.filter((line) => line.includes('Permission denied')).length).toBe(targets.length + 2);
    const uid = Number(lines.at(-1));
    expect(uid).toBeGreaterThanOrEqual(DEFAULT_TASK_UIDS.first);
    expect(uid).toBeLessThanOrEqual(DEFAULT_TASK_UIDS.last);
    expect(readAdminToken(dataDir)).toBe(ADMIN_TOKEN);
  });

  it('gets its secrets readable by its user alone, writes its own home, and runs as a uid no other running task has', async () => {
    const { dataDir, driver, exitOf } = await dataDirWithSandbox();
    await driver.launch(spec('alice-1', 'id -u; sleep 30', { labels: { owner: 'alice' } }));
    await expect.poll(() => stdout(driver, 'alice-1'), { message: "alice's task printed its uid" }).toHaveLength(1);
    const attachments: TaskAttachments = { secrets: [{ owner: 'alice', name: 'key', as: 'file', path: '/home/jovyan/.key' }] };
    await driver.launch(spec('alice-2', 'id -u; cat $HOME/.key; echo; echo mine > $HOME/out && cat $HOME/out', { attachments, labels: { owner: 'alice' } }));
    const exit = await exitOf('alice-2');
    const [uid, secret, written] = await stdout(driver, 'alice-2');
    expect(exit.exitCode).toBe(0);
    expect([secret, written]).toEqual([SECRET, 'mine']);
    expect(uid).not.toBe((await stdout(driver, 'alice-1'))[0]);
    const secretFile = statSync(join(dataDir, 'tasks', 'alice-2', 'home', 'jovyan', '.key'));
    expect({ uid: secretFile.uid, mode: secretFile.mode & 0o777 }).toEqual({ uid: Number(uid), mode: 0o600 });
  });

  it('kills a setsid child when its task ends, and when its task is stopped (issue 19 item 11)', async () => {
    // Prepare: the attack as written: a child that leaves the task's process group.
    const { driver, exitOf } = await dataDirWithSandbox();
    await driver.launch(spec('escape-1', SETSID_ESCAPE));
    await driver.launch(spec('escape-2', `${SETSID_ESCAPE}; sleep 300`));
    await exitOf('escape-1');
    await expect.poll(() => stdout(driver, 'escape-2'), { message: 'the second task printed its child' }).toHaveLength(1);

    // Act
    await driver.stop('escape-2', 'stopped by the test');

    // Assess
    for (const taskId of ['escape-1', 'escape-2']) {
      const [pid] = await stdout(driver, taskId);
      expect(isRunning(Number(pid)), `the setsid child ${pid} of ${taskId}`).toBe(false);
    }
  });

  it("shares a folder with the tasks that attach it and no other task; a workspace's home volume keeps its files across tasks", async () => {
    const { dataDir, driver, exitOf } = await dataDirWithSandbox();
    await driver.launch(spec('writer', 'echo results > $HOME/shared/f/out.txt && echo notes > $HOME/notes', { attachments: { sharedFolders: [folder('f')] }, homeVolume: 'home-w' }));
    expect((await exitOf('writer')).exitCode).toBe(0);
    await driver.launch(spec('reader', 'cat $HOME/shared/f/out.txt && cat $HOME/notes', { attachments: { sharedFolders: [folder('f')] }, homeVolume: 'home-w' }));
    const folderFile = join(dataDir, 'shared-folders', 'alice', 'f', 'out.txt');
    await driver.launch(spec('stranger', `cat '${folderFile}' 2>&1; cat '${join(dataDir, 'volumes', 'home-w', 'notes')}' 2>&1`));
    await Promise.all([exitOf('reader'), exitOf('stranger')]);
    expect(await stdout(driver, 'reader')).toEqual(['results', 'notes']);
    expect(await stdout(driver, 'stranger')).toEqual([`cat: ${folderFile}: Permission denied`, `cat: ${join(dataDir, 'volumes', 'home-w', 'notes')}: Permission denied`]);
  });

  it('writes a secret file as the task: a link planted in a persistent home cannot redirect it onto the admin token', async () => {
    // Prepare: the first task of a workspace plants a link where its next start puts a secret.
    const { dataDir, driver, exitOf } = await dataDirWithSandbox();
    await driver.launch(spec('plant', `ln -s '${adminTokenPath(dataDir)}' $HOME/.key`, { homeVolume: 'home-p' }));
    expect((await exitOf('plant')).exitCode).toBe(0);

    // Act
    const attachments: TaskAttachments = { secrets: [{ owner: 'alice', name: 'key', as: 'file', path: '/home/jovyan/.key' }] };
    await driver.launch(spec('victim', 'true', { attachments, homeVolume: 'home-p' }));
    const exit = await exitOf('victim');

    // Assess: the start fails; the admin token is what it was.
    expect(exit.reason).toMatch(/^could not start: writing .*\.key failed as the task's user/);
    expect(readFileSync(adminTokenPath(dataDir), 'utf8').trim()).toBe(ADMIN_TOKEN);
  });

  it("clones a repository, one owned by the person running Cassini included, as the task's user", async () => {
    const { dataDir, driver, exitOf } = await dataDirWithSandbox();
    const repository = join(dataDir, 'repository');
    mkdirSync(repository, { mode: 0o755 });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repository, env: { PATH: process.env.PATH, HOME: dataDir } });
    git('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(repository, 'VERSION'), '1\n');
    git('add', 'VERSION');
    git('commit', '--quiet', '-m', 'first');
    execFileSync('chmod', ['-R', 'a+rX', repository]);
    const attachments: TaskAttachments = { gitRepositories: [{ url: repository, path: '/home/jovyan/repo', onRestart: 'reclone' }] };
    await driver.launch(spec('clone', 'cat $HOME/repo/VERSION; stat -c %u $HOME/repo/VERSION; id -u', { attachments }));
    const exit = await exitOf('clone');
    const [version, owner, uid] = await stdout(driver, 'clone');
    expect(exit.exitCode, JSON.stringify(await output(driver, 'clone'))).toBe(0);
    expect(version).toBe('1');
    expect(owner).toBe(uid);
  });

  it("installs apt packages as root with the platform's environment, and the others as the task", async () => {
    // Prepare: stand-ins for the installers, first on the control plane's PATH
    const { dataDir, driver, exitOf } = await dataDirWithSandbox();
    const bin = join(dataDir, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    for (const installer of ['apt-get', 'pip']) writeFileSync(join(bin, installer), `#!/bin/sh\necho "${installer} as $(id -u), APT_CONFIG=\${APT_CONFIG:-unset}"\n`, { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      // Act: the task's own environment tries to steer what root runs
      await driver.launch(spec('packages', 'id -u', { attachments: { extraPackages: { apt: ['curl'], pip: ['requests'] } }, environment: { APT_CONFIG: '/home/jovyan/evil.conf' } }));
      const exit = await exitOf('packages');

      // Assess
      const [apt, pip, uid] = await stdout(driver, 'packages');
      expect(exit.exitCode).toBe(0);
      expect(apt).toBe('apt-get as 0, APT_CONFIG=unset');
      expect(pip).toBe(`pip as ${uid}, APT_CONFIG=/home/jovyan/evil.conf`);
      expect(Number(uid)).toBeGreaterThan(0);

      // And an option passed as a package name, which would make root's apt-get run a command, is refused before anything runs
      await driver.launch(spec('apt-option', 'true', { attachments: { extraPackages: { apt: ['-o', 'APT::Update::Pre-Invoke::=touch /tmp/owned', 'curl'] } } }));
      expect((await exitOf('apt-option')).reason).toBe(
        'could not start: extra_packages.apt: "-o", "APT::Update::Pre-Invoke::=touch /tmp/owned" is not a Debian package name (lower-case letters, digits, \'+\', \'-\', \'.\', optionally :arch, =version or /release)',
      );
      expect(await stdout(driver, 'apt-option')).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('refuses to start when tasks could not reach their directories, naming the one to fix', () => {
    const closed = mkdtempSync(join(tmpdir(), 'task-sandbox-closed-'));
    fixtures.removeAfter(closed);
    const { sandbox } = taskSandboxFromEnvironment(process.env);
    expect(() => newDriver(join(closed, 'data'), new LocalSecretStore({ dir: join(closed, 'secrets') }), sandbox)).toThrow(`${closed} does not let others search it (mode 0700)`);
  });
});

function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('task sandbox settings', () => {
  it('runs tasks as the control plane user when it is not root, and says what they can read', () => {
    const choice = taskSandboxFromEnvironment({}, 1000);
    expect(choice.sandbox).toBeUndefined();
    expect(choice.notice).toMatch(/can read whatever this user can, including the data directory/);
  });

  it('refuses a malformed or overlapping uid range, naming the variable', () => {
    expect(() => taskSandboxFromEnvironment({ CASSINI_TASK_UIDS: '5-2' }, 0)).toThrow(/CASSINI_TASK_UIDS="5-2" is not a range of ids/);
    expect(() => taskSandboxFromEnvironment({ CASSINI_TASK_UIDS: '0-10' }, 0)).toThrow(/CASSINI_TASK_UIDS/);
    expect(() => taskSandboxFromEnvironment({ CASSINI_TASK_UIDS: '100-200', CASSINI_FOLDER_GIDS: '150-300' }, 0)).toThrow(/overlap/);
  });

  it('looks for a free uid from where it was told, wrapping round to the start of the range', async () => {
    const sandbox = new TaskSandbox({ setprivPath: '/usr/bin/setpriv', uids: { first: 10, last: 14 }, folderGids: { first: 20, last: 24 }, searchFrom: { uid: 13, gid: 20 } });
    const place = { volumesDir: join(tmpdir(), 'cassini-no-volumes-here'), folders: [] };
    const uids = [];
    for (const task of ['a', 'b', 'c']) uids.push((await sandbox.claimUser(task, place)).uid);
    expect(uids).toEqual([13, 14, 10]);
  });

  it('starts two control planes of one machine at different places of the range, so their first tasks do not share a uid (the end of one would kill the other)', async () => {
    const place = { volumesDir: join(tmpdir(), 'cassini-no-volumes-here'), folders: [] };
    const first = (sandbox: TaskSandbox) => sandbox.claimUser('t', place).then((user) => user.uid);
    const options = { setprivPath: '/usr/bin/setpriv', uids: DEFAULT_TASK_UIDS, folderGids: { first: 1, last: 999 } };
    // One chance in a million of the same draw.
    expect(await first(new TaskSandbox(options))).not.toBe(await first(new TaskSandbox(options)));
  });

  it('finds no process for a uid nobody runs as', () => {
    expect(processesOfUser(DEFAULT_TASK_UIDS.last)).toEqual([]);
  });
});
