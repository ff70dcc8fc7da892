/**
 * The timing loop shared by every subject. Each iteration times one command and counts the
 * HTTP requests it made; then, untimed and uncounted, `reset` puts the stream back to the
 * history length under test, so every sample sees exactly the same history (otherwise the
 * "1 event" case of a replaying store would drift to hundreds of events during the run).
 *
 * Several subjects are measured round-robin, one sample each per round: dynalite runs in
 * this process, so JIT warm-up, GC and the machine's other load drift over a run, and
 * interleaving spreads that drift evenly instead of charging it to whoever ran first.
 */
import { performance } from 'node:perf_hooks';
import { percentile } from './percentiles.ts';
import type { RoundTripCounter } from './round-trip-counter.ts';

export interface Summary {
  p50_ms: number;
  p99_ms: number;
  /** Average HTTP requests per command, retries included. */
  round_trips: number;
  samples: number;
}

export interface Subject {
  /** The operation being timed. */
  run: () => Promise<void>;
  /** Undoes what `run` wrote; not timed, not counted. */
  reset: () => Promise<void>;
}

export interface MeasureOptions {
  iterations: number;
  warmup: number;
  /** Counts the requests of the client every subject uses; subjects run one at a time. */
  counter: RoundTripCounter;
}

export async function measure<K extends string>(subjects: Record<K, Subject>, options: MeasureOptions): Promise<Record<K, Summary>> {
  const { iterations, warmup, counter } = options;
  const names = Object.keys(subjects) as K[];
  for (let i = 0; i < warmup; i++) {
    for (const name of names) {
      await subjects[name].run();
      await subjects[name].reset();
    }
  }
  const times = new Map<K, number[]>(names.map((name) => [name, []]));
  const trips = new Map<K, number>(names.map((name) => [name, 0]));
  for (let i = 0; i < iterations; i++) {
    for (const name of names) {
      const before = counter.count;
      const start = performance.now();
      await subjects[name].run();
      times.get(name)!.push(performance.now() - start);
      trips.set(name, trips.get(name)! + counter.count - before);
      await subjects[name].reset();
    }
  }
  const out = {} as Record<K, Summary>;
  for (const name of names) {
    const samples = times.get(name)!;
    out[name] = {
      p50_ms: round(percentile(samples, 50), 3),
      p99_ms: round(percentile(samples, 99), 3),
      round_trips: round(trips.get(name)! / iterations, 2),
      samples: iterations,
    };
  }
  return out;
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
