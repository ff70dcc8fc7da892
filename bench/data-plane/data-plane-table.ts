/** The data plane's figures as the bench's table rows. */
import type { DataPlaneResults } from './data-plane.ts';
import type { BurstFigures } from './bursts.ts';

const LABELS: Record<keyof DataPlaneResults['load'], string> = {
  direct: 'backend, direct',
  baseline_proxy: 'baseline Node proxy',
  cassini_proxy_token: 'Cassini proxy, bearer token',
  cassini_proxy_cookie: 'Cassini proxy, session cookie',
  api_user: 'GET /api/user',
  api_recipes_jobs: 'GET /api/recipes?type=job (100 jobs)',
};

export function dataPlaneRows(results: DataPlaneResults): string[][] {
  const baseline = results.load.baseline_proxy.requests_per_second;
  const rows = [['path', 'requests/s', 'p50 ms', 'p99 ms', 'x baseline', 'not 2xx']];
  for (const [key, label] of Object.entries(LABELS) as Array<[keyof DataPlaneResults['load'], string]>) {
    const figures = results.load[key];
    rows.push([label, String(figures.requests_per_second), String(figures.p50_ms), String(figures.p99_ms), (figures.requests_per_second / baseline).toFixed(2), String(figures.failures)]);
  }
  return rows;
}

function burstRow(label: string, figures: BurstFigures): string[] {
  const refused = Object.entries(figures.refused).map(([status, count]) => `${count}x${status}`).join(' ') || '-';
  return [label, `${figures.accepted}/${figures.requests}`, refused, String(figures.distinct_runs), String(figures.finished), figures.p50_ms.toFixed(0), figures.p99_ms.toFixed(0)];
}

export function dataPlaneEventRows(results: DataPlaneResults): string[][] {
  return [
    ['burst of dispatches', 'accepted', 'refused', 'distinct runs', 'finished', 'p50 ms', 'p99 ms'],
    burstRow('to one job', results.burst_one_job),
    burstRow(`spread over ${results.burst_spread.requests} jobs`, results.burst_spread),
    ['dispatch → process running, p50', `${results.dispatch_p50_ms} ms`, '', '', '', '', ''],
    ['deployment start → first 200', `${results.deployment_start_to_healthy_ms} ms`, '', '', '', '', ''],
    ['ready, empty data directory', `${results.ready_empty_ms} ms`, '', '', '', '', ''],
    ...(results.ready_with_history === undefined
      ? []
      : [
          ['ready, empty data directory (median of the starts between those with history)', `${results.ready_with_history.empty_ms} ms`, '', '', '', '', ''],
          [`ready, ${results.ready_with_history.resources} resources and ${results.ready_with_history.runs} runs, after a clean stop`, `${results.ready_with_history.after_clean_stop_ms} ms`, '', '', '', '', ''],
          ['ready, the same after a crash (SIGKILL)', `${results.ready_with_history.after_crash_ms} ms`, '', '', '', '', ''],
          ['usage answered after ready (its history read behind)', `${results.ready_with_history.usage_after_ready_ms} ms`, '', '', '', '', ''],
        ]),
  ];
}
