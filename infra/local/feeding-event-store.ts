/**
 * An event store that hands every committed batch to the local feed, and waits for its
 * delivery briefly, so a listing right after an apply already shows it in local mode.
 */
import type { AppendRequest, CommittedBatch, EventStore } from '../../shared/ports/event-store.ts';
import type { LocalEventFeed } from './event-feed.ts';

const DELIVERY_WAIT_MS = 2000;

/**
 * `awaitDelivery` is for the API (read-your-writes in listings). Consumers and the task driver
 * must not wait: a consumer appending to the stream it is being delivered would wait on itself.
 */
export function feedingEventStore(store: EventStore, feed: () => LocalEventFeed, options: { awaitDelivery: boolean }): EventStore {
  return {
    head: (streamId) => store.head(streamId),
    read: (streamId, after, limit) => store.read(streamId, after, limit),
    batchesAfter: (streamId, after) => store.batchesAfter(streamId, after),
    allBatches: () => store.allBatches(),
    async append(streamId: string, request: AppendRequest): Promise<CommittedBatch> {
      const batch = await store.append(streamId, request);
      const delivered = feed().publish(batch);
      if (options.awaitDelivery) await Promise.race([delivered, new Promise((resolve) => setTimeout(resolve, DELIVERY_WAIT_MS).unref())]);
      return batch;
    },
  };
}
