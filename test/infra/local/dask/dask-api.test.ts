/**
 * Dask clusters through the local platform's HTTP API (`startLocalPlatform`, the same wiring as
 * `npm start`), with a fake `dask` first on PATH: a job's run starts its cluster, the run's
 * command gets DASK_SCHEDULER_ADDRESS, GET /dask describes it, POST /dask/scale changes it and
 * is recorded, the run's end stops it; without dask the cluster is unavailable and the job runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../../infra/local/local-platform.ts';
import { DASK_MISSING_REASON } from '../../../../infra/local/dask/dask-on-path.ts';
import { connectedWorkers, daskProcesses, isAlive, makeFakeDask, pathWithOnly, type FakeDask } from './fake-dask.ts';
import { waitUntil } from '../../../support/wait-until.ts';

const TOKEN = 'dask-api-admin-token';
const originalPath = process.env.PATH;
let fake: FakeDask;
let platform: LocalPlatform;

interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

async function api(method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function applyJob(name: string, spec: Record<string, unknown>): Promise<string> {
  const reply = await api('PUT', '/api/recipes', { type: 'job', spec: { name, ...spec } });
  expect(reply.status, JSON.stringify(reply.json)).toBe(201);
  return reply.json.state.id as string;
}

async function runLog(jobId: string, runId: string): Promise<string[]> {
  const reply = await api('GET', `/api/jobs/${jobId}/logs?format=lines&pod_name=${runId}-0`);
  return (reply.json.logs as Array<{ message: string }>).map((l) => l.message);
}

beforeAll(async () => {
  fake = makeFakeDask();
  process.env.PATH = `${fake.bin}:${originalPath}`;
  platform = await startLocalPlatform({ port: 0, stopGraceMs: 1_000 });
  await platform.services.identity.bootstrapAdmin(TOKEN);
});

afterAll(async () => {
  await platform?.close();
  process.env.PATH = originalPath;
});

describe('a Dask cluster attached to a job', () => {
  it('starts with the run, reaches its command, scales, and stops with it', async () => {
    // Prepare
    const id = await applyJob('dask-job', {
      command: 'echo "dask at $DASK_SCHEDULER_ADDRESS, encryption $DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"; sleep 30',
      dask_cluster: { num_workers: 2, worker: { num_processes: 1, num_threads: 2 } },
    });
    const idle = await api('GET', `/api/jobs/${id}/dask`);
    expect(idle).toEqual({ status: 200, json: { status: 'stopped', scheduler_address: null, dashboard_url: null, num_workers: 2, running_workers: 0 } });

    // Act: a run
    const run = await api('POST', `/api/jobs/${id}/runs`, {});
    expect(run.status).toBe(202);
    const runId = run.json.run.id as string;

    // Assess: the cluster runs and the command got its address
    // A scheduler and two workers, each a process started as a task's own user: seconds on a busy machine.
    const running = await waitUntil('the cluster to run with 2 workers', () => api('GET', `/api/jobs/${id}/dask`), (r) => r.json.status === 'running' && r.json.running_workers === 2, 30_000);
    expect(running.json).toMatchObject({ status: 'running', num_workers: 2, running_workers: 2, scheduler_address: expect.stringMatching(/^tls:\/\/127\.0\.0\.1:\d+$/) });
    const address = running.json.scheduler_address as string;
    const log = await waitUntil('the run to print the address it was given', () => runLog(id, runId), (lines) => lines.some((line) => line.startsWith('dask at ')));
    // Over TLS with the cluster's own credentials: the run is told to require it, and the workers' handshakes completed.
    expect(log).toContain(`dask at ${address}, encryption True`);
    expect(await waitUntil('2 workers to connect', () => connectedWorkers(running.json.dashboard_url.replace('/status', '/')), (n) => n === 2)).toBe(2);

    // Act: scale
    const scaled = await api('POST', `/api/jobs/${id}/dask/scale`, { num_workers: 3 });

    // Assess: recorded, and the runtime follows
    expect(scaled.status, JSON.stringify(scaled.json)).toBe(200);
    expect(scaled.json).toMatchObject({ status: 'running', num_workers: 3, running_workers: 3, scheduler_address: address });
    const events = await api('GET', `/api/jobs/${id}/events`);
    expect(events.json.events.filter((e: { type: string }) => e.type === 'DaskClusterScaled').map((e: { data: unknown }) => e.data)).toEqual([{ num_workers: 3 }]);
    expect((await api('POST', `/api/jobs/${id}/dask/scale`, { num_workers: 3 })).json.num_workers).toBe(3);
    expect((await api('GET', `/api/jobs/${id}/events`)).json.events.filter((e: { type: string }) => e.type === 'DaskClusterScaled')).toHaveLength(1);

    // Act: the job stops, its run is cancelled
    expect((await api('POST', `/api/jobs/${id}/stop`)).status).toBe(200);

    // Assess: the cluster stopped with it, and no dask process is left
    const stopped = await waitUntil('the cluster to stop', () => api('GET', `/api/jobs/${id}/dask`), (r) => r.json.status === 'stopped');
    expect(stopped.json).toEqual({ status: 'stopped', scheduler_address: null, dashboard_url: null, num_workers: 3, running_workers: 0 });
    expect(await waitUntil('every dask process to end', () => daskProcesses(fake).filter((p) => isAlive(p.pid)), (ps) => ps.length === 0)).toEqual([]);
  }, 60_000);

  it('refuses a scale out of 0..500 with the field, and a resource without a cluster with 409', async () => {
    // Prepare
    const withCluster = await applyJob('dask-bounds', { command: 'true', dask_cluster: { num_workers: 1 } });
    const without = await applyJob('no-dask', { command: 'true' });

    // Act
    const tooMany = await api('POST', `/api/jobs/${withCluster}/dask/scale`, { num_workers: 501 });
    const negative = await api('POST', `/api/jobs/${withCluster}/dask/scale`, { num_workers: -1 });
    const noCluster = await api('POST', `/api/jobs/${without}/dask/scale`, { num_workers: 1 });
    const describeNone = await api('GET', `/api/jobs/${without}/dask`);
    const unknown = await api('GET', `/api/jobs/${'0'.repeat(31)}1/dask`);

    // Assess
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.details).toEqual([{ path: 'num_workers', message: expect.any(String) }]);
    expect(negative.status).toBe(400);
    expect(noCluster.status).toBe(409);
    expect(noCluster.json.message).toMatch(/no Dask cluster/);
    expect(describeNone.status).toBe(409);
    expect(unknown.status).toBe(404);
  });

  it('is unavailable, with the reason, where dask is not installed, and the job still runs', async () => {
    // Prepare: a PATH with what the job's command runs and nothing else, so no `dask` of the machine's is found
    process.env.PATH = pathWithOnly(['sleep']);
    try {
      const id = await applyJob('dask-missing', { command: 'echo "address=${DASK_SCHEDULER_ADDRESS:-none}"; sleep 2', dask_cluster: { num_workers: 2 } });

      // Act
      const run = await api('POST', `/api/jobs/${id}/runs`, {});
      const runId = run.json.run.id as string;

      // Assess
      const described = await waitUntil('the cluster to be unavailable', () => api('GET', `/api/jobs/${id}/dask`), (r) => r.json.status === 'unavailable');
      expect(described.json).toEqual({ status: 'unavailable', scheduler_address: null, dashboard_url: null, num_workers: 2, running_workers: 0, reason: DASK_MISSING_REASON });
      const finished = await waitUntil('the run to succeed', () => api('GET', `/api/jobs/${id}/runs/${runId}`), (r) => r.json?.run?.status === 'succeeded' || r.json?.status === 'succeeded', 15_000);
      expect(JSON.stringify(finished.json)).toContain('succeeded');
      expect(await runLog(id, runId)).toContain('address=none');
    } finally {
      process.env.PATH = `${fake.bin}:${originalPath}`;
    }
  });
});
