/**
 * The local stand-in for DynamoDB Streams: committed batches are handed to the same consumers
 * as on AWS, in process. Each stream's batches are delivered one after another, in order; on
 * start, `catchUp` delivers whatever a previous run committed but did not deliver (a crash
 * between the write and the delivery), using the consumers' checkpoints.
 */
import type { CommittedBatch, EventStore } from '../../shared/ports/event-store.ts';
import type { Checkpoints } from '../../shared/ports/checkpoints.ts';
import { deliverInOrder, type BatchConsumer } from '../../shared/app/consumers/ordered-delivery.ts';
import { newestBatches } from '../../shared/app/consumers/rebuild-projections.ts';

export class LocalEventFeed {
  /** The tail of each stream's delivery chain. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      store: EventStore;
      checkpoints: Checkpoints;
      consumers: BatchConsumer[];
      onError?: (error: unknown, consumer: string, batch: CommittedBatch) => void;
    },
  ) {}

  /** Queues a committed batch; the promise settles once every consumer has seen it. */
  publish(batch: CommittedBatch): Promise<void> {
    const previous = this.chains.get(batch.streamId) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(batch));
    this.chains.set(batch.streamId, next);
    void next.finally(() => {
      if (this.chains.get(batch.streamId) === next) this.chains.delete(batch.streamId);
    });
    return next;
  }

  async catchUp(): Promise<{ streams: number }> {
    const batches = await newestBatches(this.deps.store);
    await Promise.all(batches.map((b) => this.publish(b)));
    return { streams: batches.length };
  }

  /** Resolves when everything published so far has been delivered. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async deliver(batch: CommittedBatch): Promise<void> {
    for (const consumer of this.deps.consumers) {
      try {
        await deliverInOrder(consumer, batch, this.deps);
      } catch (error) {
        // The checkpoint did not move: the next batch of this stream, or the next start, retries.
        this.deps.onError?.(error, consumer.name, batch);
      }
    }
  }
}
