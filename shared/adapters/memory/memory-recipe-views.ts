/**
 * Recipe views held in memory in front of durable ones, for a process that is the only writer of
 * its views (the local control plane): loaded once at start, then every write goes to the durable
 * views first and, once stored, to memory, so a listing reads no store at all and a restart finds
 * what was written. The same rules as the durable adapter (a write never goes backwards,
 * tombstones keep a removed resource from coming back) and the same listing order and cursors
 * (recipe-listing.ts), held to the same contract tests.
 *
 * Views are frozen as they enter: listings hand out the objects held here, so a caller that
 * tried to change one would throw rather than change what everyone else is shown.
 */
import type { RecipeKey, RecipePage, RecipeQuery, RecipeView, RecipeViews } from '../../ports/recipe-views.ts';
import type { RecipeEntry } from '../dynamodb/dynamodb-recipe-views.ts';
import { listPage, sortKey } from '../recipe-listing.ts';
import { deepFreeze } from './deep-freeze.ts';

/** Durable views that can hand over everything they hold. */
export interface DurableRecipeViews extends RecipeViews {
  entries(): AsyncIterable<RecipeEntry>;
}

interface Held {
  sk: string;
  key: RecipeKey;
  streamVersion: number;
  view?: RecipeView;
}

export class MemoryRecipeViews implements RecipeViews {
  /** Sorted by sort key, as the durable listing is. */
  readonly #sorted: Held[] = [];
  readonly #bySortKey = new Map<string, Held>();

  private constructor(private readonly durable: DurableRecipeViews) {}

  /** Reads every durable view and tombstone once. */
  static async load(durable: DurableRecipeViews): Promise<MemoryRecipeViews> {
    const views = new MemoryRecipeViews(durable);
    for await (const entry of durable.entries()) views.#hold(entry.key, entry.streamVersion, entry.view);
    return views;
  }

  async put(key: RecipeKey, view: RecipeView, streamVersion: number): Promise<void> {
    if (!this.#isNewer(key, streamVersion)) return;
    await this.durable.put(key, view, streamVersion);
    // Another write may have landed while this one was stored: the newest still wins.
    if (this.#isNewer(key, streamVersion)) this.#hold(key, streamVersion, structuredClone(view));
  }

  async remove(key: RecipeKey, streamVersion: number): Promise<void> {
    if (!this.#isNewer(key, streamVersion)) return;
    await this.durable.remove(key, streamVersion);
    if (this.#isNewer(key, streamVersion)) this.#hold(key, streamVersion, undefined);
  }

  list(query: RecipeQuery): Promise<RecipePage> {
    return listPage(query, async (_owner, prefix, after, limit) => {
      const views: RecipeView[] = [];
      let last: string | null = null;
      for (let i = after === null ? this.#firstAtOrAfter(prefix) : this.#firstAfter(after); i < this.#sorted.length && views.length < limit; i++) {
        const held = this.#sorted[i]!;
        if (!held.sk.startsWith(prefix)) break;
        if (!held.view) continue;
        if (query.type && held.key.type !== query.type) continue;
        if (query.namePrefix && !held.key.name.startsWith(query.namePrefix)) continue;
        views.push(held.view);
        last = held.sk;
      }
      // As DynamoDB's Limit does: a full step names where it stopped, even at the range's end.
      return { views, last: views.length >= limit ? last : null };
    });
  }

  async clear(): Promise<void> {
    await this.durable.clear();
    this.#sorted.length = 0;
    this.#bySortKey.clear();
  }

  #isNewer(key: RecipeKey, streamVersion: number): boolean {
    const held = this.#bySortKey.get(sortKey(key));
    return held === undefined || held.streamVersion < streamVersion;
  }

  #hold(key: RecipeKey, streamVersion: number, view: RecipeView | undefined): void {
    const sk = sortKey(key);
    const held: Held = { sk, key, streamVersion, ...(view ? { view: deepFreeze(view) } : {}) };
    const index = this.#firstAtOrAfter(sk);
    if (this.#sorted[index]?.sk === sk) this.#sorted[index] = held;
    else this.#sorted.splice(index, 0, held);
    this.#bySortKey.set(sk, held);
  }

  /** The index of the first key >= `sk` (binary search). */
  #firstAtOrAfter(sk: string): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#sorted[middle]!.sk < sk) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #firstAfter(sk: string): number {
    const index = this.#firstAtOrAfter(sk);
    return this.#sorted[index]?.sk === sk ? index + 1 : index;
  }
}
