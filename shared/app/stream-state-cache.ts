/**
 * Streams' current states held in memory, so that what every request needs (its token, its
 * user) costs no store read once it has been read. Authentication uses it: a token's stream and
 * its user's stream, and the streams of the tokens it descends from.
 *
 * Kept current by the appends of this process: `watching(store)` wraps the event store so that
 * every append drops the stream's entry, before the write (nothing read from then on is kept)
 * and again once it is durable (nothing read during it is kept). Whatever event a stream gains
 * — a token revoked, a user locked, regrouped or removed, events this code has never heard of —
 * the next read is a fresh one. Locally the control plane is its store's only writer, so its
 * cache is never stale, and a revocation is refused on the very next request.
 *
 * Where other processes write too (API Lambda instances), their appends are not seen here:
 * `maxAgeMs` bounds how long an entry is trusted, which bounds how long a revocation made
 * elsewhere can go unnoticed. Expiry needs no event: the cache holds states, and what they mean
 * at "now" (expired or not) is decided on every request.
 */
import type { DomainEvent } from '../../events/envelope.ts';
import type { AppendRequest, CommittedBatch, EventStore } from '../ports/event-store.ts';
import { loadState, type StreamModel } from './command-runner.ts';

/** Enough for every token and user of a large installation; beyond it the least recently used go. */
export const DEFAULT_MAX_ENTRIES = 10_000;

export interface StreamStateCacheOptions {
  maxEntries?: number;
  /** How long an entry is trusted; forever when absent (a single writer sees every append). */
  maxAgeMs?: number;
  nowMs?: () => number;
}

interface Entry {
  schema: number;
  state: unknown;
  loadedAtMs: number;
}

/** A read under way: loads of the same stream that arrive meanwhile wait for it instead of reading again. */
interface Loading {
  schema: number;
  state: Promise<unknown>;
}

export class StreamStateCache {
  readonly #entries = new Map<string, Entry>();
  /**
   * The latest read under way per stream: only it may fill the entry, and loads that arrive
   * while it runs share it (a cold stream under concurrent requests is read once, not once per
   * request). An append cancels it: loads from then on read afresh.
   */
  readonly #loading = new Map<string, Loading>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  /** Counts forgotten streams: what was derived from this cache's states holds while it has not moved. */
  #generation = 0;
  readonly #nowMs: () => number;

  constructor(options: StreamStateCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#maxAgeMs = options.maxAgeMs ?? Number.POSITIVE_INFINITY;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** The stream's current state: from memory when this cache holds it, else one read of the store. */
  async load<C, E extends DomainEvent, S>(store: EventStore, model: StreamModel<C, E, S>): Promise<S> {
    const id = model.streamId;
    const entry = this.#entries.get(id);
    if (entry && entry.schema === model.snapshotSchema && this.#nowMs() - entry.loadedAtMs < this.#maxAgeMs) {
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.#entries.delete(id);
      this.#entries.set(id, entry);
      return entry.state as S;
    }
    const underWay = this.#loading.get(id);
    if (underWay && underWay.schema === model.snapshotSchema) return underWay.state as Promise<S>;
    const loadedAtMs = this.#nowMs();
    const ticket: Loading = { schema: model.snapshotSchema, state: loadState(store, model).then((loaded) => loaded.state) };
    this.#loading.set(id, ticket);
    let state: S;
    try {
      state = (await ticket.state) as S;
    } catch (error) {
      if (this.#loading.get(id) === ticket) this.#loading.delete(id);
      throw error;
    }
    if (this.#loading.get(id) === ticket) {
      this.#loading.delete(id);
      this.#entries.delete(id);
      this.#entries.set(id, { schema: model.snapshotSchema, state, loadedAtMs });
      if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return state;
  }

  /** Forgets a stream: it gained events. */
  invalidate(streamId: string): void {
    this.#generation++;
    this.#entries.delete(streamId);
    this.#loading.delete(streamId);
  }

  /**
   * Moves whenever any stream gains events. Something computed from states this cache gave,
   * with the generation read before the first of them, is still what they say while the
   * generation is unchanged — when this cache sees every append (`seesEveryAppend`).
   */
  get generation(): number {
    return this.#generation;
  }

  /** No entry ages out: this process is its store's only writer, so every append passes through `watching`. */
  get seesEveryAppend(): boolean {
    return this.#maxAgeMs === Number.POSITIVE_INFINITY;
  }

  /** How many streams are held. */
  get size(): number {
    return this.#entries.size;
  }

  /** `store`, with every append forgetting its stream here. Every writer of this process must append through it. */
  watching(store: EventStore): EventStore {
    return {
      head: (streamId) => store.head(streamId),
      read: (streamId, after, limit) => store.read(streamId, after, limit),
      batchesAfter: (streamId, after) => store.batchesAfter(streamId, after),
      allBatches: () => store.allBatches(),
      append: async (streamId: string, request: AppendRequest): Promise<CommittedBatch> => {
        this.invalidate(streamId);
        try {
          return await store.append(streamId, request);
        } finally {
          this.invalidate(streamId);
        }
      },
    };
  }
}
