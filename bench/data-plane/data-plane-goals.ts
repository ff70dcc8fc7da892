/**
 * The data plane's goals (issue 13), checked against a run. Reported, not enforced: the figures
 * come from a shared machine, so a FAIL is for a human to read beside the baseline's figures.
 */
import type { GoalResult } from '../goals.ts';
import { BURST, type DataPlaneResults } from './data-plane.ts';

const MIN_PROXY_RATIO = 0.7;
const MAX_PROXY_P99_MS = 10;
const MIN_API_USER_RPS = 5000;
const MIN_API_RECIPES_RPS = 3000;
const MAX_API_P99_MS = 20;
const MAX_DISPATCH_P50_MS = 50;
const MAX_BURST_P99_MS = 1000;
const MAX_READY_GROWTH = 2;

export function dataPlaneGoals(results: DataPlaneResults): GoalResult[] {
  const { load } = results;
  const proxy = load.cassini_proxy_token;
  const one = results.burst_one_job;
  const goals: GoalResult[] = [
    {
      pass: results.proxy_ratio >= MIN_PROXY_RATIO && proxy.p99_ms <= MAX_PROXY_P99_MS,
      text: `Cassini proxy with a token >= ${MIN_PROXY_RATIO}x the baseline's requests/s (${results.proxy_ratio}x: ${proxy.requests_per_second} vs ${load.baseline_proxy.requests_per_second}), p99 <= ${MAX_PROXY_P99_MS} ms (${proxy.p99_ms} ms)`,
    },
    {
      pass: load.api_user.requests_per_second >= MIN_API_USER_RPS && load.api_user.p99_ms <= MAX_API_P99_MS,
      text: `GET /api/user >= ${MIN_API_USER_RPS} requests/s (${load.api_user.requests_per_second}), p99 <= ${MAX_API_P99_MS} ms (${load.api_user.p99_ms} ms)`,
    },
    {
      pass: load.api_recipes_jobs.requests_per_second >= MIN_API_RECIPES_RPS && load.api_recipes_jobs.p99_ms <= MAX_API_P99_MS,
      text: `GET /api/recipes?type=job >= ${MIN_API_RECIPES_RPS} requests/s (${load.api_recipes_jobs.requests_per_second}), p99 <= ${MAX_API_P99_MS} ms (${load.api_recipes_jobs.p99_ms} ms)`,
    },
    { pass: results.dispatch_p50_ms <= MAX_DISPATCH_P50_MS, text: `dispatch p50 <= ${MAX_DISPATCH_P50_MS} ms (${results.dispatch_p50_ms} ms)` },
    {
      pass: one.accepted === BURST && one.distinct_runs === BURST && one.finished === BURST && one.p99_ms <= MAX_BURST_P99_MS,
      text: `${BURST} concurrent dispatches to one job: all accepted (${one.accepted}), distinct (${one.distinct_runs}) and finished (${one.finished}), p99 <= ${MAX_BURST_P99_MS} ms (${Math.round(one.p99_ms)} ms)`,
    },
  ];
  const history = results.ready_with_history;
  if (history !== undefined) {
    for (const [after, ms] of [['a clean stop', history.after_clean_stop_ms], ['a crash', history.after_crash_ms]] as const) {
      const growth = ms / history.empty_ms;
      goals.push({
        pass: growth <= MAX_READY_GROWTH,
        text: `ready after ${after} with ${history.resources} resources and ${history.runs} finished runs within ${MAX_READY_GROWTH}x of the empty start (${growth.toFixed(2)}x: ${ms} vs ${history.empty_ms} ms, medians)`,
      });
    }
  }
  for (const [name, figures] of Object.entries(load)) {
    if (figures.failures > 0) {
      const kinds = figures.failure_kinds;
      goals.push({ pass: false, text: `${name}: every answer a 2xx (${figures.failures} were not: ${kinds['4xx']} 4xx, ${kinds['5xx']} 5xx, ${kinds.errors} connection errors)` });
    }
  }
  return goals;
}
