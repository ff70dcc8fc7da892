/**
 * At-least-once, per-stream ordered delivery on top of a feed that may repeat or reorder
 * batches (DynamoDB Streams orders records per item, and each batch is its own item).
 * A batch at or below the consumer's checkpoint is a repeat and is skipped; a batch beyond a
 * gap first has the missing batches read from the store and handled in order.
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { Checkpoints } from '../../ports/checkpoints.ts';

export interface BatchConsumer {
  /** Names the consumer's checkpoints. */
  name: string;
  /** Handles one batch; must tolerate being called again for the same batch after a crash. */
  handle(batch: CommittedBatch): Promise<void>;
  /**
   * The streams the consumer acts on, when not all: it is given no batch of another stream and
   * keeps no checkpoint for one (a run's every batch would otherwise cost each such consumer a
   * checkpoint write). A stream it starts to act on later is caught up from its first batch.
   */
  reactsTo?(streamId: string): boolean;
}

export async function deliverInOrder(
  consumer: BatchConsumer,
  batch: CommittedBatch,
  deps: { store: EventStore; checkpoints: Checkpoints },
): Promise<void> {
  if (consumer.reactsTo?.(batch.streamId) === false) return;
  const done = await deps.checkpoints.get(consumer.name, batch.streamId);
  if (batch.lastVersion <= done) return;
  const pending = batch.firstVersion === done + 1 ? [batch] : await deps.store.batchesAfter(batch.streamId, done);
  for (const next of pending) {
    if (next.firstVersion > batch.lastVersion) break;
    await consumer.handle(next);
    await deps.checkpoints.advance(consumer.name, next.streamId, next.lastVersion);
  }
}
