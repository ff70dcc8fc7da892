/**
 * An event store held in a Map, for the history generator only: the platform's own services
 * decide every command against it in microseconds, where a round trip to dynalite costs
 * milliseconds, and each committed batch is also handed to `onCommit` (the durable copy). Only
 * the newest snapshot of a stream is kept: nothing reads an older one.
 */
import type { AppendRequest, CommittedBatch, EventPage, EventStore, StreamHead } from '../../../shared/ports/event-store.ts';
import { WrongExpectedVersionError } from '../../../shared/ports/event-store.ts';
import { REMEMBERED_COMMANDS } from '../../../shared/adapters/dynamodb/batch-item.ts';

interface Stream {
  batches: Array<Omit<CommittedBatch, 'snapshot'>>;
  head: StreamHead;
  newest: CommittedBatch;
}

export class MemoryEventStore implements EventStore {
  readonly #streams = new Map<string, Stream>();

  constructor(private readonly options: { now: () => Date; onCommit: (batch: CommittedBatch, request: AppendRequest) => Promise<void> }) {}

  /** Every stream's newest batch, in the order the streams were created. */
  *newestBatches(): Iterable<CommittedBatch> {
    for (const stream of this.#streams.values()) yield stream.newest;
  }

  /** A stream's newest batch. */
  newest(streamId: string): CommittedBatch | undefined {
    return this.#streams.get(streamId)?.newest;
  }

  async head(streamId: string): Promise<StreamHead> {
    return this.#streams.get(streamId)?.head ?? { version: 0, snapshot: undefined, recentCommands: [] };
  }

  async append(streamId: string, request: AppendRequest): Promise<CommittedBatch> {
    const stream = this.#streams.get(streamId);
    if ((stream?.head.version ?? 0) !== request.expectedVersion) throw new WrongExpectedVersionError(streamId, request.expectedVersion);
    const firstVersion = request.expectedVersion + 1;
    const lastVersion = request.expectedVersion + request.events.length;
    const batch: CommittedBatch = {
      streamId,
      firstVersion,
      lastVersion,
      committedAt: this.options.now().toISOString(),
      snapshot: request.snapshot,
      events: request.events.map((e, i) => ({ ...e, stream: streamId, version: firstVersion + i })),
    };
    const recentCommands = [...request.recentCommands, ...(request.commandId ? [{ id: request.commandId, version: lastVersion }] : [])].slice(-REMEMBERED_COMMANDS);
    const { snapshot: _held, ...withoutSnapshot } = batch;
    const next: Stream = { batches: [...(stream?.batches ?? []), withoutSnapshot], head: { version: lastVersion, snapshot: request.snapshot, recentCommands }, newest: batch };
    this.#streams.set(streamId, next);
    await this.options.onCommit(batch, request);
    return batch;
  }

  async read(streamId: string, afterVersion: number, limit: number): Promise<EventPage> {
    const events = (this.#streams.get(streamId)?.batches ?? []).flatMap((b) => b.events).filter((e) => e.version > afterVersion);
    const page = events.slice(0, limit);
    return { events: page, nextAfterVersion: events.length > limit ? page.at(-1)!.version : undefined };
  }

  async batchesAfter(streamId: string, afterVersion: number): Promise<CommittedBatch[]> {
    const stream = this.#streams.get(streamId);
    if (!stream) return [];
    return stream.batches.filter((b) => b.lastVersion > afterVersion).map((b) => ({ ...b, snapshot: b === stream.batches.at(-1) ? stream.head.snapshot! : { schema: -1, state: null } }));
  }

  async *allBatches(): AsyncIterable<CommittedBatch> {
    yield* this.newestBatches();
  }
}
