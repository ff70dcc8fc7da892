/**
 * Usage folds held in memory in front of durable ones, for a process that is the only writer of
 * its views (the local control plane): read once at start, then every write goes to the
 * durable views first and, once stored, to memory, so `GET /api/user`'s limit windows and the
 * usage answers read no table, and a restart finds what was written. The same rules as the
 * durable adapter (a write never goes backwards) and the same order (by stream id), held to the
 * same contract tests. Folds are frozen as they enter: callers get the objects held here.
 *
 * There is a fold per run ever made, so reading them all takes time that grows with history
 * (about two seconds for 100,000 runs here). `readInBackground` answers at once and reads them
 * behind: a fold asked for meanwhile is read from the durable views on its own, a write is held at
 * once, and only what needs every fold (`all()`: the usage answers, the limits' windows) waits for
 * the read to finish. A start is then ready before its usage history is read.
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

  /** Resolves once every durable fold has been read (rejects if the read failed). */
  readonly loaded: Promise<void>;
  #loading = true;

  private constructor(private readonly durable: DurableUsageViews) {
    this.loaded = this.#readAll().finally(() => (this.#loading = false));
  }

  /** Reads every durable fold once, then answers. */
  static async load(durable: DurableUsageViews): Promise<MemoryUsageViews> {
    const views = new MemoryUsageViews(durable);
    await views.loaded;
    return views;
  }

  /** Answers at once, reading the durable folds behind; `onError` hears if that read fails (`all()` then fails too). */
  static readInBackground(durable: DurableUsageViews, onError: (error: unknown) => void): MemoryUsageViews {
    const views = new MemoryUsageViews(durable);
    views.loaded.catch(onError);
    return views;
  }

  async #readAll(): Promise<void> {
    // A fold written since the read began is newer than the table's: the read never takes it back.
    for await (const entry of this.durable.entries()) if (this.#isNewer(entry.streamId, entry.usage)) this.#hold(entry.streamId, entry.usage);
  }

  async get(streamId: string): Promise<UsageStreamState | undefined> {
    const held = this.#folds.get(streamId);
    if (held !== undefined || !this.#loading) return held;
    const stored = await this.durable.get(streamId);
    return stored === undefined ? undefined : deepFreeze(stored);
  }

  async put(streamId: string, usage: UsageStreamState): Promise<void> {
    if (!this.#isNewer(streamId, usage)) return;
    await this.durable.put(streamId, usage);
    // Another write may have landed while this one was stored: the newest still wins.
    if (this.#isNewer(streamId, usage)) this.#hold(streamId, structuredClone(usage));
  }

  async all(): Promise<UsageStreamState[]> {
    await this.loaded;
    // Frozen too: every caller gets this one array until the next write.
    this.#ordered ??= Object.freeze([...this.#folds.keys()].sort().map((streamId) => this.#folds.get(streamId)!)) as UsageStreamState[];
    return this.#ordered;
  }

  async clear(): Promise<void> {
    await this.loaded;
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
