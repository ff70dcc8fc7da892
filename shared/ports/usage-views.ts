/**
 * The usage read model: each stream's usage fold (usage-intervals.ts) as of a stream version.
 * Writes never go backwards, so redelivery and reordering do no harm.
 */
import type { UsageStreamState } from '../domain/usage/usage-intervals.ts';

export interface UsageViews {
  get(streamId: string): Promise<UsageStreamState | undefined>;
  /** Stores the fold unless one of a newer stream version is there. */
  put(streamId: string, usage: UsageStreamState): Promise<void>;
  /** Every stream's fold, for the usage routes and the limits' windows. */
  all(): Promise<UsageStreamState[]>;
  /** Drops every fold: the first step of a rebuild. */
  clear(): Promise<void>;
}
