/**
 * An event store whose appends are projected at once, as the local event feed or the projector
 * Lambda would do a moment later: tests of read models need no feed.
 */
import type { CommittedBatch, EventStore } from '../../../shared/ports/event-store.ts';

export function projectingStore(raw: EventStore, projector: { handle(batch: CommittedBatch): Promise<void> }): EventStore {
  return {
    head: (id) => raw.head(id),
    read: (id, after, limit) => raw.read(id, after, limit),
    batchesAfter: (id, after) => raw.batchesAfter(id, after),
    allBatches: () => raw.allBatches(),
    append: async (id, request) => {
      const batch = await raw.append(id, request);
      await projector.handle(batch);
      return batch;
    },
  };
}
