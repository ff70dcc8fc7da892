/**
 * The targets the event store was designed for, checked against a run. They are reported,
 * not enforced: timings on a shared machine are noisy, so a FAIL is for a human to read.
 */
import type { BenchResults } from './results.ts';
import { HISTORIES } from './results.ts';

export interface GoalResult {
  pass: boolean;
  text: string;
}

const MAX_ROUND_TRIPS = 2;
const MAX_GROWTH_AT_10000 = 1.3;
const MAX_OVER_FLOOR = 1.5;
const MIN_SPEEDUP_OVER_CASTORE = 10;

export function evaluateGoals(results: BenchResults): GoalResult[] {
  const { ours, castore, floor_p50_ms: floor } = results.event_store;
  const worstTrips = Math.max(...HISTORIES.map((h) => ours[h].round_trips));
  const growth = ours['10000'].p50_ms / ours['1'].p50_ms;
  const overFloor = Math.max(...HISTORIES.map((h) => ours[h].p50_ms)) / floor;
  const speedup = castore['10000'].p50_ms / ours['10000'].p50_ms;
  return [
    {
      pass: worstTrips <= MAX_ROUND_TRIPS,
      text: `round trips per command <= ${MAX_ROUND_TRIPS} at every history length (worst ${worstTrips})`,
    },
    {
      pass: growth <= MAX_GROWTH_AT_10000,
      text: `p50 at 10,000 events within ${MAX_GROWTH_AT_10000}x of p50 at 1 (${growth.toFixed(2)}x)`,
    },
    {
      pass: overFloor <= MAX_OVER_FLOOR,
      text: `p50 within ${MAX_OVER_FLOOR}x of the floor at every history length (worst ${overFloor.toFixed(2)}x of ${floor} ms)`,
    },
    {
      pass: speedup >= MIN_SPEEDUP_OVER_CASTORE,
      text: `at least ${MIN_SPEEDUP_OVER_CASTORE}x faster than Castore at 10,000 events (${speedup.toFixed(1)}x)`,
    },
  ];
}
