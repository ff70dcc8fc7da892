/**
 * Ready time with a history (issue 13: "ready after a restart with 10,000 resources and 100,000
 * finished runs in ≤ 2× the empty start"): `npm start` on a copy of the generated history
 * (history/history-data.ts), first started once to warm the file cache and stopped cleanly, then
 * SAMPLES times after a clean stop (SIGTERM) and SAMPLES times after a crash (SIGKILL of the
 * previous start once it was ready), beside SAMPLES starts on empty data directories taken in
 * between, so that all three meet the same load. Each start is timed from spawning the process to
 * the first `GET /api/status` that is not 503; each figure is the median of its samples, since
 * the machine is shared and one start can land on a burst of someone else's work. The usage folds
 * (one per run) are read after ready, behind (memory-usage-views.ts): after each start that
 * follows a clean stop, the bench also times how long after ready the usage answer (a week of
 * `GET /api/orgs/{id}/usage/daily`) takes to come back.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyDataDir } from './history/history-data.ts';
import { startPlatformProcess, type PlatformProcess } from './platform-process.ts';
import { performance } from 'node:perf_hooks';
import { percentile } from '../percentiles.ts';

const SAMPLES = 3;

export interface ReadyWithHistory {
  resources: number;
  runs: number;
  /** Median ready time of an empty data directory, measured between the starts below. */
  empty_ms: number;
  /** Median ready time after a clean stop (SIGTERM) of the same directory. */
  after_clean_stop_ms: number;
  /** Median ready time after SIGKILL of the same directory. */
  after_crash_ms: number;
  /** Median time from ready (after a clean stop) to the first answer of a week's usage: the usage history read behind. */
  usage_after_ready_ms: number;
}

/** From now until the usage of the last week is answered: what waits for every usage fold to be read. */
async function usageAnswered(url: string, token: string): Promise<number> {
  const since = performance.now();
  const headers = { authorization: `Bearer ${token}` };
  const { orgs } = (await (await fetch(`${url}/api/orgs`, { headers })).json()) as { orgs: Array<{ id: string }> };
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const response = await fetch(`${url}/api/orgs/${orgs[0]!.id}/usage/daily?start=${day(Date.now() - 7 * 86_400_000)}&end=${day(Date.now())}`, { headers });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`the usage answer was ${response.status}`);
  return performance.now() - since;
}

export async function measureReadyWithHistory(progress: (message: string) => void, size?: { resources: number; runs: number }): Promise<ReadyWithHistory> {
  const workDir = mkdtempSync(join(tmpdir(), 'cassini-bench-history-'));
  // Under root, tasks run as users of their own, and the data directory must be searchable by them.
  chmodSync(workDir, 0o755);
  try {
    const history = await historyDataDir(join(workDir, 'data'), progress, size);
    const start = () => startPlatformProcess({ dataDir: history.dataDir, adminToken: history.adminToken });
    let emptyDirs = 0;
    const emptyStart = async (): Promise<number> => {
      const empty = await startPlatformProcess({ dataDir: join(workDir, `empty-${emptyDirs++}`), adminToken: 'bench-empty-start-0123456789abcdef' });
      await empty.stop();
      return empty.readyMs;
    };
    const usage: number[] = [];
    const timed = async (started: PlatformProcess, end: 'stop' | 'kill', timeUsage = false): Promise<number> => {
      if (timeUsage) usage.push(await usageAnswered(started.url, history.adminToken));
      await (end === 'stop' ? started.stop() : started.kill());
      return started.readyMs;
    };
    await (await start()).stop();
    const empty: number[] = [];
    const clean: number[] = [];
    const crash: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      empty.push(await emptyStart());
      // The last start after a clean stop is killed: the first start after a crash follows it.
      clean.push(await timed(await start(), i === SAMPLES - 1 ? 'kill' : 'stop', true));
    }
    for (let i = 0; i < SAMPLES; i++) crash.push(await timed(await start(), 'kill'));
    const median = (values: number[]) => Math.round(percentile(values, 50));
    const figures = { resources: history.resources, runs: history.runs, empty_ms: median(empty), after_clean_stop_ms: median(clean), after_crash_ms: median(crash), usage_after_ready_ms: median(usage) };
    progress(`data_plane: ready (median of ${SAMPLES}): empty ${figures.empty_ms} ms; with history ${figures.after_clean_stop_ms} ms after a clean stop, ${figures.after_crash_ms} ms after a crash; usage answered ${figures.usage_after_ready_ms} ms after ready`);
    return figures;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
