/**
 * Versioned items of the views table written behind, for a process that is the table's only
 * writer (the local control plane). A put is answered at once; within `delayMs`, every item put
 * meanwhile is written in one round of BatchWriteItem requests, each key once, at its newest
 * version. A run's every batch moves each consumer's checkpoint, its usage fold and its run view:
 * one round writes the lot in a request or two where each used to be a conditional PutItem.
 *
 * Who reads what is not yet written: the recipe and usage views and the checkpoints are answered
 * by memory fronts; the run and token views' listings first `flush()`; a checkpoint or usage fold
 * read from the table first looks at `pending`.
 *
 * Why unconditional writes are safe here: rounds run one after another, and each writes the
 * newest item of each key put so far. A key's versions are put in order: each stream's batches
 * reach its consumers one after another (the local feed), and the memory fronts refuse an older
 * version than they hold. The one exception is a start after a crash going over batches again
 * from a checkpoint, and it goes on to the stream's newest batch, whose version then wins. No
 * other process writes the table (the data directory's lock).
 *
 * What a crash loses is only what at-least-once delivery already allows, provided the caller keeps
 * its own record of a delivery until `persisted()` (the delivery journal keeps the stream's line):
 * - Checkpoints (`writeLast`) are written after every other item of their round, so a checkpoint
 *   in the table never runs ahead of the views its batches wrote.
 * - A consumer may then be given again batches it had handled but whose checkpoint was not
 *   written, and redoes their views.
 *
 * BatchWriteItem takes at most 25 put requests, no two for one key, and may hand some back
 * unprocessed: those are sent again. A round that fails keeps its items for the next round;
 * `persisted()` waits for them.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { ItemWriter } from './item-writer.ts';
import type { VersionAttribute, VersionedItem } from './put-if-newer.ts';

export const DEFAULT_WRITE_BEHIND_MS = 50;
/** The most put requests one BatchWriteItem takes. */
export const MAX_BATCH_WRITE_ITEMS = 25;
/** Sends of a request's unprocessed items before the round fails (and is tried again later). */
const UNPROCESSED_ATTEMPTS = 8;

export interface WriteBehindOptions {
  delayMs?: number;
  /** Items written only after every other item of their round: the checkpoints. */
  writeLast?: (item: VersionedItem) => boolean;
  /** A round that failed (its items wait for the next). */
  onError?: (error: unknown) => void;
  /** Waits between sends of unprocessed items; a short real timer by default. */
  pause?: (attempt: number) => Promise<void>;
}

export class WriteBehindItems implements ItemWriter {
  /** Items put and not yet in the table, by key: the newest of each. */
  readonly #pending = new Map<string, VersionedItem>();
  /** Puts so far, and how many of them are in the table. */
  #put = 0;
  #durable = 0;
  readonly #waiters: Array<{ upTo: number; resolve: () => void }> = [];
  #timer: NodeJS.Timeout | undefined;
  /** The round under way, if any: rounds never overlap. */
  #round: Promise<boolean> | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: WriteBehindOptions = {},
  ) {}

  async put<A extends VersionAttribute>(item: VersionedItem & Record<A, { N: string }>, versionAttribute: A): Promise<void> {
    const key = keyOf(item.pk.S, item.sk.S);
    const held = this.#pending.get(key);
    if (!held || Number(held[versionAttribute]?.N) < Number(item[versionAttribute].N)) this.#pending.set(key, item);
    this.#put++;
    this.#schedule();
  }

  pending(pk: string, sk: string): VersionedItem | undefined {
    return this.#pending.get(keyOf(pk, sk));
  }

  /** Resolves once every item put before this call is in the table. */
  persisted(): Promise<void> {
    if (this.#durable >= this.#put) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ upTo: this.#put, resolve }));
  }

  /** Writes everything now; throws if a round fails. */
  async flush(): Promise<void> {
    for (;;) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      if (this.#round) {
        await this.#round;
        continue;
      }
      if (this.#durable >= this.#put) return;
      if (!(await this.#startRound())) throw new Error(`writing the ${this.tableName} table's pending items failed; see the error logged before`);
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#round !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#startRound();
    }, this.options.delayMs ?? DEFAULT_WRITE_BEHIND_MS);
    this.#timer.unref();
  }

  #startRound(): Promise<boolean> {
    const round = this.#write().finally(() => {
      this.#round = undefined;
      if (this.#durable < this.#put) this.#schedule();
    });
    this.#round = round;
    return round;
  }

  /** One round: everything pending now, checkpoints last. True when all of it is in the table. */
  async #write(): Promise<boolean> {
    const upTo = this.#put;
    const round = [...this.#pending.entries()];
    const last = this.options.writeLast ?? (() => false);
    try {
      await this.#writeAll(round.filter(([, item]) => !last(item)).map(([, item]) => item));
      await this.#writeAll(round.filter(([, item]) => last(item)).map(([, item]) => item));
    } catch (error) {
      this.options.onError?.(error);
      return false;
    }
    // A key put again during the round stays pending at its newer version.
    for (const [key, written] of round) if (this.#pending.get(key) === written) this.#pending.delete(key);
    this.#durable = this.#pending.size === 0 ? this.#put : Math.max(this.#durable, upTo);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i]!.upTo <= this.#durable) this.#waiters.splice(i, 1)[0]!.resolve();
    }
    return true;
  }

  async #writeAll(items: VersionedItem[]): Promise<void> {
    const requests: Array<Promise<void>> = [];
    for (let i = 0; i < items.length; i += MAX_BATCH_WRITE_ITEMS) {
      requests.push(this.#batchWrite(items.slice(i, i + MAX_BATCH_WRITE_ITEMS).map((item) => ({ PutRequest: { Item: item } }))));
    }
    await Promise.all(requests);
  }

  async #batchWrite(writes: WriteRequest[]): Promise<void> {
    let unsent = writes;
    for (let attempt = 1; ; attempt++) {
      const { UnprocessedItems } = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: unsent } }));
      unsent = UnprocessedItems?.[this.tableName] ?? [];
      if (unsent.length === 0) return;
      if (attempt >= UNPROCESSED_ATTEMPTS) throw new Error(`${unsent.length} items of the ${this.tableName} table were left unprocessed ${attempt} times`);
      await (this.options.pause ?? backoff)(attempt);
    }
  }
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
}

function keyOf(pk: string, sk: string): string {
  return `${pk}\n${sk}`;
}
