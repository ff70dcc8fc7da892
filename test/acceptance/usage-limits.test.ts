/**
 * Usage and limits over HTTP against `npm start`, with real replicas and the timing knobs of
 * limit-settings.ts (a limit's hour lasts 2 s, the limits are checked every 0.5 s): sizes and
 * `num_instances` refuse a start with `limit_exceeded`; `hours_per_day` stops a running
 * deployment and its stop says why; the usage routes answer in Saturn's shape and as CSV, and
 * `npm run rebuild-projections` rebuilds them to the same answer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type Json } from './support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';
import { signUpUsers, type ActAs } from './support/users.ts';

const SERVER_COMMAND = `node -e 'require("http").createServer((q, s) => s.end("ok")).listen(process.env.PORT)'`;
const HOUR_SECONDS = 2;
const TIMINGS = {
  CASSINI_LIMIT_HOUR_SECONDS: String(HOUR_SECONDS),
  CASSINI_LIMITS_CHECK_SECONDS: '0.5',
  CASSINI_HEALTH_GRACE_SECONDS: '6',
  CASSINI_PROBE_INTERVAL_MS: '200',
};
const SETTLE_MS = 30_000;

let server: LocalServer;
let as: ActAs;
let tokens: Record<string, string>;

beforeAll(async () => {
  server = await LocalServer.start({ env: TIMINGS });
  ({ as, tokens } = await signUpUsers(server, ['carol', 'dave']));
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  await server?.dispose();
});

function deployment(name: string, spec: Record<string, unknown> = {}) {
  return { schema_version: '2025.10.01', type: 'deployment', spec: { name, command: SERVER_COMMAND, ...spec } };
}

async function limitFor(user: string, fields: Record<string, unknown>): Promise<string> {
  const created = await server.api('POST', '/api/limits', { org_id: 'cassini', name: `${user}-limit`, is_default: false, ...fields });
  expect(created.status, created.text).toBe(201);
  expect((await server.api('PATCH', `/api/users/${user}`, { limits_id: created.json.id })).status).toBe(200);
  return created.json.id;
}

function expectLimitExceeded(reply: { status: number; json: Json; text: string }, ...words: string[]): void {
  expect(reply.status, reply.text).toBe(403);
  expect(reply.json.code).toBe('limit_exceeded');
  for (const word of words) expect(reply.json.message).toContain(word);
}

describe('limits on apply and start', () => {
  it('refuses a size the limit does not allow and a start over num_instances with 403 limit_exceeded', async () => {
    // Prepare
    await limitFor('carol', { instance_sizes: ['small'], num_instances: 1 });
    // Act + Assess: a large deployment is refused at apply
    expectLimitExceeded(await carol('PUT', '/api/recipes', deployment('big', { instance_type: 'large' })), 'carol-limit', 'instance_sizes small', 'large');
    // Two small replicas apply, but would be two instances at once
    const applied = await carol('PUT', '/api/recipes', deployment('pair', { instance_type: 'small', scale: 2 }));
    expect(applied.status, applied.text).toBe(201);
    expectLimitExceeded(await carol('POST', `/api/deployments/${applied.json.state.id}/start`), 'num_instances 1', 'would make 2');
    expect((await carol('GET', `/api/deployments/${applied.json.state.id}`)).json.state.status).toBe('stopped');
  });
});

describe('limits over time, and usage', () => {
  it('stops a deployment once hours_per_day is used, saying why, then refuses its start; usage answers as JSON and CSV, the same after a rebuild', async () => {
    // Prepare: dave may use one (2-second) instance-hour a day.
    await limitFor('dave', { hours_per_day: 1 });
    const id = (await as('dave', 'PUT', '/api/recipes', deployment('web', { instance_type: 'small' }), 201)).state.id as string;
    // Act
    await as('dave', 'POST', `/api/deployments/${id}/start`, undefined, 200);
    // Assess: it runs, then the limits stop it
    await waitUntil('the deployment to run', async () => (await as('dave', 'GET', `/api/deployments/${id}`)).state.status, (s: string) => s === 'running', SETTLE_MS);
    await waitUntil('the limit to stop the deployment', async () => (await as('dave', 'GET', `/api/deployments/${id}`)).state.status, (s: string) => s === 'stopped', SETTLE_MS);
    const events = (await as('dave', 'GET', `/api/deployments/${id}/events`)).events as Json[];
    const stop = events.find((e) => e.type === 'ResourceStopRequested');
    expect(stop).toMatchObject({ actor: 'system:limits', data: { reason: expect.stringContaining('dave-limit: hours_per_day is 1 instance-hours') } });
    const me = await as('dave', 'GET', '/api/user');
    expect(me.limits).toMatchObject({ name: 'dave-limit', hours_per_day: 1 });
    expect(me.limits_usage.hours_today).toBeGreaterThanOrEqual(1);
    const refused = await dave('POST', `/api/deployments/${id}/start`);
    expectLimitExceeded(refused, 'hours_per_day is 1');

    // Usage: Saturn's shape, dave's own route, CSV
    const today = new Date().toISOString().slice(0, 10);
    const range = `start=${today}&end=${today}`;
    const org = await server.api('GET', `/api/orgs/cassini/usage/daily?${range}`);
    expect(org.status).toBe(200);
    const row = (org.json.usage as Json[]).find((r) => r.resource_id === id);
    expect(row).toMatchObject({ date: today, owner: 'dave', resource_name: 'web', resource_type: 'deployment', instance_type: 'small' });
    expect(row.instance_seconds).toBeGreaterThanOrEqual(HOUR_SECONDS);
    const own = await dave('GET', `/api/orgs/cassini/members/dave/usage/daily?${range}`);
    expect(own.json.usage).toEqual([row]);
    const csv = await server.api('GET', `/api/orgs/cassini/usage/daily?${range}&owner=dave`, undefined, { accept: 'text/csv' });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.text).toBe(
      `date,owner,resource_id,resource_name,resource_type,instance_type,instance_seconds,instance_hours\r\n${today},dave,${id},web,deployment,small,${row.instance_seconds},${row.instance_hours}\r\n`,
    );

    // Rebuild: stop, `npm run rebuild-projections`, start again: the same answer.
    await server.stop('SIGTERM');
    const rebuilt = await promisify(execFile)('npm', ['run', '--silent', 'rebuild-projections'], { env: { ...process.env, DATA_DIR: server.dataDir } });
    expect(rebuilt.stdout).toContain('usage');
    await server.restart();
    expect((await server.api('GET', `/api/orgs/cassini/usage/daily?${range}`)).json).toEqual(org.json);
  }, 120_000);
});

function carol(method: string, path: string, body?: unknown) {
  return callAs('carol', method, path, body);
}

function dave(method: string, path: string, body?: unknown) {
  return callAs('dave', method, path, body);
}

/** A call whose status the test checks itself (a refusal). */
function callAs(user: string, method: string, path: string, body?: unknown) {
  return server.api(method, path, body, {}, tokens[user]);
}
