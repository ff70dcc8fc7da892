/**
 * Consumer checkpoints remembered in front of durable ones, for a process that is the only
 * writer of its checkpoints (the local control plane): each is read from the store once, then
 * answered from memory, and every advance goes to the store first and, once stored, to memory.
 * Every batch passes each consumer's checkpoint (deliver-in-order reads it, then advances it),
 * so this halves the store requests of every delivery. A checkpoint only moves forward, here as
 * in the store: a read that returns after an advance cannot take the remembered one back.
 *
 * A stream this process has just created (`streamCreated`) has no checkpoint anywhere yet: its
 * checkpoints are known to be 0 without a read (every run and every task token is a new stream).
 *
 * At most `capacity` checkpoints (and as many new streams) are remembered, the least recently
 * used forgotten first (a finished run's stream is not written again): forgetting costs one
 * read, never correctness.
 */
import type { Checkpoints } from '../../ports/checkpoints.ts';

export const DEFAULT_REMEMBERED_CHECKPOINTS = 20_000;

export class RememberedCheckpoints implements Checkpoints {
  readonly #known = new Map<string, number>();
  readonly #created = new Set<string>();

  constructor(
    private readonly durable: Checkpoints,
    private readonly capacity = DEFAULT_REMEMBERED_CHECKPOINTS,
  ) {}

  async get(consumer: string, streamId: string): Promise<number> {
    const key = keyOf(consumer, streamId);
    const known = this.#known.get(key);
    if (known !== undefined) return this.#remember(key, known);
    if (this.#created.has(streamId)) return this.#remember(key, 0);
    return this.#remember(key, await this.durable.get(consumer, streamId));
  }

  /** Says that this process wrote the stream's first batch just now: no consumer has handled any of it. */
  streamCreated(streamId: string): void {
    this.#created.add(streamId);
    if (this.#created.size > this.capacity) this.#created.delete(this.#created.values().next().value!);
  }

  async advance(consumer: string, streamId: string, version: number): Promise<void> {
    const key = keyOf(consumer, streamId);
    // Never back, so checkpoints written behind (write-behind-items.ts) are never put older than the table's.
    if (version <= (this.#known.get(key) ?? 0)) return;
    await this.durable.advance(consumer, streamId, version);
    this.#remember(key, version);
  }

  /** Keeps the higher of what is known and `version` as the most recently used; returns it. */
  #remember(key: string, version: number): number {
    const highest = Math.max(version, this.#known.get(key) ?? 0);
    this.#known.delete(key);
    this.#known.set(key, highest);
    if (this.#known.size > this.capacity) this.#known.delete(this.#known.keys().next().value!);
    return highest;
  }
}

function keyOf(consumer: string, streamId: string): string {
  return `${consumer}\n${streamId}`;
}
