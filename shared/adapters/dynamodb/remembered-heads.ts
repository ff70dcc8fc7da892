/**
 * Stream heads remembered in front of the DynamoDB event store, for a process that is its
 * store's only writer (the local control plane): a head read once, or written by an append of
 * this process, is answered from memory from then on. Every command loads its stream's head
 * before it decides, so a run's life (dispatch, queue, launch, start, exit, finish) and every
 * task token's checks read the table once per stream instead of once per command.
 *
 * Correct only where no other process appends: the conditional write still refuses a decision
 * taken on a stale head (`WrongExpectedVersionError`), and the head is then forgotten so the
 * retry reads the store, but a read that decides nothing would see the stale head. Never on
 * AWS, where API Lambda instances write side by side.
 *
 * A head is frozen as it enters, and callers get the object held here: one that tried to change
 * it would throw rather than change what every later reader is given (a copy per read cost more
 * than the read it saves, for a job holding many runs). A read from the store that overlapped an
 * append of its stream is not kept, so a slow read never puts an older head back.
 * At most `capacity` heads are kept, the least recently used forgotten first.
 */
import type { AppendRequest, CommittedBatch, EventStore, StreamHead } from '../../ports/event-store.ts';
import { recentCommandsAfter } from './batch-item.ts';
import { deepFreeze } from '../memory/deep-freeze.ts';

export const DEFAULT_REMEMBERED_HEADS = 20_000;

export class RememberedHeads implements EventStore {
  readonly #heads = new Map<string, StreamHead>();
  /** Reads of the store under way per stream; an append that begins or ends meanwhile taints them (they may have raced it). */
  readonly #readsUnderWay = new Map<string, Set<{ tainted: boolean }>>();
  readonly #appendsUnderWay = new Map<string, number>();

  constructor(
    private readonly store: EventStore,
    private readonly capacity = DEFAULT_REMEMBERED_HEADS,
  ) {}

  async head(streamId: string): Promise<StreamHead> {
    const known = this.#heads.get(streamId);
    if (known) {
      this.#touch(streamId, known);
      return known;
    }
    const read = { tainted: this.#appendsUnderWay.has(streamId) };
    const reads = this.#readsUnderWay.get(streamId) ?? new Set();
    this.#readsUnderWay.set(streamId, reads.add(read));
    try {
      const head = await this.store.head(streamId);
      if (read.tainted || this.#heads.has(streamId)) return head;
      this.#touch(streamId, deepFreeze(head));
      return head;
    } finally {
      reads.delete(read);
      if (reads.size === 0 && this.#readsUnderWay.get(streamId) === reads) this.#readsUnderWay.delete(streamId);
    }
  }

  async append(streamId: string, request: AppendRequest): Promise<CommittedBatch> {
    this.#appendBegins(streamId);
    try {
      const batch = await this.store.append(streamId, request);
      // The head the store now holds: the batch's snapshot, and the command ids its item keeps.
      const head: StreamHead = { version: batch.lastVersion, snapshot: request.snapshot, recentCommands: recentCommandsAfter(request, batch.lastVersion) };
      const known = this.#heads.get(streamId);
      // A copy: the caller's state object stays its own to change.
      if (!known || known.version < head.version) this.#touch(streamId, deepFreeze(structuredClone(head)));
      return batch;
    } catch (error) {
      // Lost a race, or the write's fate is unknown: the next read asks the store.
      this.#heads.delete(streamId);
      throw error;
    } finally {
      this.#appendEnds(streamId);
    }
  }

  read(streamId: string, afterVersion: number, limit: number) {
    return this.store.read(streamId, afterVersion, limit);
  }

  batchesAfter(streamId: string, afterVersion: number) {
    return this.store.batchesAfter(streamId, afterVersion);
  }

  allBatches() {
    return this.store.allBatches();
  }

  #appendBegins(streamId: string): void {
    this.#taintReads(streamId);
    this.#appendsUnderWay.set(streamId, (this.#appendsUnderWay.get(streamId) ?? 0) + 1);
  }

  #appendEnds(streamId: string): void {
    this.#taintReads(streamId);
    const underWay = this.#appendsUnderWay.get(streamId)! - 1;
    if (underWay === 0) this.#appendsUnderWay.delete(streamId);
    else this.#appendsUnderWay.set(streamId, underWay);
  }

  #taintReads(streamId: string): void {
    for (const read of this.#readsUnderWay.get(streamId) ?? []) read.tainted = true;
  }

  /** Keeps `head` as the stream's most recently used. */
  #touch(streamId: string, head: StreamHead): void {
    this.#heads.delete(streamId);
    this.#heads.set(streamId, head);
    if (this.#heads.size > this.capacity) this.#heads.delete(this.#heads.keys().next().value!);
  }
}
