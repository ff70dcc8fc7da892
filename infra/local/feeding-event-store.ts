/**
 * An event store that hands every committed batch to the local feed, and waits briefly for the
 * read models to take it, so a listing right after an apply already shows it in local mode.
 * It does not wait for the reactions to a job's or a run's batch (a run's launch): nothing a
 * caller reads next depends on them, and under a burst each write would queue behind every
 * launch before it. It does wait for the reactions to a deployment's or workspace's batch: they
 * keep the proxy's routes (who may pass), which the caller's very next request meets, so a
 * viewer removed is refused at once. It waits for them too when a Dask cluster is scaled: the
 * answer to the scale reports the workers the runtime runs, which the Dask reactor changes. With a journal (delivery-journal.ts), each append is
 * recorded before it is written, durable before it is acknowledged, and released once
 * delivered: a crash in between loses no delivery.
 */
import { WrongExpectedVersionError, type AppendRequest, type CommittedBatch, type EventStore } from '../../shared/ports/event-store.ts';
import { PayloadTooLargeError } from '../../shared/domain/errors.ts';
import { RESOURCE_STREAM_PREFIX } from '../../shared/app/resource-model.ts';
import type { ResourceState } from '../../shared/domain/resource/resource-decider.ts';
import type { LocalEventFeed } from './event-feed.ts';
import type { DeliveryJournal } from './delivery-journal.ts';

const DELIVERY_WAIT_MS = 2000;

/**
 * Whether what the caller reads next follows the batch's reactions: the proxy's routes (a
 * deployment's or workspace's batch) or a Dask cluster's workers (a scale).
 */
function answeredAfterReactions(batch: CommittedBatch): boolean {
  if (!batch.streamId.startsWith(RESOURCE_STREAM_PREFIX)) return false;
  const type = (batch.snapshot.state as ResourceState).address?.type;
  return type === 'deployment' || type === 'workspace' || batch.events.some((event) => event.type === 'DaskClusterScaled');
}

/**
 * `awaitDelivery` is for the API (read-your-writes in listings and the proxy). Consumers and the
 * task driver must not wait: a consumer appending to the stream it is being delivered would wait on itself.
 */
export function feedingEventStore(
  store: EventStore,
  feed: () => LocalEventFeed,
  options: {
    awaitDelivery: boolean;
    journal?: DeliveryJournal;
    /** Resolves once the views and checkpoints written so far are in the table: a journal line is kept until then (write-behind-items.ts). */
    deliveryPersisted?: () => Promise<void>;
    /** Told of each stream whose first batch this store wrote, before the batch is delivered. */
    onStreamCreated?: (streamId: string) => void;
  },
): EventStore {
  return {
    head: (streamId) => store.head(streamId),
    read: (streamId, after, limit) => store.read(streamId, after, limit),
    batchesAfter: (streamId, after) => store.batchesAfter(streamId, after),
    allBatches: () => store.allBatches(),
    async append(streamId: string, request: AppendRequest): Promise<CommittedBatch> {
      const entry = options.journal?.record(streamId);
      let batch: CommittedBatch;
      try {
        [batch] = await Promise.all([store.append(streamId, request), entry?.durable]);
      } catch (error) {
        // Only an append known not to be stored lets go of its line; after any other failure it may be, and the next start looks.
        if (error instanceof WrongExpectedVersionError || error instanceof PayloadTooLargeError) entry?.release();
        throw error;
      }
      if (batch.firstVersion === 1) options.onStreamCreated?.(streamId);
      const { viewed, delivered } = feed().publish(batch);
      // A delivery that could not even record its deferrals keeps its line: the next start delivers it.
      // Nor one whose views and checkpoints are still to be written: the next start must still know to deliver it.
      void delivered.then(async (taken) => {
        if (!taken) return;
        await options.deliveryPersisted?.();
        entry?.release();
      });
      if (options.awaitDelivery) {
        const answerable = answeredAfterReactions(batch) ? delivered : viewed;
        await Promise.race([answerable, new Promise((resolve) => setTimeout(resolve, DELIVERY_WAIT_MS).unref())]);
      }
      return batch;
    },
  };
}
