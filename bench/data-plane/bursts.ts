/**
 * Bursts of dispatches: `POST /api/jobs/{id}/runs` sent all at once with distinct
 * Idempotency-Keys, to one job or spread over many, then followed until every accepted run has
 * finished. What a pipeline fanning out work does, and what a queue system accepts whole.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { percentile } from '../percentiles.ts';
import type { ApiClient } from './api-client.ts';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'skipped', 'timed_out']);
const FINISH_TIMEOUT_MS = 180_000;

export interface BurstFigures {
  requests: number;
  accepted: number;
  /** Status code → how many answered it, for everything but 202. */
  refused: Record<string, number>;
  distinct_runs: number;
  /** Accepted runs that had finished when the bench stopped waiting. */
  finished: number;
  p50_ms: number;
  p99_ms: number;
}

async function runStatuses(api: ApiClient, jobId: string): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  let nextKey: string | null = null;
  do {
    const reply = await api.call('GET', `/api/jobs/${jobId}/runs${nextKey ? `?next_key=${encodeURIComponent(nextKey)}` : ''}`);
    if (reply.status !== 200) throw new Error(`listing runs of ${jobId} answered ${reply.status}`);
    for (const run of reply.json.runs as Array<{ id: string; status: string }>) statuses.set(run.id, run.status);
    nextKey = reply.json.next_key as string | null;
  } while (nextKey);
  return statuses;
}

/** Sends one dispatch per entry of `jobIds` at once; waits for the accepted runs to finish. */
export async function burst(api: ApiClient, jobIds: string[]): Promise<BurstFigures> {
  const replies = await Promise.all(
    jobIds.map(async (jobId) => ({ jobId, reply: await api.call('POST', `/api/jobs/${jobId}/runs`, {}, { 'idempotency-key': randomUUID() }) })),
  );
  const refused: Record<string, number> = {};
  const runs = new Map<string, string>();
  for (const { jobId, reply } of replies) {
    if (reply.status === 202) runs.set(reply.json.run.id as string, jobId);
    else refused[reply.status] = (refused[reply.status] ?? 0) + 1;
  }
  const latencies = replies.map(({ reply }) => reply.ms).sort((a, b) => a - b);
  const jobs = [...new Set(runs.values())];
  const deadline = performance.now() + FINISH_TIMEOUT_MS;
  let finished: number;
  for (;;) {
    const statuses = new Map<string, string>();
    for (const jobId of jobs) for (const [id, status] of await runStatuses(api, jobId)) statuses.set(id, status);
    finished = [...runs.keys()].filter((id) => FINISHED.has(statuses.get(id) ?? '')).length;
    if (finished === runs.size || performance.now() > deadline) break;
    await new Promise((done) => setTimeout(done, 500));
  }
  return {
    requests: jobIds.length,
    accepted: replies.filter(({ reply }) => reply.status === 202).length,
    refused,
    distinct_runs: runs.size,
    finished,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
  };
}
