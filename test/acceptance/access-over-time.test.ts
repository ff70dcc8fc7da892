/**
 * Issue 19's attacks on access over time, over HTTP against `npm start`, as they were made.
 *
 * Attachments (item 1): alice shares a secret or a folder with the organisation, bob
 * attaches it, alice takes it back (and changes the secret's value, or deletes it and registers
 * it again). Bob's next run, his `start` with a `command` override, the restart of his
 * deployment and the replacement of its killed replica all fail with a reason that names the
 * attachment, and nothing reaches his processes.
 *
 * Names (item 11): bob cannot squat alice's default subdomain, by its spelling, its case, or a
 * dashed resource name of a user whose name ends like hers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type Json } from './support/local-server.ts';
import { runReaches } from './support/job-runs.ts';
import { waitUntil } from '../support/wait-until.ts';

import { signUpUsers, type ActAs } from './support/users.ts';

/** Answers with its pid and whether it holds the secret's new value. */
const SERVER_COMMAND = `node -e 'require("http").createServer((q, s) => s.end(JSON.stringify({ pid: process.pid, value: process.env.S ?? null }))).listen(process.env.PORT)'`;
// The periodic access re-check is off (a day): here the refusals at start, restart and launch are
// under test, and a re-check landing first would record its own reason (access-recheck.test.ts).
const TIMINGS = { CASSINI_HEALTH_GRACE_SECONDS: '6', CASSINI_PROBE_INTERVAL_MS: '200', CASSINI_RESTART_BACKOFF_MS: '100', CASSINI_ACCESS_RECHECK_SECONDS: '86400' };
const SETTLE_MS = 30_000;

let server: LocalServer;
let tokens: Record<string, string>;
let as: ActAs;

beforeAll(async () => {
  server = await LocalServer.start({ env: TIMINGS });
  ({ tokens, as } = await signUpUsers(server, ['alice', 'bob', 'ice', 'al-ice']));
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  await server?.dispose();
});

async function bobsJob(name: string, attach: Record<string, unknown>, command = 'true'): Promise<string> {
  return (await as('bob', 'PUT', '/api/recipes', { type: 'job', spec: { name, command, ...attach } }, 201)).state.id;
}

async function bobRuns(jobId: string, body: Record<string, unknown> = {}): Promise<Json> {
  const run = (await as('bob', 'POST', `/api/jobs/${jobId}/runs`, body, 202)).run;
  return runReaches(server, jobId, run.id);
}

const secretEnv = (name: string) => ({ secrets: [{ name, owner: 'alice', attachment_type: 'environment_variable', location: 'S' }] });

describe('access to attachments over time', () => {
  it("refuses bob's next run once alice switched her secret from org to owner and changed its value", async () => {
    // Prepare: while shared, bob's run gets the value
    await as('alice', 'PUT', '/api/secrets/shared-key', { value: 'first', access: 'org' }, 201);
    const job = await bobsJob('reads-key', secretEnv('shared-key'), 'test "$S" = first');
    expect((await bobRuns(job)).status).toBe('succeeded');
    await as('alice', 'PUT', '/api/secrets/shared-key', { value: 'second', access: 'owner' }, 200);

    // Act
    const run = await bobRuns(job);

    // Assess: failed with the attachment named, before any task
    expect(run.status).toBe('failed');
    expect(run.tasks).toEqual([]);
    expect(run.reason).toContain('bob may no longer use what the task attaches: spec.secrets[0].name: no secret named shared-key owned by alice that bob may use');
  });

  it('refuses a run once the secret was deleted and registered again under its name, not shared', async () => {
    // Prepare
    await as('alice', 'PUT', '/api/secrets/reborn', { value: 'old', access: 'org' }, 201);
    const job = await bobsJob('reads-reborn', secretEnv('reborn'));
    expect((await bobRuns(job)).status).toBe('succeeded');
    await as('alice', 'DELETE', '/api/secrets/reborn', undefined, 204);
    await as('alice', 'PUT', '/api/secrets/reborn', { value: 'new', access: 'owner' }, 201);

    // Act
    const run = await bobRuns(job);

    // Assess
    expect(run).toMatchObject({ status: 'failed', tasks: [] });
    expect(run.reason).toContain('spec.secrets[0].name: no secret named reborn owned by alice');
  });

  it("refuses bob's start with a command override once alice switched her folder from org to owner: nothing read or written", async () => {
    // Prepare
    await as('alice', 'PUT', '/api/shared_folders/team-data', { access: 'org' }, 201);
    const job = await bobsJob('uses-folder', { shared_folders: [{ name: 'team-data', owner: 'alice' }] });
    expect((await bobRuns(job)).status).toBe('succeeded');
    await as('alice', 'PUT', '/api/shared_folders/team-data', { access: 'owner' }, 200);

    // Act: Saturn's start, with a command that would write into the folder
    const started = await server.api('POST', `/api/jobs/${job}/start`, { command: 'echo bob > "$HOME/shared/alice/team-data/bob-was-here"' }, {}, tokens.bob);
    expect(started.status, started.text).toBe(200);
    const run = await runReaches(server, job, started.headers.location!.split('/').pop()!);

    // Assess
    expect(run).toMatchObject({ status: 'failed', tasks: [] });
    expect(run.reason).toContain('spec.shared_folders[0].name: no shared folder named team-data owned by alice that bob may use');
    expect(existsSync(join(server.dataDir, 'shared-folders', 'alice', 'team-data', 'bob-was-here'))).toBe(false);
  });

  describe("bob's deployment", () => {
    async function runningDeployment(name: string, secret: string): Promise<{ id: string; pid: number }> {
      await as('alice', 'PUT', `/api/secrets/${secret}`, { value: 'shared', access: 'org' }, 201);
      const id = (await as('bob', 'PUT', '/api/recipes', { type: 'deployment', spec: { name, command: SERVER_COMMAND, ...secretEnv(secret) } }, 201)).state.id;
      await as('bob', 'POST', `/api/deployments/${id}/start`, undefined, 200);
      await reaches(id, 'running');
      const reply = await server.api('GET', '/', undefined, { host: `${name}-bob.localhost:${server.port}` }, tokens.bob);
      expect(reply.json, reply.text).toMatchObject({ value: 'shared' });
      return { id, pid: reply.json.pid };
    }

    function reaches(id: string, status: string): Promise<Json> {
      return waitUntil(`deployment ${id} to be ${status}`, () => as('bob', 'GET', `/api/deployments/${id}`), (recipe) => recipe.state.status === status, SETTLE_MS);
    }

    it('is not restarted once alice took her secret back: its replica stops and the error names the secret', async () => {
      // Prepare
      const { id } = await runningDeployment('restarted', 'restart-key');
      await as('alice', 'PUT', '/api/secrets/restart-key', { value: 'taken back', access: 'owner' }, 200);

      // Act
      await as('bob', 'POST', `/api/deployments/${id}/restart`, undefined, 200);

      // Assess
      const failed = await reaches(id, 'error');
      expect(failed.state.reason).toContain('spec.secrets[0].name: no secret named restart-key owned by alice that bob may use');
      await waitUntil('no replica to run', () => as('bob', 'GET', `/api/deployments/${id}/runtimesummary`), (s) => s.pod_summaries.length === 0, SETTLE_MS);
    }, 90_000);

    it('gets no replacement for a killed replica once alice took her secret back', async () => {
      // Prepare
      const { id, pid } = await runningDeployment('replaced', 'replica-key');
      await as('alice', 'PUT', '/api/secrets/replica-key', { value: 'taken back', access: 'owner' }, 200);

      // Act
      process.kill(pid, 'SIGKILL');

      // Assess: every replacement is refused at launch, and the deployment gives up naming the secret
      const failed = await reaches(id, 'error');
      expect(failed.state.reason).toContain('no replica could be launched');
      expect(failed.state.reason).toContain('bob may no longer use what the task attaches: secret alice/replica-key');
    }, 90_000);
  });

  describe("alice's default subdomains", () => {
    const deploymentOf = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'deployment', spec: { name, command: SERVER_COMMAND, ...extra } });

    it('refuses bob `subdomain: "report-alice"` with 400 naming the field, however he spells it, and records nothing', async () => {
      // Act
      const squat = await server.api('PUT', '/api/recipes', deploymentOf('report', { subdomain: 'report-alice' }), {}, tokens.bob);
      const upper = await server.api('PUT', '/api/recipes', deploymentOf('report', { subdomain: 'Report-Alice' }), {}, tokens.bob);

      // Assess
      expect(squat.status, squat.text).toBe(400);
      expect(squat.json).toMatchObject({ code: 'validation_error', details: [{ path: 'spec.subdomain', message: expect.stringContaining('reserved for resources owned by alice') }] });
      expect(upper.status, upper.text).toBe(400);
      expect(upper.json.details).toEqual([expect.objectContaining({ path: 'spec.subdomain' })]);
      expect((await server.api('GET', '/api/recipes/deployment/report?owner_name=bob', undefined, {}, tokens.bob)).status).toBe(404);
      // Alice's own default is hers to take
      expect((await server.api('PUT', '/api/recipes', deploymentOf('report'), {}, tokens.alice)).json.spec.subdomain).toBe('report-alice');
    });

    it("refuses ice the default of al-ice through a dashed name: report-al owned by ice defaults to report-al-ice", async () => {
      const dodge = await server.api('PUT', '/api/recipes', deploymentOf('report-al'), {}, tokens.ice);
      expect(dodge.status, dodge.text).toBe(400);
      expect(dodge.json.details).toEqual([{ path: 'spec.subdomain', message: expect.stringContaining('reserved for resources owned by al-ice') }]);
    });
  });
});
