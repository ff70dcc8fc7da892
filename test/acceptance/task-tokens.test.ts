/**
 * Task token scopes over HTTP against `npm start`, with real job processes (issue 11, item 8): a
 * job's SATURN_TOKEN acts for its owner on resources (here: starting another job of the owner)
 * and is refused, with 403 naming the scope, everything else a token of its owner could do:
 * minting tokens, creating users, registering IAM roles, writing secrets; an admin's job gets
 * no admin powers. The job calls the API with node's fetch, so no curl is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type Json } from './support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';
import { applyJob, listRuns, runReaches, startRun, taskLog, tasksExited } from './support/job-runs.ts';

const OWNER = 'pia';

/**
 * What the job runs: each call prints one JSON line with the status, code and message it got.
 * CHILD names the job to start; the calls after it are those a task token must not make.
 */
const PROBE = `
const base = process.env.SATURN_BASE_URL;
const headers = { authorization: 'Bearer ' + process.env.SATURN_TOKEN, 'content-type': 'application/json' };
async function call(method, path, body) {
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  console.log(JSON.stringify({ call: method + ' ' + path, status: response.status, code: json.code ?? null, message: json.message ?? null, admin: json.admin ?? null, token_scope: json.token_scope ?? null }));
  return json;
}
(async () => {
  const me = await call('GET', '/api/user');
  if (process.env.CHILD) {
    const child = await call('GET', '/api/recipes/job/' + process.env.CHILD);
    await call('POST', '/api/jobs/' + child.state.id + '/start', {});
  }
  await call('POST', '/api/users/' + me.username + '/tokens', {});
  await call('POST', '/api/users', { username: 'made-by-' + me.username + '-task' });
  await call('PUT', '/api/iam_roles/role-from-' + me.username + '-task', { role_arn: 'arn:aws:iam::123456789012:role/from-a-task', allowed: [me.username] });
  await call('PUT', '/api/secrets/secret-from-' + me.username + '-task', { value: 'written-by-a-task' });
})();
`;

let server: LocalServer;

beforeAll(async () => {
  server = await LocalServer.start();
  const created = await server.api('POST', '/api/users', { username: OWNER });
  expect(created.status, created.text).toBe(201);
}, 90_000);

afterAll(async () => {
  await server?.dispose();
});

/** Runs the probe as a job of `owner` and returns its calls, by `METHOD path` with the ids left out. */
async function probeAs(owner: string, name: string, env: Record<string, string>): Promise<Json[]> {
  const jobId = await applyJob(server, { name, owner, command: 'node -e "$PROBE"', environment_variables: { PROBE, ...env } });
  const started = await startRun(server, jobId);
  const run = await runReaches(server, jobId, started.id);
  await tasksExited(server, jobId, run.id);
  const stdout = await taskLog(server, jobId, run.tasks[0].name);
  expect(run.status, (await taskLog(server, jobId, run.tasks[0].name, 'stderr')).join('\n')).toBe('succeeded');
  return stdout.map((line) => JSON.parse(line));
}

function refusedForScope(call: Json): void {
  expect(call.status, call.call).toBe(403);
  expect(call.code, call.call).toBe('forbidden');
  expect(call.message, call.call).toMatch(/token_scope "task"/);
}

describe("a task's SATURN_TOKEN", () => {
  it("starts another job of its non-admin owner, and is refused tokens, users, IAM roles and secrets", async () => {
    // Prepare
    const childId = await applyJob(server, { name: 'child', owner: OWNER, command: 'echo started by a pipeline' });

    // Act
    const calls = await probeAs(OWNER, 'pipeline', { CHILD: 'child' });

    // Assess
    expect(calls.map((c) => c.call.replace(childId, '{id}'))).toEqual([
      'GET /api/user',
      'GET /api/recipes/job/child',
      'POST /api/jobs/{id}/start',
      `POST /api/users/${OWNER}/tokens`,
      'POST /api/users',
      `PUT /api/iam_roles/role-from-${OWNER}-task`,
      `PUT /api/secrets/secret-from-${OWNER}-task`,
    ]);
    const [me, child, start, ...refused] = calls;
    expect(me).toMatchObject({ status: 200, admin: false, token_scope: 'task' });
    expect(child.status).toBe(200);
    expect(start.status).toBe(200);
    for (const call of refused) refusedForScope(call);
    const childRuns = await waitUntil('the child job to have a run', () => listRuns(server, childId), (runs) => runs.length === 1);
    await runReaches(server, childId, childRuns[0].id, ['succeeded']);
    // Nothing refused was done: no token minted, no user, role or secret created.
    expect((await server.api('GET', `/api/iam_roles/role-from-${OWNER}-task`)).status).toBe(404);
    expect((await server.api('GET', `/api/secrets/secret-from-${OWNER}-task?owner_name=${OWNER}`)).status).toBe(404);
    expect((await server.api('POST', '/api/users', { username: `made-by-${OWNER}-task` })).status).toBe(201);
    const tokens = await server.api('GET', '/api/tokens', undefined, {}, (await server.api('POST', `/api/users/${OWNER}/tokens`, {})).json.token);
    expect(tokens.json.tokens.filter((t: Json) => t.scope === 'user')).toHaveLength(1);
  }, 60_000);

  it('gives an admin-owned job no admin powers: it cannot create a user', async () => {
    // Act
    const calls = await probeAs('admin', 'admin-pipeline', {});

    // Assess
    const [me, mint, createUser, registerRole, writeSecret] = calls;
    expect(me).toMatchObject({ status: 200, admin: false, token_scope: 'task' });
    for (const call of [mint, createUser, registerRole, writeSecret]) refusedForScope(call);
    expect((await server.api('POST', '/api/users', { username: 'made-by-admin-task' })).status).toBe(201);
  }, 60_000);
});
