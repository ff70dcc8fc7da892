/** The shape of `--json` output: what CI and the README's table read. */
import type { Summary } from './measure.ts';
import type { DataPlaneResults } from './data-plane/data-plane.ts';

export const HISTORIES = [1, 1000, 10000] as const;
export type History = (typeof HISTORIES)[number];

export type Numbers = Pick<Summary, 'p50_ms' | 'p99_ms' | 'round_trips'>;

export interface BenchResults {
  event_store: {
    floor_p50_ms: number;
    ours: Record<`${History}`, Numbers>;
    castore: Record<`${History}`, Numbers>;
  };
}

/** One Lambda function's bundle (bench/lambda-bundles.ts). */
export interface LambdaNumbers {
  /** Every JavaScript file of the bundle: the entry and all its chunks (source maps excluded). */
  bundle_bytes: number;
  /** What a cold start loads: the entry and the chunks it imports statically. */
  init_bytes: number;
  /** Module initialisation (importing the entry): median of the runs. */
  init_ms: number;
  init_min_ms: number;
  init_max_ms: number;
  /** Initialisation plus every lazily loaded chunk: the most one invocation can load, median. */
  full_load_ms: number;
}

/** The `--json` last line: whichever parts ran (`--only <part>`), all by default. */
export interface BenchReport {
  event_store?: BenchResults['event_store'];
  lambdas?: Record<string, LambdaNumbers>;
  data_plane?: DataPlaneResults;
}
