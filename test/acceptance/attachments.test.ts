/**
 * Attachments over HTTP against `npm start` (issue 5, local mode): a secret reaches a job as an
 * environment variable and as a file while no API response, log or stored event holds its value;
 * git repositories arrive at the pinned tag, commit and branch; a file one job writes to a shared
 * folder another reads; a start script's exports reach the command; config files get their mode;
 * and SATURN_TOKEN acts as the owner from inside a job and is revoked once the run ended.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { LocalServer, type Json } from './support/local-server.ts';
import { applyJob, runReaches, startRun, taskHome, taskLog, tasksExited } from './support/job-runs.ts';

const SECRET = `s3cret-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
const OWNER = 'ann';

let server: LocalServer;
/** Every response body the tests saw: none may hold the secret. */
const responses: string[] = [];

async function api(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; json: Json; text: string }> {
  const response = await server.api(method, path, body, {}, token);
  responses.push(response.text);
  return response;
}

/** Runs the job once and returns the finished run (with its task) and its stdout. */
async function runOnce(jobId: string): Promise<{ run: Json; stdout: string[]; system: string[] }> {
  const started = await startRun(server, jobId);
  const run = await runReaches(server, jobId, started.id);
  await tasksExited(server, jobId, run.id);
  const pod = run.tasks[0].name;
  return { run, stdout: await taskLog(server, jobId, pod), system: await taskLog(server, jobId, pod, 'system') };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  server = await LocalServer.start();
  const created = await api('POST', '/api/users', { username: OWNER });
  expect(created.status, created.text).toBe(201);
}, 90_000);

afterAll(async () => {
  await server?.dispose();
});

describe('attachments in local mode', () => {
  it('gives a job a secret as an environment variable and as a file of mode 0600', async () => {
    // Prepare
    const put = await api('PUT', '/api/secrets/db-password', { value: SECRET, owner: OWNER });
    expect(put.status, put.text).toBe(201);
    const jobId = await applyJob(server, {
      name: 'uses-secret',
      owner: OWNER,
      command: 'printf %s "$DB_PASSWORD" | sha256sum | cut -c1-64; sha256sum < .secrets/db | cut -c1-64; stat -c %a .secrets/db',
      secrets: [
        { name: 'db-password', attachment_type: 'environment_variable', location: 'DB_PASSWORD' },
        { name: 'db-password', attachment_type: 'file', location: '/home/jovyan/.secrets/db' },
      ],
    });

    // Act
    const { run, stdout, system } = await runOnce(jobId);

    // Assess: the task saw the value (by its hash: the log must not hold it)
    const hash = createHash('sha256').update(SECRET).digest('hex');
    expect(run.status, JSON.stringify({ run, system })).toBe('succeeded');
    expect(stdout).toEqual([hash, hash, '600']);
    expect(system).toContain('secret ann/db-password: environment variable DB_PASSWORD');
  });

  it('clones git repositories at the pinned tag, commit and branch before the command starts', async () => {
    // Prepare: a real repository: main (first commit tagged v1, then second) and a branch feature
    const origin = join(server.dataDir, '..', `origin-${Date.now()}`, 'tools');
    mkdirSync(origin, { recursive: true });
    try {
      git(origin, 'init', '--quiet');
      writeFileSync(join(origin, 'VERSION'), 'first\n');
      git(origin, 'add', 'VERSION');
      git(origin, 'commit', '--quiet', '-m', 'first');
      const first = git(origin, 'rev-parse', 'HEAD');
      git(origin, 'tag', 'v1');
      writeFileSync(join(origin, 'VERSION'), 'second\n');
      git(origin, 'commit', '--quiet', '-am', 'second');
      git(origin, 'checkout', '--quiet', '-b', 'feature');
      writeFileSync(join(origin, 'VERSION'), 'feature\n');
      git(origin, 'commit', '--quiet', '-am', 'feature');
      git(origin, 'checkout', '--quiet', 'main');
      const jobId = await applyJob(server, {
        name: 'uses-git',
        owner: OWNER,
        command: 'cat workspace/tools/VERSION tag/VERSION commit/VERSION branch/VERSION; git -C commit rev-parse HEAD',
        git_repositories: [
          { url: origin },
          { url: origin, path: '/home/jovyan/tag', reference: 'v1', reference_type: 'tag' },
          { url: origin, path: '/home/jovyan/commit', reference: first, reference_type: 'commit' },
          { url: origin, path: '/home/jovyan/branch', reference: 'feature', reference_type: 'branch' },
        ],
      });

      // Act
      const { run, stdout } = await runOnce(jobId);

      // Assess
      expect(run.status).toBe('succeeded');
      expect(stdout).toEqual(['second', 'first', 'first', 'feature', first]);

      // And a reference that does not exist fails the run before its command, with git's words
      const broken = await applyJob(server, { name: 'uses-git-broken', owner: OWNER, command: 'echo ran', git_repositories: [{ url: origin, reference: 'nope', reference_type: 'branch' }] });
      const failed = await runOnce(broken);
      expect(failed.run.status).toBe('failed');
      expect(failed.run.reason).toMatch(/git clone of .* at branch nope failed: .*nope/);
      expect(failed.stdout).toEqual([]);
    } finally {
      rmSync(join(origin, '..'), { recursive: true, force: true });
    }
  });

  it('shares a folder between jobs: what one writes, the next reads', async () => {
    // Prepare
    const put = await api('PUT', '/api/shared_folders/exchange', { owner: OWNER });
    expect(put.status, put.text).toBe(201);
    const note = `note-${Date.now()}`;
    const writer = await applyJob(server, { name: 'writer', owner: OWNER, command: `echo ${note} > shared/ann/exchange/note`, shared_folders: [{ name: 'exchange' }] });
    const reader = await applyJob(server, { name: 'reader', owner: OWNER, command: 'cat "$HOME/data/note"', shared_folders: [{ name: 'exchange', path: '/home/jovyan/data' }] });

    // Act
    const wrote = await runOnce(writer);
    const read = await runOnce(reader);

    // Assess
    expect(wrote.run.status).toBe('succeeded');
    expect(read.stdout).toEqual([note]);
    expect(readFileSync(join(server.dataDir, 'shared-folders', OWNER, 'exchange', 'note'), 'utf8')).toBe(`${note}\n`);
  });

  it("runs the start script in the command's shell, after the config files are written with their mode", async () => {
    // Prepare
    const jobId = await applyJob(server, {
      name: 'uses-start-script',
      owner: OWNER,
      start_script: 'export GREETING="$(cat .config/greeting)"',
      config_files: { '/home/jovyan/.config/greeting': { content: 'hello from a config file', mode: '0600' } },
      command: 'echo "$GREETING"; stat -c %a .config/greeting',
    });

    // Act
    const { run, stdout } = await runOnce(jobId);

    // Assess
    expect(run.status).toBe('succeeded');
    expect(stdout).toEqual(['hello from a config file', '600']);
  });

  it('gives a job SATURN_TOKEN acting as its owner, and revokes it once the run ended', async () => {
    // Prepare: the job calls the API with its token, and leaves the token in its home for this test
    const script = "fetch(process.env.SATURN_BASE_URL + '/api/user', { headers: { authorization: 'Bearer ' + process.env.SATURN_TOKEN } }).then((r) => r.json()).then((u) => console.log(u.username))";
    const jobId = await applyJob(server, { name: 'uses-token', owner: OWNER, command: `printf %s "$SATURN_TOKEN" > "$HOME/token"; node -e "${script}"` });

    // Act
    const { run, stdout } = await runOnce(jobId);

    // Assess
    expect(run.status).toBe('succeeded');
    expect(stdout).toEqual([OWNER]);
    const token = readFileSync(join(taskHome(server, run.tasks[0].name), 'token'), 'utf8');
    expect(token).not.toBe('');
    expect((await server.api('GET', '/api/user', undefined, {}, token)).status).toBe(401);
    const record = readFileSync(join(server.dataDir, 'tasks', run.tasks[0].name, 'task.json'), 'utf8');
    expect(record).not.toContain(token);
    expect(JSON.parse(record).platformTokenId).toMatch(/\S/);
  });

  it('never shows the secret: not in API responses, task records, logs, nor any stored event', async () => {
    // Prepare: read back everything the API offers about the jobs and the secret
    const recipes = await api('GET', '/api/recipes?type=job&page_size=1000');
    for (const recipe of recipes.json.recipes as Json[]) {
      const id = recipe.state.id;
      await api('GET', `/api/jobs/${id}/events`);
      const runs = await api('GET', `/api/jobs/${id}/runs`);
      for (const run of runs.json.runs as Json[]) {
        await api('GET', `/api/jobs/${id}/runs/${run.id}`);
        for (const task of run.tasks as Json[]) await api('GET', `/api/jobs/${id}/logs?pod_name=${encodeURIComponent(task.name)}`);
      }
      await api('GET', `/api/jobs/${id}/history`);
    }
    await api('GET', '/api/secrets?owner=ann');
    await api('GET', '/api/secrets/db-password?owner_name=ann');
    const taskFiles = readdirSync(join(server.dataDir, 'tasks')).flatMap((task) =>
      ['task.json', 'exit.json', 'log.ndjson'].map((f) => join(server.dataDir, 'tasks', task, f)).filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8')),
    );

    // Act: every item of the events table, read from the data directory once the server stopped
    await server.stop('SIGTERM');
    const db = await startEmbeddedDynamo({ path: join(server.dataDir, 'dynamodb') });
    const items: unknown[] = [];
    try {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.client.send(new ScanCommand({ TableName: db.tables.events, ...(start ? { ExclusiveStartKey: start as never } : {}) }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
    } finally {
      await db.close();
    }

    // Assess
    expect(recipes.json.recipes.length).toBeGreaterThanOrEqual(6);
    expect(items.length).toBeGreaterThan(20);
    expect(JSON.stringify(items)).toContain('db-password');
    expect(JSON.stringify(items)).not.toContain(SECRET);
    expect(responses.length).toBeGreaterThan(20);
    for (const text of responses) expect(text).not.toContain(SECRET);
    for (const text of taskFiles) expect(text).not.toContain(SECRET);
  }, 60_000);
});
