/**
 * Usage folds held in memory in front of durable ones, for a process that is the only writer of
 * its views (the local control plane): loaded once at start, then every write goes to the
 * durable views first and, once stored, to memory, so `GET /api/user`'s limit windows and the
 * usage answers read no table, and a restart finds what was written. The same rules as the
 * durable adapter (a write never goes backwards) and the same order (by stream id), held to the
 * same contract tests. Folds are frozen as they enter: callers get the objects held here.
 */
import type { UsageViews } from '../../ports/usage-views.ts';
import type { UsageStreamState } from '../../domain/usage/usage-intervals.ts';
import type { UsageEntry } from '../dynamodb/dynamodb-usage-views.ts';
import { deepFreeze } from './deep-freeze.ts';

/** Durable views that can hand over everything they hold. */
export interface DurableUsageViews extends UsageViews {
  entries(): AsyncIterable<UsageEntry>;
}

export class MemoryUsageViews implements UsageViews {
  readonly #folds = new Map<string, UsageStreamState>();
  /** `all()`'s answer, in stream id order as the table gives it; rebuilt after a write. */
  #ordered: UsageStreamState[] | undefined;

  private constructor(private readonly durable: DurableUsageViews) {}

  /** Reads every durable fold once. */
  static async load(durable: DurableUsageViews): Promise<MemoryUsageViews> {
    const views = new MemoryUsageViews(durable);
    for await (const entry of durable.entries()) views.#hold(entry.streamId, entry.usage);
    return views;
  }

  async get(streamId: string): Promise<UsageStreamState | undefined> {
    return this.#folds.get(streamId);
  }

  async put(streamId: string, usage: UsageStreamState): Promise<void> {
    if (!this.#isNewer(streamId, usage)) return;
    await this.durable.put(streamId, usage);
    // Another write may have landed while this one was stored: the newest still wins.
    if (this.#isNewer(streamId, usage)) this.#hold(streamId, structuredClone(usage));
  }

  async all(): Promise<UsageStreamState[]> {
    // Frozen too: every caller gets this one array until the next write.
    this.#ordered ??= Object.freeze([...this.#folds.keys()].sort().map((streamId) => this.#folds.get(streamId)!)) as UsageStreamState[];
    return this.#ordered;
  }

  async clear(): Promise<void> {
    await this.durable.clear();
    this.#folds.clear();
    this.#ordered = undefined;
  }

  #isNewer(streamId: string, usage: UsageStreamState): boolean {
    const held = this.#folds.get(streamId);
    return held === undefined || held.version < usage.version;
  }

  #hold(streamId: string, usage: UsageStreamState): void {
    this.#folds.set(streamId, deepFreeze(usage));
    this.#ordered = undefined;
  }
}
