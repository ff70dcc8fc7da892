/**
 * The `data_plane` part of `npm run bench`: the paths users wait on, measured end to end on a
 * real `npm start` (a child process) with a load generator from npm (autocannon) in this one.
 *
 * - Requests/s, p50 and p99 at PROXY_CONNECTIONS for a trivial backend direct, behind a minimal
 *   Node reverse proxy (the baseline) and behind Cassini's proxy as a deployment, with a bearer
 *   token and with the session cookie; at API_CONNECTIONS for `GET /api/user` and
 *   `GET /api/recipes?type=job` with LISTED_JOBS jobs.
 * - Deployment start → first healthy answer through the proxy; dispatch latency
 *   (`POST /api/jobs/{id}/runs` → the run's process running, p50 of DISPATCHES sequential runs).
 * - BURST concurrent dispatches to one job, beside the same burst spread over BURST jobs.
 * - Ready time of an empty data directory, and of one with a history after a clean stop and
 *   after a crash (ready-time.ts; BENCH_HISTORY=off skips it).
 *
 * BENCH_DATA_PLANE_SECONDS sets each load run's length (default 5).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from '../percentiles.ts';
import { apiClient, type ApiClient } from './api-client.ts';
import { BASELINE_PROXY, TRIVIAL_BACKEND } from './baseline-servers.ts';
import { burst, type BurstFigures } from './bursts.ts';
import { load, type LoadFigures } from './load.ts';
import { startNodeProgram, startPlatformProcess } from './platform-process.ts';
import { measureReadyWithHistory, type ReadyWithHistory } from './ready-time.ts';

export const PROXY_CONNECTIONS = 32;
export const API_CONNECTIONS = 16;
export const LISTED_JOBS = 100;
export const DISPATCHES = 20;
export const BURST = 200;
const HEALTHY_TIMEOUT_MS = 120_000;
const MARK_TIMEOUT_MS = 60_000;

export interface DataPlaneResults {
  load: {
    direct: LoadFigures;
    baseline_proxy: LoadFigures;
    cassini_proxy_token: LoadFigures;
    cassini_proxy_cookie: LoadFigures;
    api_user: LoadFigures;
    api_recipes_jobs: LoadFigures;
  };
  /** Cassini's proxy with a token, requests/s over the baseline's. */
  proxy_ratio: number;
  dispatch_p50_ms: number;
  deployment_start_to_healthy_ms: number;
  burst_one_job: BurstFigures;
  burst_spread: BurstFigures;
  ready_empty_ms: number;
  /** Ready times with HISTORY_RESOURCES resources and HISTORY_RUNS finished runs; absent when not measured. */
  ready_with_history?: ReadyWithHistory;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The backend program as a task's command: the same source, run by the same node. */
function backendCommand(): string {
  return `"${process.execPath}" -e "${TRIVIAL_BACKEND}"`;
}

/** fetch() will not send a Host header of our choosing; the proxy routes by it. */
function statusThroughProxy(platformUrl: string, host: string, token: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(`${platformUrl}/`, { headers: { host, authorization: `Bearer ${token}` }, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

/** Start → the first 200 through the proxy for the deployment's URL. */
async function startToHealthy(api: ApiClient, id: string, host: string, platformUrl: string, token: string): Promise<number> {
  const since = performance.now();
  const started = await api.call('POST', `/api/deployments/${id}/start`);
  if (started.status !== 200) throw new Error(`starting the deployment answered ${started.status}: ${JSON.stringify(started.json)}`);
  for (;;) {
    if ((await statusThroughProxy(platformUrl, host, token)) === 200) return performance.now() - since;
    if (performance.now() - since > HEALTHY_TIMEOUT_MS) throw new Error(`the deployment did not answer 200 within ${HEALTHY_TIMEOUT_MS / 1000} s`);
    await sleep(5);
  }
}

/**
 * Dispatches one run at a time; each run's command creates a file named by its environment, and
 * the time to that file's creation (inotify) is the dispatch latency: API, decision, launch, the
 * process itself.
 */
async function dispatchLatencies(api: ApiClient, jobId: string, marks: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < DISPATCHES; i++) {
    const name = `run-${i}`;
    const appeared = new Promise<number>((resolve, reject) => {
      const watcher = watch(marks, (_event, file) => {
        if (file !== name) return;
        watcher.close();
        clearTimeout(timer);
        resolve(performance.now());
      });
      const timer = setTimeout(() => {
        watcher.close();
        reject(new Error(`run ${i} did not start within ${MARK_TIMEOUT_MS / 1000} s`));
      }, MARK_TIMEOUT_MS);
    });
    const since = performance.now();
    const reply = await api.call('POST', `/api/jobs/${jobId}/runs`, { environment_variables: { MARK_FILE: join(marks, name) } });
    if (reply.status !== 202) throw new Error(`dispatch answered ${reply.status}: ${JSON.stringify(reply.json)}`);
    latencies.push((await appeared) - since);
  }
  return latencies;
}

export async function measureDataPlane(progress: (message: string) => void): Promise<DataPlaneResults> {
  const results = await measureRunningPlatform(progress);
  if (process.env.BENCH_HISTORY === 'off') return results;
  return { ...results, ready_with_history: await measureReadyWithHistory(progress) };
}

async function measureRunningPlatform(progress: (message: string) => void): Promise<DataPlaneResults> {
  const seconds = Number(process.env.BENCH_DATA_PLANE_SECONDS ?? 5);
  const workDir = mkdtempSync(join(tmpdir(), 'cassini-bench-data-plane-'));
  // Tasks run as users of their own under root: the marks directory must be theirs to write.
  const marksDir = join(workDir, 'marks');
  mkdirSync(marksDir);
  chmodSync(marksDir, 0o1777);
  chmodSync(workDir, 0o755);
  const token = `bench-${randomBytes(16).toString('hex')}`;
  const backend = await startNodeProgram(TRIVIAL_BACKEND);
  const baseline = await startNodeProgram(BASELINE_PROXY, { TARGET_PORT: String(backend.port) });
  const platform = await startPlatformProcess({ dataDir: join(workDir, 'data'), adminToken: token });
  progress(`data_plane: npm start ready in ${platform.readyMs.toFixed(0)} ms on an empty data directory`);
  try {
    const api = apiClient(platform.url, token);
    const deployment = await api.apply('deployment', { name: 'bench-echo', command: backendCommand() });
    const host = new URL(deployment.url!).host;
    const deploymentStartMs = await startToHealthy(api, deployment.id, host, platform.url, token);
    progress(`data_plane: deployment healthy ${deploymentStartMs.toFixed(0)} ms after its start`);

    const proxied = { url: `${platform.url}/`, connections: PROXY_CONNECTIONS, seconds };
    const direct = await load({ url: `${backend.url}/`, connections: PROXY_CONNECTIONS, seconds });
    const baselineProxy = await load({ url: `${baseline.url}/`, connections: PROXY_CONNECTIONS, seconds });
    const cassiniToken = await load({ ...proxied, headers: { host, authorization: `Bearer ${token}` } });
    const cassiniCookie = await load({ ...proxied, headers: { host, cookie: `cassini_session=${encodeURIComponent(token)}` } });
    progress('data_plane: proxy measured');

    const jobIds: string[] = [];
    for (let i = 0; i < LISTED_JOBS; i++) jobIds.push((await api.apply('job', { name: `bench-job-${i}`, command: 'true' })).id);
    const authorized = { connections: API_CONNECTIONS, seconds, headers: { authorization: `Bearer ${token}` } };
    const apiUser = await load({ ...authorized, url: `${platform.url}/api/user` });
    const apiRecipes = await load({ ...authorized, url: `${platform.url}/api/recipes?type=job` });
    progress('data_plane: API measured');

    const dispatchJob = await api.apply('job', { name: 'bench-dispatch', command: ': > "$MARK_FILE"' });
    const dispatchP50 = percentile(await dispatchLatencies(api, dispatchJob.id, marksDir), 50);
    progress(`data_plane: dispatch p50 ${dispatchP50.toFixed(0)} ms`);

    const burstJob = await api.apply('job', { name: 'bench-burst', command: 'true' });
    const burstOneJob = await burst(api, Array.from({ length: BURST }, () => burstJob.id));
    progress(`data_plane: burst to one job: ${burstOneJob.accepted}/${BURST} accepted, ${burstOneJob.finished} finished`);
    for (let i = LISTED_JOBS; i < BURST; i++) jobIds.push((await api.apply('job', { name: `bench-job-${i}`, command: 'true' })).id);
    const burstSpread = await burst(api, jobIds.slice(0, BURST));
    progress(`data_plane: burst over ${BURST} jobs: ${burstSpread.accepted}/${BURST} accepted, ${burstSpread.finished} finished`);

    return {
      load: { direct, baseline_proxy: baselineProxy, cassini_proxy_token: cassiniToken, cassini_proxy_cookie: cassiniCookie, api_user: apiUser, api_recipes_jobs: apiRecipes },
      proxy_ratio: Number((cassiniToken.requests_per_second / baselineProxy.requests_per_second).toFixed(3)),
      dispatch_p50_ms: Math.round(dispatchP50),
      deployment_start_to_healthy_ms: Math.round(deploymentStartMs),
      burst_one_job: burstOneJob,
      burst_spread: burstSpread,
      ready_empty_ms: Math.round(platform.readyMs),
    };
  } finally {
    await platform.stop();
    await baseline.stop();
    await backend.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
