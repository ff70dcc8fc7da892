/**
 * Issue 11 item 9 against `npm start` run as root, as CI runs it: a job cannot read the control
 * plane's files (the admin token, dynalite's files, the secret store) or another user's task
 * home; it runs as a user of its own. Skipped, and saying why, when the tests do not run as root:
 * then tasks run as the control plane's user and can read all of it (README, "Isolation").
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer } from './support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';
import { applyJob, runReaches, startRun, taskHome, taskLog, tasksExited } from './support/job-runs.ts';

const IS_ROOT = process.getuid?.() === 0;
const SECRET = 'ann-secret-value-no-job-of-bob-may-read';

let server: LocalServer;

/** Any regular file under `dir`, found from the control plane's side. */
function someFileUnder(dir: string): string {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isFile()) return path;
    if (statSync(path).isDirectory()) {
      const found = someFileUnder(path);
      if (found !== '') return found;
    }
  }
  return '';
}

describe.skipIf(!IS_ROOT)('a job of a control plane running as root (skipped: these tests need root, as CI runs them)', () => {
  beforeAll(async () => {
    server = await LocalServer.start();
    for (const username of ['ann', 'bob']) expect((await server.api('POST', '/api/users', { username })).status).toBe(201);
    expect((await server.api('PUT', '/api/secrets/key', { value: SECRET, owner: 'ann' })).status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await server?.dispose();
  });

  it("gets 'Permission denied' reading the admin token, the dynalite files, the secret store and another user's task home", async () => {
    // Prepare: ann's job keeps a diary in its home and runs on.
    const annJob = await applyJob(server, { name: 'diarist', owner: 'ann', command: 'echo dear diary > $HOME/diary; sleep 30' });
    const annRun = await startRun(server, annJob);
    const annTask = (await waitUntil('ann\'s task runs', () => server.api('GET', `/api/jobs/${annJob}/runs/${annRun.id}`), (r) => (r.json.run?.tasks ?? []).length > 0)).json.run.tasks[0].name as string;
    const diary = join(taskHome(server, annTask), 'diary');
    await waitUntil('ann\'s diary is written', async () => existsSync(diary), (written) => written);
    const targets = [join(server.dataDir, 'admin-token'), someFileUnder(join(server.dataDir, 'dynamodb')), someFileUnder(join(server.dataDir, 'secrets')), diary];
    for (const target of targets) expect(target, 'the control plane sees each file the job will try').not.toBe('');

    // Act: bob's job tries each.
    const reads = targets.map((target) => `cat '${target}' 2>&1`).join('; ');
    const bobJob = await applyJob(server, { name: 'snoop', owner: 'bob', command: `${reads}; id -u` });
    const bobRun = await runReaches(server, bobJob, (await startRun(server, bobJob)).id);
    await tasksExited(server, bobJob, bobRun.id);
    const output = await taskLog(server, bobJob, bobRun.tasks[0].name);

    // Assess
    expect(bobRun.status).toBe('succeeded');
    expect(output.slice(0, targets.length)).toEqual(targets.map((target) => `cat: ${target}: Permission denied`));
    expect(Number(output.at(-1))).toBeGreaterThan(0);
    expect(output.join('\n')).not.toContain(server.adminToken);
    expect(output.join('\n')).not.toContain(SECRET);
    expect(output.join('\n')).not.toContain('dear diary');
    await server.api('POST', `/api/jobs/${annJob}/stop/${annRun.id}`);
  });
});
