import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { driverFixtures } from './driver-fixtures.ts';
import { exitsOf } from './task-exits.ts';
import { LocalProcessDriver, type LocalProcessDriverOptions } from '../../../../infra/local/process-driver/local-process-driver.ts';
import { LocalSecretStore } from '../../../../infra/local/local-secret-store.ts';
import { NotFoundError } from '../../../../shared/domain/errors.ts';
import type { LogLine, TaskAttachments, TaskExit, TaskSpec } from '../../../../shared/ports/task-driver.ts';
import type { TaskTokens } from '../../../../shared/ports/task-tokens.ts';
import { waitUntil } from '../../../support/wait-until.ts';

const SECRET = 'hunter2-s3cr3t-value';
const TOKEN = 'cassini-token-never-to-be-recorded';

const savedPath = process.env.PATH;

afterEach(() => {
  process.env.PATH = savedPath;
});

const fixtures = driverFixtures('task-attachments');
const newRoot = fixtures.newDir;

/** Records what the driver asks of the token port; `owners` are the users it knows. */
class RecordingTokens implements TaskTokens {
  readonly issued: Array<{ owner: string; taskId: string }> = [];
  readonly revoked: string[] = [];
  constructor(private readonly owners: string[] = ['alice']) {}
  async issue(owner: string, taskId: string) {
    if (!this.owners.includes(owner)) throw new NotFoundError(`No user named ${owner}.`);
    this.issued.push({ owner, taskId });
    return { token: TOKEN, id: `token-of-${taskId}` };
  }
  async revoke(id: string) {
    this.revoked.push(id);
  }
}

interface Harness {
  driver: LocalProcessDriver;
  root: string;
  tokens: RecordingTokens;
  secrets: LocalSecretStore;
  exitOf(taskId: string): Promise<TaskExit>;
}

function newDriver(options: Partial<LocalProcessDriverOptions> = {}, root = newRoot()): Harness {
  const secrets = new LocalSecretStore({ dir: join(root, 'secrets') });
  const tokens = (options.tokens as RecordingTokens | undefined) ?? new RecordingTokens();
  const driver = new LocalProcessDriver({ rootDir: join(root, 'tasks'), foldersDir: join(root, 'shared-folders'), secrets, tokens, stopGraceMs: 500, ...options });
  fixtures.closeAfter(driver);
  const exitOf = exitsOf(driver);
  return { driver, root, tokens, secrets, exitOf };
}

function spec(taskId: string, command: string, attachments: TaskAttachments, more: Partial<TaskSpec> = {}): TaskSpec {
  return { taskId, group: 'run-1', command, environment: {}, labels: { owner: 'alice' }, attachments, ...more };
}

async function logOf(driver: LocalProcessDriver, taskId: string): Promise<LogLine[]> {
  return (await driver.logs(taskId, { limit: 10_000 })).lines;
}

const stdout = async (driver: LocalProcessDriver, taskId: string) => (await logOf(driver, taskId)).filter((l) => l.stream === 'stdout').map((l) => l.message);
const system = async (driver: LocalProcessDriver, taskId: string) => (await logOf(driver, taskId)).filter((l) => l.stream === 'system').map((l) => l.message);
const home = (h: Harness, taskId: string) => join(h.root, 'tasks', taskId, 'home', 'jovyan');

/** Everything the driver wrote for a task, to scan for values that must never be recorded. */
function taskFiles(h: Harness, taskId: string): string {
  const dir = join(h.root, 'tasks', taskId);
  return ['task.json', 'exit.json', 'log.ndjson'].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '')).join('\n');
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();
}

/**
 * A real repository: `main` with two commits (the first tagged v1), and a branch `feature`
 * with a commit of its own. VERSION says where a checkout stands.
 */
function makeRepository(root: string): { url: string; first: string; second: string } {
  const url = join(root, 'origin', 'tools.git');
  mkdirSync(url, { recursive: true });
  git(url, 'init', '--quiet');
  writeFileSync(join(url, 'VERSION'), 'first\n');
  git(url, 'add', 'VERSION');
  git(url, 'commit', '--quiet', '-m', 'first');
  const first = git(url, 'rev-parse', 'HEAD');
  git(url, 'tag', 'v1');
  writeFileSync(join(url, 'VERSION'), 'second\n');
  git(url, 'commit', '--quiet', '-am', 'second');
  const second = git(url, 'rev-parse', 'HEAD');
  git(url, 'checkout', '--quiet', '-b', 'feature');
  writeFileSync(join(url, 'VERSION'), 'feature\n');
  git(url, 'commit', '--quiet', '-am', 'feature');
  git(url, 'checkout', '--quiet', 'main');
  return { url, first, second };
}

/** Alive and not a zombie (an orphan stays one where PID 1 does not reap). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** A directory of stand-in commands put first on the PATH the driver passes to tasks and git. */
function fakeCommands(root: string, scripts: Record<string, string>): void {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  process.env.PATH = `${bin}:${savedPath}`;
}

describe('LocalProcessDriver attachments', () => {
  describe('secrets', () => {
    it('gives a secret as an environment variable and as a file of mode 0600, and records neither value', async () => {
      // Prepare
      const h = newDriver();
      await h.secrets.put({ owner: 'alice', name: 'db' }, SECRET);
      const attachments: TaskAttachments = {
        secrets: [
          { owner: 'alice', name: 'db', as: 'environment_variable', variable: 'DB_PASSWORD' },
          { owner: 'alice', name: 'db', as: 'file', path: '/home/jovyan/.secrets/db' },
        ],
      };

      // Act
      await h.driver.launch(spec('secrets-1', 'echo "env=$DB_PASSWORD"; echo "file=$(cat $HOME/.secrets/db)"', attachments));
      const exit = await h.exitOf('secrets-1');

      // Assess
      expect(exit.exitCode).toBe(0);
      expect(await stdout(h.driver, 'secrets-1')).toEqual([`env=${SECRET}`, `file=${SECRET}`]);
      expect(statSync(join(home(h, 'secrets-1'), '.secrets', 'db')).mode & 0o777).toBe(0o600);
      expect(await system(h.driver, 'secrets-1')).toEqual(
        expect.arrayContaining(['secret alice/db: environment variable DB_PASSWORD', 'secret alice/db: file /home/jovyan/.secrets/db (mode 0600)']),
      );
      const record = JSON.parse(readFileSync(join(h.root, 'tasks', 'secrets-1', 'task.json'), 'utf8'));
      expect(record.environmentNames).toContain('DB_PASSWORD');
      // The command printed it, so the log holds it once per echo; nothing else the driver wrote does.
      expect(taskFiles(h, 'secrets-1').split(SECRET).length - 1).toBe(2);
    });

    it('fails the start, naming the secret, when its value is missing; the command never runs', async () => {
      // Prepare
      const h = newDriver();
      const attachments: TaskAttachments = { secrets: [{ owner: 'alice', name: 'gone', as: 'environment_variable', variable: 'X' }] };

      // Act
      await h.driver.launch(spec('secrets-2', 'touch "$HOME/ran"', attachments));
      const exit = await h.exitOf('secrets-2');

      // Assess
      expect(exit).toMatchObject({ exitCode: null, reason: expect.stringMatching(/^could not start: the secret alice\/gone does not exist/) });
      expect(existsSync(join(home(h, 'secrets-2'), 'ran'))).toBe(false);
      expect(h.driver.running()).toEqual([]);
    });
  });

  describe('git repositories', () => {
    it('clones at the pinned tag, commit and branch, and at the default branch without a reference', async () => {
      // Prepare
      const h = newDriver();
      const repo = makeRepository(h.root);
      const attachments: TaskAttachments = {
        gitRepositories: [
          { url: repo.url, path: '/home/jovyan/workspace/tools', onRestart: 'preserve changes' },
          { url: repo.url, path: 'at-tag', reference: 'v1', referenceType: 'tag', onRestart: 'preserve changes' },
          { url: repo.url, path: 'at-commit', reference: repo.first, referenceType: 'commit', onRestart: 'preserve changes' },
          { url: repo.url, path: 'at-branch', reference: 'feature', referenceType: 'branch', onRestart: 'preserve changes' },
        ],
      };

      // Act
      await h.driver.launch(spec('git-1', 'cat workspace/tools/VERSION at-tag/VERSION at-commit/VERSION at-branch/VERSION; git -C at-commit rev-parse HEAD', attachments));
      const exit = await h.exitOf('git-1');

      // Assess
      expect(exit.exitCode, JSON.stringify(await logOf(h.driver, 'git-1'))).toBe(0);
      expect(await stdout(h.driver, 'git-1')).toEqual(['second', 'first', 'first', 'feature', repo.first]);
      expect(await system(h.driver, 'git-1')).toContain(`git ${repo.url}: cloning at tag v1 into at-tag`);
    });

    it("fails the start with git's error in the log and the reason when a clone fails; the command never runs", async () => {
      // Prepare
      const h = newDriver();
      const repo = makeRepository(h.root);
      const attachments: TaskAttachments = { gitRepositories: [{ url: repo.url, path: 'x', reference: 'no-such-branch', referenceType: 'branch', onRestart: 'reclone' }] };

      // Act
      await h.driver.launch(spec('git-2', 'touch "$HOME/ran"', attachments));
      const exit = await h.exitOf('git-2');

      // Assess
      expect(exit.exitCode).toBeNull();
      expect(exit.reason).toMatch(/^could not start: git clone of .* at branch no-such-branch failed: .*no-such-branch/);
      expect((await logOf(h.driver, 'git-2')).some((l) => l.stream === 'stderr' && /no-such-branch/.test(l.message))).toBe(true);
      expect(existsSync(join(home(h, 'git-2'), 'ran'))).toBe(false);
    });

    it('keeps a checkout in a persistent home (preserve changes), and clones afresh on reclone', async () => {
      // Prepare
      const h = newDriver();
      const repo = makeRepository(h.root);
      const checkout = (onRestart: 'preserve changes' | 'reclone'): TaskAttachments => ({ gitRepositories: [{ url: repo.url, path: 'tools', onRestart }] });
      await h.driver.launch(spec('home-1', 'echo changed > tools/VERSION', checkout('preserve changes'), { homeVolume: 'ws' }));
      await h.exitOf('home-1');

      // Act
      await h.driver.launch(spec('home-2', 'cat tools/VERSION', checkout('preserve changes'), { homeVolume: 'ws' }));
      await h.exitOf('home-2');
      await h.driver.launch(spec('home-3', 'cat tools/VERSION', checkout('reclone'), { homeVolume: 'ws' }));
      await h.exitOf('home-3');

      // Assess
      expect(await stdout(h.driver, 'home-2')).toEqual(['changed']);
      expect(await stdout(h.driver, 'home-3')).toEqual(['second']);
    });

    it('runs git without the host GIT_* environment, never prompting, and clones over ssh with a deploy key file of mode 0600 that is removed after', async () => {
      // Prepare: an `ssh` that records how it was called and serves the clone from a local repository
      const h = newDriver();
      const repo = makeRepository(h.root);
      const seen = join(h.root, 'ssh-seen');
      fakeCommands(h.root, {
        ssh: [
          `key=""; while [ $# -gt 0 ]; do case "$1" in -i) key="$2"; shift 2;; -o) echo "option $2" >> ${seen}; shift 2;; *) break;; esac; done`,
          `echo "host $1" >> ${seen}; echo "key-mode $(stat -c %a "$key")" >> ${seen}; echo "key $(cat "$key")" >> ${seen}`,
          `echo "prompt $GIT_TERMINAL_PROMPT leak \${GIT_DIR:-none}" >> ${seen}`,
          `shift; exec sh -c "$(echo "$*" | sed "s|'org/tools.git'|'${repo.url}'|")"`,
        ].join('\n'),
      });
      await h.secrets.put({ owner: 'alice', name: 'deploy' }, 'PRIVATE KEY');
      process.env.GIT_DIR = '/nonexistent';
      const attachments: TaskAttachments = {
        gitRepositories: [{ url: 'git@git.example.com:org/tools.git', path: 'tools', onRestart: 'preserve changes', deployKey: { owner: 'alice', name: 'deploy' } }],
      };

      // Act
      try {
        await h.driver.launch(spec('ssh-1', 'cat tools/VERSION', attachments));
      } finally {
        delete process.env.GIT_DIR;
      }
      const exit = await h.exitOf('ssh-1');

      // Assess
      expect(exit.exitCode, JSON.stringify(await logOf(h.driver, 'ssh-1'))).toBe(0);
      expect(await stdout(h.driver, 'ssh-1')).toEqual(['second']);
      const calls = readFileSync(seen, 'utf8');
      expect(calls).toContain('option IdentitiesOnly=yes');
      expect(calls).toContain('option StrictHostKeyChecking=accept-new');
      expect(calls).toContain('host git@git.example.com');
      expect(calls).toContain('key-mode 600');
      expect(calls).toContain('key PRIVATE KEY');
      expect(calls).toContain('prompt 0 leak none');
      expect(execFileSync('ls', ['-a', join(h.root, 'tasks', 'ssh-1')], { encoding: 'utf8' })).not.toMatch(/deploy-key/);
      expect(taskFiles(h, 'ssh-1')).not.toContain('PRIVATE KEY');
    });
  });

  describe('shared folders, config files and packages', () => {
    it('links one directory per shared folder into every task that attaches it, at its default path', async () => {
      // Prepare
      const h = newDriver();
      const folder = { owner: 'alice', name: 'data', path: '/home/jovyan/shared/alice/data', readOnly: false };

      // Act
      await h.driver.launch(spec('writer', 'echo hello > shared/alice/data/note', { sharedFolders: [folder] }));
      await h.exitOf('writer');
      await h.driver.launch(spec('reader', 'cat shared/alice/data/note', { sharedFolders: [{ ...folder, readOnly: true }] }));
      await h.exitOf('reader');

      // Assess
      expect(await stdout(h.driver, 'reader')).toEqual(['hello']);
      expect(readFileSync(join(h.root, 'shared-folders', 'alice', 'data', 'note'), 'utf8')).toBe('hello\n');
      const link = join(home(h, 'reader'), 'shared', 'alice', 'data');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(join(h.root, 'shared-folders', 'alice', 'data'));
      expect(await system(h.driver, 'reader')).toContain('shared folder alice/data: /home/jovyan/shared/alice/data, read-only (advisory locally: the link cannot be made read-only)');
    });

    it('writes config files with their modes before the start script, whose exports reach the command', async () => {
      // Prepare
      const h = newDriver();
      const attachments: TaskAttachments = {
        configFiles: [
          { path: '/home/jovyan/.config/app.toml', content: 'level = "debug"\n', mode: 0o640 },
          { path: 'bin/hello', content: '#!/bin/sh\necho "hello $GREETING"\n', mode: 0o755 },
        ],
      };

      // Act
      await h.driver.launch(spec('files-1', 'cat .config/app.toml; ./bin/hello', attachments, { startScript: 'export GREETING="from the start script"' }));
      const exit = await h.exitOf('files-1');

      // Assess
      expect(exit.exitCode).toBe(0);
      expect(await stdout(h.driver, 'files-1')).toEqual(['level = "debug"', 'hello from the start script']);
      expect(statSync(join(home(h, 'files-1'), '.config', 'app.toml')).mode & 0o777).toBe(0o640);
      expect(statSync(join(home(h, 'files-1'), 'bin', 'hello')).mode & 0o777).toBe(0o755);
    });

    it('installs extra packages in order before the start script, with their output in the log, and fails the start when one fails', async () => {
      // Prepare
      const h = newDriver();
      fakeCommands(h.root, {
        'apt-get': 'echo "apt-get $*"',
        conda: 'echo "conda $*"',
        pip: 'echo "pip $*"; [ "$2" != broken ]',
        Rscript: 'echo "Rscript $*"',
      });
      const packages = { apt: ['curl'], conda: ['numpy'], condaChannels: ['conda-forge'], pip: ['requests==2.32'], cran: ['data.table'] };

      // Act
      await h.driver.launch(spec('pkgs-1', 'echo command', { extraPackages: packages }, { startScript: 'echo start-script' }));
      const ok = await h.exitOf('pkgs-1');
      await h.driver.launch(spec('pkgs-2', 'echo command', { extraPackages: { pip: ['broken'] } }));
      const failed = await h.exitOf('pkgs-2');

      // Assess
      expect(ok.exitCode).toBe(0);
      expect(await stdout(h.driver, 'pkgs-1')).toEqual([
        'apt-get install -y curl',
        'conda install -y -c conda-forge numpy',
        'pip install requests==2.32',
        'Rscript -e install.packages(c("data.table"), repos = "https://cloud.r-project.org")',
        'start-script',
        'command',
      ]);
      expect(failed).toMatchObject({ exitCode: null, reason: 'could not start: installing the pip packages failed (exit code 1); see the task\'s log' });
      expect(await stdout(h.driver, 'pkgs-2')).toEqual(['pip install broken']);
    });

    it('stops a task while it is being prepared: the step is killed and the command never runs', async () => {
      // Prepare
      const h = newDriver();
      fakeCommands(h.root, { pip: `echo $$ > ${join(h.root, 'pip-pid')}; exec sleep 30` });
      const launched = h.driver.launch(spec('slow-1', 'touch "$HOME/ran"', { extraPackages: { pip: ['big'] } }));
      const pidFile = join(h.root, 'pip-pid');
      await waitUntil('the pip step to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', (started) => started);

      // Act
      await h.driver.stop('slow-1', 'stopped by alice');
      await launched;

      // Assess
      expect(await h.exitOf('slow-1')).toMatchObject({ exitCode: null, reason: 'stopped by alice' });
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(isRunning(pid)).toBe(false);
      expect(existsSync(join(home(h, 'slow-1'), 'ran'))).toBe(false);
    });
  });

  describe('SATURN_TOKEN', () => {
    it("gives the task a token acting as its owner, records only its id, and revokes it before the end is reported", async () => {
      // Prepare
      const h = newDriver();
      let revokedAtExit: string[] = [];
      h.driver.onExit(() => (revokedAtExit = [...h.tokens.revoked]));

      // Act
      await h.driver.launch(spec('token-1', 'echo "token=$SATURN_TOKEN"', { platformTokenFor: 'alice' }));
      await h.exitOf('token-1');

      // Assess
      expect(await stdout(h.driver, 'token-1')).toEqual([`token=${TOKEN}`]);
      expect(h.tokens.issued).toEqual([{ owner: 'alice', taskId: 'token-1' }]);
      expect(revokedAtExit).toEqual(['token-of-token-1']);
      const record = JSON.parse(readFileSync(join(h.root, 'tasks', 'token-1', 'task.json'), 'utf8'));
      expect(record.platformTokenId).toBe('token-of-token-1');
      expect(readFileSync(join(h.root, 'tasks', 'token-1', 'task.json'), 'utf8')).not.toContain(TOKEN);
      expect(await system(h.driver, 'token-1')).not.toEqual(expect.arrayContaining([expect.stringContaining(TOKEN)]));
    });

    it('gives no token, and says why, when the owner is a group', async () => {
      // Prepare
      const h = newDriver();

      // Act
      await h.driver.launch(spec('token-2', 'echo "token=${SATURN_TOKEN:-none}"', { platformTokenFor: 'data-team' }));
      await h.exitOf('token-2');

      // Assess
      expect(await stdout(h.driver, 'token-2')).toEqual(['token=none']);
      expect(await system(h.driver, 'token-2')).toContain('no SATURN_TOKEN: data-team is not a user, and a token acts as a user');
    });

    it('revokes the token of a task lost in a crash when a later driver recovers it', async () => {
      // Prepare: the first driver is dropped, not closed, as in a crash
      const root = newRoot();
      const first = newDriver({}, root);
      await first.driver.launch(spec('token-3', 'sleep 30', { platformTokenFor: 'alice' }));
      const tokens = new RecordingTokens();
      const second = newDriver({ tokens }, root);

      // Act
      await second.driver.recover();

      // Assess
      expect(tokens.revoked).toEqual(['token-of-token-3']);
    });
  });
});
