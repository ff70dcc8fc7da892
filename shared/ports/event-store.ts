/**
 * The event store port. A stream is a sequence of events with versions 1..n, written in
 * batches (one batch per command). Every batch carries the snapshot of the stream's state
 * after it, so loading a stream reads one batch however long the history is.
 */
import type { DomainEvent, RecordedEvent } from '../../events/envelope.ts';

export interface Snapshot {
  /** The state's schema version; a snapshot of another version is ignored and the stream replayed. */
  schema: number;
  state: unknown;
}

export interface CommittedBatch {
  streamId: string;
  firstVersion: number;
  lastVersion: number;
  events: RecordedEvent[];
  /** When the store accepted the batch (ISO 8601). */
  committedAt: string;
  /** The stream's state after this batch. */
  snapshot: Snapshot;
}

export interface StreamHead {
  /** The stream's version: 0 when it has no events. */
  version: number;
  /** The snapshot written with the latest batch, when there is one. */
  snapshot: Snapshot | undefined;
  /** Ids of the latest commands applied to the stream, newest last, with the version each reached. */
  recentCommands: Array<{ id: string; version: number }>;
}

export interface AppendRequest {
  expectedVersion: number;
  events: DomainEvent[];
  snapshot: Snapshot;
  /** The idempotency key of the command; remembered so a repeat decides nothing. */
  commandId?: string;
  /** The head's `recentCommands`, carried forward with this batch. */
  recentCommands: StreamHead['recentCommands'];
}

export interface EventPage {
  events: RecordedEvent[];
  /** Pass as `afterVersion` to read on; undefined at the end of the stream. */
  nextAfterVersion: number | undefined;
}

/** Another writer appended first: reload and decide again. */
export class WrongExpectedVersionError extends Error {
  constructor(readonly streamId: string, readonly expectedVersion: number) {
    super(`stream ${streamId} moved past version ${expectedVersion}`);
  }
}

export interface EventStore {
  /** One read: the latest batch's version, snapshot and recent command ids. */
  head(streamId: string): Promise<StreamHead>;
  /**
   * One conditional write; throws WrongExpectedVersionError when the stream moved on.
   * `expectedVersion` must be a version `head` returned (a batch boundary): the condition is
   * that no batch starts right after it.
   */
  append(streamId: string, request: AppendRequest): Promise<CommittedBatch>;
  /** Events after a version, oldest first, at most `limit`. */
  read(streamId: string, afterVersion: number, limit: number): Promise<EventPage>;
  /** Whole batches after a version, oldest first: how consumers fill gaps. */
  batchesAfter(streamId: string, afterVersion: number): Promise<CommittedBatch[]>;
  /** Every batch of every stream, in no promised order (consumers fill gaps): for rebuilds and catch-up. */
  allBatches(): AsyncIterable<CommittedBatch>;
}
