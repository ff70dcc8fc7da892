/**
 * The one consumer pipeline of committed batches. Both wirings use it: the consumers Lambda on
 * the events stream (functions/reactor/handler.ts) and the local feed (infra/local/event-feed.ts),
 * so a consumer bug that shows on AWS shows in local tests too.
 *
 * - **The same consumers, in this order**, for every batch: the read models first (views are
 *   fresh before anything reacts), then Dask clusters (a cluster's address is known before the
 *   tasks that use it start), job runs, deployments and workspaces, shared folders.
 * - **One checkpoint per consumer** and stream, named after the consumer (`deliverInOrder`):
 *   repeats are skipped, gaps are read from the store.
 * - **One failure policy**: a consumer that fails on a stream's batch is *deferred* on that
 *   stream. Its checkpoint stays, the deferral is recorded, and every other consumer and stream
 *   goes on: one resource that cannot be acted on now (an ECS service still being deleted, a
 *   throttled API) holds up no one else. The consumer catches up on the stream with its next
 *   batch (the gap is read from the store) or when `retryDeferred` runs (every minute on AWS
 *   and locally). Only a failure to record a deferral fails the delivery: then the feed
 *   (Lambda's retries, or the next start locally) must bring the batch again.
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { Checkpoints } from '../../ports/checkpoints.ts';
import type { Deferrals } from '../../ports/deferrals.ts';
import { deliverInOrder, type BatchConsumer } from './ordered-delivery.ts';

/** The consumers of the platform, by role; `consumerPipeline` puts them in order. */
export interface PipelineConsumers {
  readModels: BatchConsumer;
  daskClusters: BatchConsumer;
  jobRuns: BatchConsumer;
  services: BatchConsumer;
  sharedFolders: BatchConsumer;
}

/** The consumers in the order every batch goes through them. */
export function consumerPipeline(consumers: PipelineConsumers): BatchConsumer[] {
  return [consumers.readModels, consumers.daskClusters, consumers.jobRuns, consumers.services, consumers.sharedFolders];
}

export interface PipelineDeps {
  store: EventStore;
  checkpoints: Checkpoints;
  deferrals: Deferrals;
  /** Where deferrals are said (an operator's alarm counts them). */
  onDeferred?: (deferral: { consumer: string; streamId: string; version: number; error: unknown }) => void;
}

export interface DeliveryReport {
  /** Consumer and stream pairs deferred by this delivery. */
  deferred: Array<{ consumer: string; streamId: string }>;
}

export class ConsumerPipeline {
  readonly consumers: readonly BatchConsumer[];
  /** The read models: what answers to reads (and a caller's next read) need current. */
  readonly views: readonly BatchConsumer[];
  /** Everything after the read models: what reacts (launches, schedules, clusters, folders). */
  readonly reactions: readonly BatchConsumer[];

  constructor(
    consumers: PipelineConsumers,
    private readonly deps: PipelineDeps,
  ) {
    this.consumers = consumerPipeline(consumers);
    [this.views, this.reactions] = [this.consumers.slice(0, 1), this.consumers.slice(1)];
    const names = this.consumers.map((c) => c.name);
    if (new Set(names).size !== names.length) throw new Error(`pipeline consumers need distinct names (their checkpoints): ${names.join(', ')}`);
  }

  /**
   * Delivers batches in the order given (a stream's batches must come in its order). Each
   * consumer takes every batch before the next consumer starts: the read models of a whole
   * Lambda batch are written before the first launch waits on ECS. `consumers` narrows the
   * delivery to one stage (`views` or `reactions`, in that order for each batch): the local feed
   * answers a write once its views are current, while its reactions go on.
   */
  async deliver(batches: readonly CommittedBatch[], consumers: readonly BatchConsumer[] = this.consumers): Promise<DeliveryReport> {
    const deferred: DeliveryReport['deferred'] = [];
    for (const consumer of consumers) {
      const behind = new Map<string, string>();
      for (const batch of batches) {
        if (behind.has(batch.streamId)) {
          // Behind on this stream already: its later batches wait for the retry, in order, and the deferral covers them.
          await this.deps.deferrals.defer({ consumer: consumer.name, streamId: batch.streamId, version: batch.lastVersion, reason: behind.get(batch.streamId)! });
          continue;
        }
        const failure = await this.tryDeliver(consumer, batch);
        if (failure !== undefined) {
          behind.set(batch.streamId, failure);
          deferred.push({ consumer: consumer.name, streamId: batch.streamId });
        }
      }
    }
    return { deferred };
  }

  /** Brings every deferred consumer up to the newest batch of its stream; what fails again stays deferred. */
  async retryDeferred(): Promise<{ retried: number; stillDeferred: number }> {
    let retried = 0;
    let stillDeferred = 0;
    for (const deferral of await this.deps.deferrals.recorded()) {
      const consumer = this.consumers.find((c) => c.name === deferral.consumer);
      if (!consumer) continue;
      const done = await this.deps.checkpoints.get(consumer.name, deferral.streamId);
      if (done >= deferral.version) continue;
      const newest = (await this.deps.store.batchesAfter(deferral.streamId, done)).at(-1);
      if (!newest) continue;
      retried++;
      if ((await this.tryDeliver(consumer, newest)) !== undefined) stillDeferred++;
    }
    return { retried, stillDeferred };
  }

  /** Undefined when the consumer took the batch (and any gap before it); the reason when it was deferred. */
  private async tryDeliver(consumer: BatchConsumer, batch: CommittedBatch): Promise<string | undefined> {
    try {
      await deliverInOrder(consumer, batch, this.deps);
      return undefined;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.deps.deferrals.defer({ consumer: consumer.name, streamId: batch.streamId, version: batch.lastVersion, reason });
      this.deps.onDeferred?.({ consumer: consumer.name, streamId: batch.streamId, version: batch.lastVersion, error });
      return reason;
    }
  }
}
