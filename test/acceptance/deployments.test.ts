/**
 * Deployments and workspaces over HTTP against `npm start`: replicas behind the proxy at
 * `<subdomain>.localhost`, who may pass, a killed replica replaced, a rolling update with no
 * failed request, stop, a command that never listens, and a workspace whose home survives a
 * stop and which shuts itself off when idle. Real processes, real HTTP, short timings.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer, type ApiResponse, type Json } from './support/local-server.ts';
import { waitUntil } from '../support/wait-until.ts';

/** A small HTTP server on $PORT: who it is, which version, and what the proxy passed on. */
const SERVER_SCRIPT = [
  'const http = require("http");',
  'http.createServer((req, res) => {',
  '  if (req.url === "/health") return res.end("ok");',
  '  res.setHeader("content-type", "application/json");',
  '  res.end(JSON.stringify({ pid: process.pid, version: process.env.VERSION, user: req.headers["x-cassini-user"] ?? null,',
  '    authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null }));',
  '}).listen(process.env.PORT);',
].join(' ');
const SERVER_COMMAND = `node -e '${SERVER_SCRIPT}'`;

/** A workspace "IDE": counts its starts in a file in its home and serves the file. */
const WORKSPACE_COMMAND =
  'echo start >> "$HOME/starts.txt"; ' +
  `node -e 'require("http").createServer((q, s) => s.end(require("fs").readFileSync(process.env.HOME + "/starts.txt"))).listen(process.env.PORT)'`;

const TIMINGS = {
  CASSINI_HEALTH_GRACE_SECONDS: '6',
  CASSINI_PROBE_INTERVAL_MS: '200',
  CASSINI_RESTART_BACKOFF_MS: '200',
  CASSINI_IDLE_CHECK_SECONDS: '1',
  // auto_shutoff "1 hour" becomes 7.2 s.
  CASSINI_AUTO_SHUTOFF_SCALE: '0.002',
};
const SETTLE_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

let server: LocalServer;
let bobToken: string;

beforeAll(async () => {
  server = await LocalServer.start({ env: TIMINGS });
  expect((await server.api('POST', '/api/users', { username: 'bob' })).status).toBe(201);
  bobToken = (await server.api('POST', '/api/users/bob/tokens', {})).json.token;
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGTERM');
  await server?.dispose();
});

/** A request through the proxy to `<subdomain>.localhost`; `token` null sends none. */
function viaProxy(subdomain: string, options: { token?: string | null; path?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  const token = options.token === undefined ? server.adminToken : options.token;
  return server.api('GET', options.path ?? '/', undefined, { host: `${subdomain}.localhost:${server.port}`, ...options.headers }, token);
}

async function apply(type: 'deployment' | 'workspace', spec: Record<string, unknown>): Promise<string> {
  const reply = await server.api('PUT', '/api/recipes', { type, spec });
  expect(reply.status, reply.text).toBe(201);
  return reply.json.state.id;
}

const kindOf = (type: 'deployment' | 'workspace') => (type === 'deployment' ? 'deployments' : 'workspaces');

async function act(type: 'deployment' | 'workspace', id: string, action: 'start' | 'stop'): Promise<void> {
  const reply = await server.api('POST', `/api/${kindOf(type)}/${id}/${action}`);
  expect(reply.status, reply.text).toBe(200);
}

function reaches(type: 'deployment' | 'workspace', id: string, status: string, timeoutMs = SETTLE_MS): Promise<Json> {
  return waitUntil(
    `${type} ${id} to be ${status}`,
    async () => (await server.api('GET', `/api/${kindOf(type)}/${id}`)).json,
    (recipe) => recipe.state.status === status,
    timeoutMs,
  );
}

async function pidsAnswering(subdomain: string, requests = 8): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < requests; i++) {
    const reply = await viaProxy(subdomain);
    if (reply.status === 200) pids.add(reply.json.pid);
  }
  return pids;
}

describe('a deployment', () => {
  const subdomain = 'web-admin';
  let id: string;

  it('serves from both replicas at scale 2, only to whom it admits, without the caller’s credentials', async () => {
    id = await apply('deployment', { name: 'web', command: SERVER_COMMAND, scale: 2, healthcheck: '/health', environment_variables: { VERSION: 'v1' } });
    await act('deployment', id, 'start');
    const running = await reaches('deployment', id, 'running');
    expect(running.state.url).toBe(`http://${subdomain}.localhost:${server.port}/`);

    const pids = await waitUntil('both replicas to answer', () => pidsAnswering(subdomain), (p) => p.size === 2);
    const answer = await viaProxy(subdomain);
    expect(answer.json).toMatchObject({ version: 'v1', user: 'admin', authorization: null });
    expect([...pids]).toContain(answer.json.pid);

    expect((await viaProxy(subdomain, { token: null })).status).toBe(401);
    expect((await viaProxy(subdomain, { token: bobToken })).status).toBe(403);
    expect((await viaProxy('nobody-here', { token: null })).status).toBe(404);

    // A browser visits once with ?token=, gets a cookie for that host, and is admitted by it.
    const visit = await viaProxy(subdomain, { token: null, path: `/?token=${server.adminToken}` });
    expect(visit.status).toBe(302);
    expect(visit.headers.location).toBe('/');
    const cookie = visit.headers['set-cookie']!.split(';')[0]!;
    expect(visit.headers['set-cookie']).toMatch(/HttpOnly/i);
    const withCookie = await viaProxy(subdomain, { token: null, headers: { cookie } });
    expect(withCookie.status).toBe(200);
    expect(withCookie.json.cookie).toBeNull();

    const summary = (await server.api('GET', `/api/deployments/${id}/runtimesummary`)).json;
    expect(summary.pod_summaries).toHaveLength(2);
    expect(summary.pod_summaries.every((p: Json) => p.status === 'running')).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('replaces a killed replica', async () => {
    const before = await pidsAnswering(subdomain);
    const [victim] = [...before];
    process.kill(victim!, 'SIGKILL');

    const after = await waitUntil(
      'a replacement to answer',
      () => pidsAnswering(subdomain),
      (p) => p.size === 2 && !p.has(victim!),
    );
    expect(after.size).toBe(2);
    const history = (await server.api('GET', `/api/deployments/${id}/history`)).json.pods as Json[];
    // The shell running the command reports its killed child as exit status 137.
    expect(history.some((p) => p.status === 'failed' && p.exit_code === 137), JSON.stringify(history)).toBe(true);
    expect((await server.api('GET', `/api/deployments/${id}`)).json.state.status).toBe('running');
  }, TEST_TIMEOUT_MS);

  it('rolls to a new spec without one failed request', async () => {
    const answers: Array<{ status: number; version?: string }> = [];
    let rolling = true;
    const traffic = (async () => {
      while (rolling) {
        const reply = await viaProxy(subdomain);
        answers.push({ status: reply.status, version: reply.json?.version });
        await new Promise((paced) => setTimeout(paced, 20));
      }
    })();

    const update = await server.api('PUT', '/api/recipes', {
      type: 'deployment',
      spec: { name: 'web', command: SERVER_COMMAND, scale: 2, healthcheck: '/health', environment_variables: { VERSION: 'v2' } },
    });
    expect(update.status).toBe(201);
    await waitUntil('only v2 to answer', async () => (await Promise.all([1, 2, 3, 4].map(() => viaProxy(subdomain)))).map((r) => r.json?.version), (v) => v.every((x) => x === 'v2'));
    // The steady traffic goes on past the switch, so a request failing just after it would show.
    const answeredAtSwitch = answers.length;
    await waitUntil('ten more answers after the switch', () => answers.length, (n) => n >= answeredAtSwitch + 10);
    rolling = false;
    await traffic;

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.some((a) => a.version === 'v1')).toBe(true);
    expect(answers.at(-1)?.version).toBe('v2');
    const events = (await server.api('GET', `/api/deployments/${id}/events`)).json.events as Json[];
    expect(events.some((e) => e.type === 'ServiceRolledOut' && e.data.revision === 2)).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('stops, and is off the proxy', async () => {
    await act('deployment', id, 'stop');
    await reaches('deployment', id, 'stopped');
    const reply = await viaProxy(subdomain);
    expect(reply.status).toBe(404);
    expect((await server.api('GET', `/api/deployments/${id}/runtimesummary`)).json.pod_summaries).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('serves an unauthenticated route to anyone', async () => {
    const open = await apply('deployment', {
      name: 'open',
      command: SERVER_COMMAND,
      routes: [{ container_port: 8000, visibility: 'unauthenticated' }],
      environment_variables: { VERSION: 'open' },
    });
    await act('deployment', open, 'start');
    await reaches('deployment', open, 'running');
    const anonymous = await viaProxy('open-admin', { token: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.json).toMatchObject({ version: 'open', user: null });
    expect((await viaProxy('open-admin', { token: bobToken })).json.user).toBe('bob');
    await act('deployment', open, 'stop');
  }, TEST_TIMEOUT_MS);

  it('ends in error, saying why, when its command never listens', async () => {
    const deaf = await apply('deployment', { name: 'deaf', command: 'sleep 1000' });
    await act('deployment', deaf, 'start');
    const failed = await reaches('deployment', deaf, 'error');
    expect(failed.state.reason).toMatch(/no replica answered on \/ within 6 s .*does the command listen on \$PORT/);
    expect((await server.api('GET', `/api/deployments/${deaf}/runtimesummary`)).json.pod_summaries).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

describe('a workspace', () => {
  it('keeps its home across stop and start, and shuts off when idle', async () => {
    const id = await apply('workspace', { name: 'lab', command: WORKSPACE_COMMAND, start_ssh: true });
    await act('workspace', id, 'start');
    const running = await reaches('workspace', id, 'running');
    // These servers run with SSH_PORT=off: no endpoint, so no connect command (test/infra/local/ssh covers SSH).
    expect(running.state.ssh).toBeUndefined();
    expect((await viaProxy('lab-admin')).text).toBe('start\n');

    await act('workspace', id, 'stop');
    await reaches('workspace', id, 'stopped');
    await act('workspace', id, 'start');
    await reaches('workspace', id, 'running');
    expect((await viaProxy('lab-admin')).text).toBe('start\nstart\n');

    // No request from now on: "1 hour" of idleness is 7.2 s here.
    const stopped = await reaches('workspace', id, 'stopped', 45_000);
    expect(stopped.state.status).toBe('stopped');
    const events = (await server.api('GET', `/api/workspaces/${id}/events`)).json.events as Json[];
    const idleStop = events.filter((e) => e.type === 'ResourceStopRequested').at(-1);
    expect(idleStop).toMatchObject({ actor: 'system:auto-shutoff', data: { reason: expect.stringContaining('auto_shutoff is 1 hour') } });

    // The home goes with the workspace.
    const home = join(server.dataDir, 'volumes', `home-${id}`);
    expect(existsSync(join(home, 'starts.txt'))).toBe(true);
    expect((await server.api('DELETE', `/api/workspaces/${id}`)).status).toBe(204);
    await waitUntil('the home to be deleted', async () => existsSync(home), (exists) => !exists);
  }, TEST_TIMEOUT_MS);
});
