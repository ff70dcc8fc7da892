/**
 * Ready time with a history (issue 13: "ready after a restart with 10,000 resources and 100,000
 * finished runs in ≤ 2× the empty start"): `npm start` on a copy of the generated history
 * (history/history-data.ts), started three times: once to warm the file cache, which it stops
 * cleanly; again, after that clean stop; then killed (SIGKILL) once up, and started after the
 * crash. Each start is timed from spawning the process to the first `GET /api/status` that is not 503.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyDataDir } from './history/history-data.ts';
import { startPlatformProcess } from './platform-process.ts';

export interface ReadyWithHistory {
  resources: number;
  runs: number;
  /** After a clean stop (SIGTERM) of the same directory. */
  after_clean_stop_ms: number;
  /** After SIGKILL of the same directory. */
  after_crash_ms: number;
}

export async function measureReadyWithHistory(progress: (message: string) => void, size?: { resources: number; runs: number }): Promise<ReadyWithHistory> {
  const workDir = mkdtempSync(join(tmpdir(), 'cassini-bench-history-'));
  // Under root, tasks run as users of their own, and the data directory must be searchable by them.
  chmodSync(workDir, 0o755);
  try {
    const history = await historyDataDir(join(workDir, 'data'), progress, size);
    const start = () => startPlatformProcess({ dataDir: history.dataDir, adminToken: history.adminToken });
    const first = await start();
    progress(`data_plane: with history, first start ready in ${first.readyMs.toFixed(0)} ms`);
    await first.stop();
    const clean = await start();
    progress(`data_plane: with history, ready in ${clean.readyMs.toFixed(0)} ms after a clean stop`);
    await clean.kill();
    const crashed = await start();
    progress(`data_plane: with history, ready in ${crashed.readyMs.toFixed(0)} ms after a crash`);
    await crashed.stop();
    return { resources: history.resources, runs: history.runs, after_clean_stop_ms: Math.round(clean.readyMs), after_crash_ms: Math.round(crashed.readyMs) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
