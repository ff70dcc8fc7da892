/**
 * One load run with autocannon: a fixed number of connections for a fixed time against one
 * URL, reduced to what the data-plane table prints. Every answer must be a 2xx: a subject that
 * answers 401 or 502 quickly must not look fast.
 */
import autocannon from 'autocannon';

export interface LoadFigures {
  requests_per_second: number;
  p50_ms: number;
  p99_ms: number;
  /** Answers that were not 2xx, and connection errors: anything but 0 makes the figures worthless. */
  failures: number;
  /** What the failures were, to tell a refusal (4xx) from a replica off the route under load (5xx). */
  failure_kinds: { '4xx': number; '5xx': number; errors: number };
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

/**
 * How long each subject is driven, unmeasured, before its measured run: the first seconds of a
 * process's path are JIT compilation and connection pools filling. Without it the subject
 * measured first (the proxy with a token) came out at a third of the same path measured later.
 */
const WARM_UP_SECONDS = 1;

export async function load(options: LoadOptions): Promise<LoadFigures> {
  const settings = { url: options.url, connections: options.connections, headers: options.headers ?? {} };
  await autocannon({ ...settings, duration: WARM_UP_SECONDS });
  const result = await autocannon({ ...settings, duration: options.seconds });
  return {
    requests_per_second: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    failures: result.non2xx + result.errors,
    failure_kinds: { '4xx': result['4xx'], '5xx': result['5xx'], errors: result.errors },
  };
}
