import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalProcessDriver } from '../../../../infra/local/process-driver/local-process-driver.ts';
import { RouteTable } from '../../../../infra/local/proxy/route-table.ts';
import { LocalServiceRuntime, type LocalServiceRuntimeOptions } from '../../../../infra/local/services/local-service-runtime.ts';
import type { ServicePlan, ServiceReports } from '../../../../shared/ports/service-runtime.ts';
import { IDE_TOKEN_VARIABLE } from '../../../../shared/domain/planner/service-plan.ts';
import { waitUntil } from '../../../support/wait-until.ts';

/** A replica: answers `<VERSION> <pid>` on /, 200 on /health, and $HOME/boots on /boots; listens on $HOST unless $BIND_TO says otherwise. */
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const server = http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/boots') return res.end(fs.readFileSync(process.env.HOME + '/boots', 'utf8'));
  res.end(process.env.VERSION + ' ' + process.pid);
});
server.listen(Number(process.env.PORT), process.env.BIND_TO || process.env.HOST, () => console.log('listening, pid ' + process.pid));
`;

/** An IDE that answers only with the token it was started with (as Jupyter with --ServerApp.token); its health path is open. */
const IDE = `
const http = require('node:http');
const token = process.env.IDE_TOKEN;
http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (!token || req.headers.authorization !== 'token ' + token) { res.statusCode = 403; return res.end('no'); }
  res.end('ide ' + process.pid);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const FAST: LocalServiceRuntimeOptions = {
  probeIntervalMs: 50,
  backoffBaseMs: 20,
  backoffMaxMs: 100,
  crashLoopLimit: 3,
  idleCheckIntervalMs: 50,
  drainMs: 100,
};

type Call = { method: keyof ServiceReports; report: Record<string, unknown> };

/** The control plane's side, recorded: the one fake here. */
class RecordedReports implements ServiceReports {
  readonly calls: Call[] = [];
  failing: Set<keyof ServiceReports> = new Set();

  replicaStarted = this.#recorder('replicaStarted');
  replicaReady = this.#recorder('replicaReady');
  replicaExited = this.#recorder('replicaExited');
  replicaExposed = this.#recorder('replicaExposed');
  rolledOut = this.#recorder('rolledOut');
  rolledBack = this.#recorder('rolledBack');
  failed = this.#recorder('failed');
  stopped = this.#recorder('stopped');
  idle = this.#recorder('idle');

  of(method: keyof ServiceReports): Array<Record<string, unknown>> {
    return this.calls.filter((call) => call.method === method).map((call) => call.report);
  }

  async waitFor(method: keyof ServiceReports, match: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const matching = (report: Record<string, unknown>) => Object.entries(match).every(([key, value]) => report[key] === value);
    await waitUntil(
      `${method} ${JSON.stringify(match)} to be reported (reported so far: method, pod or revision)`,
      () => this.calls.map((call) => [call.method, call.report.pod ?? call.report.revision]),
      () => this.of(method).some(matching),
      8_000,
    );
    return this.of(method).find(matching)!;
  }

  #recorder<M extends keyof ServiceReports>(method: M): ServiceReports[M] {
    const record = async (report: object): Promise<void> => {
      if (this.failing.has(method)) throw new Error(`the event store refused ${method}`);
      this.calls.push({ method, report: { ...report } });
    };
    return record;
  }
}

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newHarness(options: LocalServiceRuntimeOptions = {}) {
  const root = mkdtempSync(join(tmpdir(), 'services-'));
  const serverFile = join(root, 'server.cjs');
  writeFileSync(serverFile, SERVER);
  const driver = new LocalProcessDriver({ rootDir: join(root, 'tasks'), volumesDir: join(root, 'volumes'), stopGraceMs: 500 });
  const routes = new RouteTable();
  const reports = new RecordedReports();
  const runtime = new LocalServiceRuntime({ driver, routes, reports, clock: { now: () => new Date() }, options: { ...FAST, ...options } });
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  cleanups.push(() => driver.close());
  cleanups.push(() => runtime.close());
  const serve = `exec '${process.execPath}' '${serverFile}'`;
  const ideFile = join(root, 'ide.cjs');
  writeFileSync(ideFile, IDE);
  // Reads the token as the planner's Jupyter command does.
  const ide = `IDE_TOKEN="\${${IDE_TOKEN_VARIABLE}:-}" exec '${process.execPath}' '${ideFile}'`;
  return { root, driver, routes, reports, runtime, serve, ide };
}

function plan(revision: number, command: string, more: Partial<ServicePlan> = {}): ServicePlan {
  return {
    resourceId: 'dep-1',
    type: 'deployment',
    owner: 'alice',
    name: 'api',
    revision,
    replicas: 1,
    task: { command, environment: { VERSION: `v${revision}` }, labels: { owner: 'alice' } },
    image: 'python:3.12',
    instanceType: 'medium',
    spot: false,
    healthCheckPath: '/health',
    healthGraceSeconds: 5,
    routes: [{ subdomain: 'api', containerPort: 8000, visibility: 'owner' }],
    viewers: [],
    homeVolume: null,
    shellAccess: false,
    idleShutoffSeconds: null,
    ...more,
  };
}

/** GET on a fresh connection, as the proxy forwards a request to a resolved port. */
function get(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}`))));
    });
    call.on('timeout', () => call.destroy(new Error('timed out')));
    call.on('error', reject);
    call.end();
  });
}

/** GET with headers, resolving with the status whatever it is. */
function status(port: number, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path: '/', headers, agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    call.on('error', reject);
    call.end();
  });
}

/** A request through the route table, as the proxy makes it. */
async function viaRoute(routes: RouteTable, subdomain = 'api', path = '/'): Promise<string> {
  const port = routes.resolve(subdomain)?.port;
  if (port === undefined) throw new Error(`no ready replica behind ${subdomain}`);
  return get(port, path);
}

/** `vi.waitFor` with this file's patience: `check` throws (a failed expectation says what) until it holds. */
function passes<T>(check: () => Promise<T> | T): Promise<T> {
  return vi.waitFor(check, { timeout: 8_000, interval: 25 });
}

/** Waits until the steady traffic has had `count` more answers. */
async function moreAnswers(traffic: { answers: string[] }, count: number): Promise<void> {
  const from = traffic.answers.length;
  await waitUntil(`${count} more answers`, () => traffic.answers.length, (n) => n >= from + count);
}

/** Requests through the route table, one after another, until stopped: what a client sees during a change. */
function steadyTraffic(routes: RouteTable) {
  const answers: string[] = [];
  const failures: string[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        answers.push(await viaRoute(routes));
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((paced) => setTimeout(paced, 5));
    }
  })();
  return {
    answers,
    failures,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe('LocalServiceRuntime', () => {
  it('starts the replicas, reports each ready and the revision rolled out, and spreads requests over them', async () => {
    // Prepare
    const { routes, reports, runtime, serve } = newHarness();

    // Act
    await runtime.apply(plan(1, serve, { replicas: 2 }));
    await reports.waitFor('rolledOut', { revision: 1 });
    const answers = await Promise.all([1, 2, 3, 4].map(() => viaRoute(routes)));

    // Assess
    expect(reports.of('replicaStarted').map((report) => report.pod).sort()).toEqual(['dep-1-r1-1', 'dep-1-r1-2']);
    expect(reports.of('replicaReady').map((report) => report.pod).sort()).toEqual(['dep-1-r1-1', 'dep-1-r1-2']);
    expect(new Set(answers).size).toBe(2);
    for (const answer of answers) expect(answer).toMatch(/^v1 \d+$/);
    expect(reports.calls.at(-1)?.method).toBe('rolledOut');
  });

  it('replaces a replica that was killed, the other serving meanwhile', async () => {
    // Prepare
    const { routes, reports, runtime, serve } = newHarness();
    await runtime.apply(plan(1, serve, { replicas: 2 }));
    await reports.waitFor('rolledOut', { revision: 1 });
    const [victim, survivor] = await passes(async () => {
      const pids = [...new Set(await Promise.all([1, 2].map(() => viaRoute(routes))))];
      if (pids.length !== 2) throw new Error('not both replicas answered');
      return pids.map((answer) => Number(answer.split(' ')[1]));
    });

    // Act
    process.kill(victim!, 'SIGKILL');
    const exit = await reports.waitFor('replicaExited');
    const answersMeanwhile = await passes(() => Promise.all([1, 2].map(() => viaRoute(routes))));
    await reports.waitFor('replicaReady', { pod: 'dep-1-r1-3' });
    const pidsAfter = await passes(async () => {
      const pids = new Set(await Promise.all([1, 2].map(() => viaRoute(routes))));
      if (pids.size !== 2) throw new Error('not both replicas answered');
      return [...pids].map((answer) => Number(answer.split(' ')[1]));
    });

    // Assess
    expect(exit).toMatchObject({ exitCode: null, reason: 'killed by SIGKILL' });
    expect(answersMeanwhile).toEqual([`v1 ${survivor}`, `v1 ${survivor}`]);
    expect(pidsAfter).toContain(survivor);
    expect(pidsAfter).not.toContain(victim);
    expect(reports.of('failed')).toEqual([]);
  });

  it('rolls out a new revision with no failed request, ending on the new version', async () => {
    // Prepare
    const { routes, reports, runtime, serve } = newHarness();
    await runtime.apply(plan(1, serve, { replicas: 2 }));
    await reports.waitFor('rolledOut', { revision: 1 });
    const traffic = steadyTraffic(routes);
    await moreAnswers(traffic, 3);

    // Act
    await runtime.apply(plan(2, serve, { replicas: 2 }));
    await reports.waitFor('rolledOut', { revision: 2 });
    await reports.waitFor('replicaExited', { pod: 'dep-1-r1-1' });
    await reports.waitFor('replicaExited', { pod: 'dep-1-r1-2' });
    await moreAnswers(traffic, 3);
    await traffic.stop();

    // Assess
    expect(traffic.failures).toEqual([]);
    expect(traffic.answers[0]).toMatch(/^v1 /);
    expect(traffic.answers.at(-1)).toMatch(/^v2 /);
    expect(traffic.answers.length).toBeGreaterThan(10);
    const exited = reports.of('replicaExited').filter((report) => String(report.pod).startsWith('dep-1-r1-'));
    for (const report of exited) expect(report.reason).toBe('replaced by revision 2');
  });

  it('rolls back a revision that never listens, the old one serving throughout', async () => {
    // Prepare
    const { routes, reports, runtime, serve, driver } = newHarness({ crashLoopLimit: 2 });
    await runtime.apply(plan(1, serve));
    await reports.waitFor('rolledOut', { revision: 1 });
    const traffic = steadyTraffic(routes);

    // Act
    await runtime.apply(plan(2, 'sleep 100', { healthGraceSeconds: 0.3 }));
    const rolledBack = await reports.waitFor('rolledBack', { revision: 2 });
    await passes(() => expect(driver.running()).toEqual(['dep-1-r1-1']));
    await traffic.stop();

    // Assess
    expect(rolledBack.reason).toBe(
      'no replica answered on /health within 0.3 s (once, last probe: connection refused); does the command listen on $PORT? See the logs of pod dep-1-r2-1',
    );
    expect(traffic.failures).toEqual([]);
    expect(new Set(traffic.answers.map((answer) => answer.split(' ')[0]))).toEqual(new Set(['v1']));
    expect(reports.of('rolledOut').map((report) => report.revision)).toEqual([1]);
    expect(reports.of('failed')).toEqual([]);
  });

  it('fails a first start whose command exits at once, after the crash-loop limit, and takes its routes off', async () => {
    // Prepare
    const { routes, reports, runtime, driver } = newHarness();

    // Act
    await runtime.apply(plan(1, 'echo "no such module" >&2; exit 1'));
    const failed = await reports.waitFor('failed', { revision: 1 });

    // Assess
    expect(failed.reason).toBe('the command exited 3 times before passing its health check on /health, the last time: exited with code 1; see the logs of pod dep-1-r1-3');
    expect(reports.of('replicaExited').map((report) => report.exitCode)).toEqual([1, 1, 1]);
    expect(routes.resolve('api')).toBeUndefined();
    const log = await driver.logs('dep-1-r1-3', { limit: 10 });
    expect(log.lines.map((line) => line.message)).toContain('no such module');
    // That nothing starts after the failure is the supervision's to decide, and its own test proves
    // it on a fake clock (service-supervision.test.ts, "fails after the crash-loop limit").
    expect(reports.of('replicaStarted')).toHaveLength(3);
  });

  it('fails a first start whose command never listens, after the grace, and stops its replicas', async () => {
    // Prepare
    const { routes, reports, runtime, driver } = newHarness({ crashLoopLimit: 1 });

    // Act
    await runtime.apply(plan(1, 'sleep 100', { healthGraceSeconds: 0.5, healthCheckPath: '/ready' }));
    const failed = await reports.waitFor('failed', { revision: 1 });
    await passes(() => expect(driver.running()).toEqual([]));

    // Assess
    expect(failed.reason).toBe(
      'no replica answered on /ready within 0.5 s (once, last probe: connection refused); does the command listen on $PORT? See the logs of pod dep-1-r1-1',
    );
    expect(reports.of('replicaExited')).toEqual([expect.objectContaining({ pod: 'dep-1-r1-1', reason: expect.stringContaining('did not pass its health check on /ready within 0.5 s') })]);
    expect(routes.resolve('api')).toBeUndefined();
  });

  it('on stop, withdraws the routes, stops every replica and reports stopped last; idempotent, also for an unknown service', async () => {
    // Prepare
    const { routes, reports, runtime, serve, driver } = newHarness();
    await runtime.apply(plan(1, serve, { replicas: 2 }));
    await reports.waitFor('rolledOut', { revision: 1 });

    // Act
    const stopping = runtime.stop('dep-1', 'stopped by alice');
    const routeWhileStopping = routes.resolve('api');
    await stopping;
    await runtime.stop('dep-1', 'stopped by alice');
    await runtime.stop('never-applied', 'stopped by alice');
    await runtime.apply(plan(1, serve, { replicas: 2 }));

    // Assess: the runtime acts on a re-applied revision within the call (nothing launches later:
    // service-supervision.test.ts, "on a stop, … replacing none of them", on a fake clock).
    expect(routeWhileStopping).toBeUndefined();
    expect(driver.running()).toEqual([]);
    const afterRollout = reports.calls.slice(reports.calls.findIndex((call) => call.method === 'rolledOut') + 1);
    expect(afterRollout.map((call) => [call.method, call.report.pod ?? call.report.resourceId])).toEqual([
      ['replicaExited', expect.stringMatching(/^dep-1-r1-[12]$/)],
      ['replicaExited', expect.stringMatching(/^dep-1-r1-[12]$/)],
      ['stopped', 'dep-1'],
      ['stopped', 'dep-1'],
      ['stopped', 'never-applied'],
    ]);
    for (const exit of reports.of('replicaExited')) expect(exit.reason).toBe('stopped by alice');
  });

  it('keeps a workspace home across a stop and a new revision, and deletes it on remove', async () => {
    // Prepare
    const { root, routes, reports, runtime, serve, driver } = newHarness();
    const workspace = (revision: number) => plan(revision, `echo "boot $VERSION" >> "$HOME/boots"; ${serve}`, { type: 'workspace', homeVolume: 'ws-1-home' });
    await runtime.apply(workspace(1));
    await reports.waitFor('rolledOut', { revision: 1 });

    // Act
    await runtime.stop('dep-1', 'auto-shutoff');
    await runtime.apply(workspace(2));
    await reports.waitFor('rolledOut', { revision: 2 });
    const boots = await viaRoute(routes, 'api', '/boots');
    await runtime.remove('dep-1');
    await runtime.remove('dep-1');

    // Assess
    expect(boots).toBe('boot v1\nboot v2\n');
    expect(readFileSync(join(root, 'tasks', 'dep-1-r2-1', 'task.json'), 'utf8')).toContain('"homeVolume": "ws-1-home"');
    expect(existsSync(join(root, 'volumes', 'ws-1-home'))).toBe(false);
    expect(driver.running()).toEqual([]);
    expect(routes.resolve('api')).toBeUndefined();
  });

  it('reports a service idle when nothing came through its routes for its idle time', async () => {
    // Prepare: 2 s of idle shutoff, scaled down to 200 ms
    const { routes, reports, runtime, serve } = newHarness({ idleScale: 0.1 });
    await runtime.apply(plan(1, serve, { type: 'workspace', idleShutoffSeconds: 2 }));
    await reports.waitFor('rolledOut', { revision: 1 });

    // Act
    routes.touch('dep-1');
    const idle = await reports.waitFor('idle');

    // Assess (once only, not again: service-supervision.test.ts, "reports idleness once", on a fake clock)
    expect(idle).toEqual({ resourceId: 'dep-1', idleSeconds: 0, at: expect.any(String) });
  });

  it('reports a replica listening beyond loopback as reachable without the proxy, once (issue 19 item 6)', async () => {
    // Prepare: the README's example before the fix, listening on every interface.
    const { runtime, reports, serve } = newHarness();
    const exposed = plan(1, serve);
    exposed.task.environment.BIND_TO = '0.0.0.0';

    // Act
    await runtime.apply(exposed);
    const report = await reports.waitFor('replicaExposed');
    // A rollout takes probes after the first: the replica was seen exposed more than once by then.
    await reports.waitFor('rolledOut');

    // Assess
    expect(report).toMatchObject({ resourceId: 'dep-1', revision: 1, addresses: [expect.stringMatching(/^0\.0\.0\.0:\d+$/)] });
    expect(reports.of('replicaExposed')).toHaveLength(1);
  });

  it('reports nothing of a replica that listens on $HOST, which is loopback', async () => {
    const { runtime, reports, serve, routes } = newHarness();
    await runtime.apply(plan(1, serve));
    await reports.waitFor('rolledOut');
    expect(await viaRoute(routes)).toMatch(/^v1 \d+$/);
    expect(reports.of('replicaExposed')).toEqual([]);
  });

  it('logs a report the control plane refuses as a JSON line on stderr, and carries on', async () => {
    // Prepare
    const { reports, runtime, serve } = newHarness();
    reports.failing.add('replicaStarted');
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });

    try {
      // Act
      await runtime.apply(plan(1, serve));
      await reports.waitFor('rolledOut', { revision: 1 });
    } finally {
      stderr.mockRestore();
    }

    // Assess
    const line = JSON.parse(written.find((text) => text.includes('replicaStarted')) ?? '{}');
    expect(line).toMatchObject({
      level: 'error',
      message: 'reporting replicaStarted failed',
      resourceId: 'dep-1',
      error: 'the event store refused replicaStarted',
      report: { pod: 'dep-1-r1-1' },
    });
    expect(reports.of('replicaReady')).toHaveLength(1);
  });
});

describe('LocalServiceRuntime: an IDE on the shared loopback', () => {
  /** Every file under `dir`, as text. */
  function everyFile(dir: string): string {
    return (readdirSync(dir, { recursive: true }) as string[])
      .map((file) => join(dir, file))
      .filter((file) => statSync(file).isFile())
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
  }

  it('gives each replica of an IDE its own token, which the route sends and nothing else on the machine has', async () => {
    // Prepare
    const { root, routes, reports, runtime, ide } = newHarness();

    // Act
    await runtime.apply(plan(1, ide, { replicas: 2 }));
    await reports.waitFor('rolledOut', { revision: 1 });
    const first = routes.resolve('api')!;
    const second = routes.resolve('api')!;

    // Assess: through the route, each replica answers; straight to its port, without the token, none does.
    expect(first.authorization).toMatch(/^token [\w-]{43}$/);
    expect(second.authorization).not.toBe(first.authorization);
    expect(await status(first.port!, { authorization: first.authorization! })).toBe(200);
    expect(await status(first.port!)).toBe(403);
    expect(await status(first.port!, { authorization: second.authorization! })).toBe(403);
    // Not in task.json, the logs or any report.
    for (const token of [first.authorization!, second.authorization!].map((a) => a.slice('token '.length))) {
      expect(everyFile(root)).not.toContain(token);
      expect(JSON.stringify(reports.calls)).not.toContain(token);
    }
  });

  it('gives a new revision new tokens', async () => {
    // Prepare
    const { routes, reports, runtime, ide } = newHarness();
    await runtime.apply(plan(1, ide));
    await reports.waitFor('rolledOut', { revision: 1 });
    const before = routes.resolve('api')!.authorization;

    // Act
    await runtime.apply(plan(2, ide));
    await reports.waitFor('rolledOut', { revision: 2 });

    // Assess
    const after = routes.resolve('api')!;
    expect(after.authorization).toBeDefined();
    expect(after.authorization).not.toBe(before);
    expect(await status(after.port!, { authorization: after.authorization! })).toBe(200);
  });

  it('gives none to a command that does not read it', async () => {
    const { routes, reports, runtime, serve } = newHarness();

    await runtime.apply(plan(1, serve));
    await reports.waitFor('rolledOut', { revision: 1 });

    expect(routes.resolve('api')!.authorization).toBeUndefined();
  });
});
