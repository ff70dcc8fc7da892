/**
 * The local stand-in for DynamoDB Streams: committed batches are handed, in process, to the
 * consumer pipeline the events stream feeds on AWS (shared/app/consumers/consumer-pipeline.ts):
 * the same consumers, order, checkpoints and deferrals. Each stream's batches are delivered one
 * after another, in order, in two stages: the read models, then the reactions. A batch's
 * reactions follow its read models, and a stream's next batch may reach the read models while
 * the reactions to the previous one still run (a launch, a schedule): a writer waits only for
 * the views its next read needs, never behind a process being started. On start, `catchUp` delivers whatever a previous run committed but
 * did not deliver (a crash between the write and the delivery), using the consumers'
 * checkpoints, and retries what was deferred; `retryDeferred` is also run every minute.
 */
import type { CommittedBatch, EventStore } from '../../shared/ports/event-store.ts';
import type { ConsumerPipeline } from '../../shared/app/consumers/consumer-pipeline.ts';
import { newestBatches } from '../../shared/app/consumers/rebuild-projections.ts';

/** As on AWS, where a rule invokes the consumers Lambda every minute for it. */
export const RETRY_DEFERRED_EVERY_MS = 60_000;

/** A published batch: when its read models are current, and when every consumer has taken it (or been deferred on it). */
export interface Publication {
  viewed: Promise<boolean>;
  delivered: Promise<boolean>;
}

export class LocalEventFeed {
  /** The tail of each stream's delivery chain, per stage; each step says whether its delivery was taken. */
  private readonly viewChains = new Map<string, Promise<boolean>>();
  private readonly reactionChains = new Map<string, Promise<boolean>>();
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      store: EventStore;
      pipeline: Pick<ConsumerPipeline, 'deliver' | 'retryDeferred' | 'views' | 'reactions'>;
      /** A delivery that could not even record its deferrals: the next batch of the stream, or the next start, brings it again. */
      onError?: (error: unknown, batch: CommittedBatch) => void;
    },
  ) {}

  /**
   * Queues a committed batch for the read models, then for the reactions; neither promise
   * rejects. Each settles true once its consumers have taken the batch or been deferred on it,
   * false when the delivery failed even to record its deferrals (`delivered` covers both stages).
   */
  publish(batch: CommittedBatch): Publication {
    const { views, reactions } = this.deps.pipeline;
    const viewed = this.chain(this.viewChains, batch.streamId, () => this.deliver(batch, views));
    const delivered = this.chain(this.reactionChains, batch.streamId, async () => {
      const viewsTook = await viewed;
      return (await this.deliver(batch, reactions)) && viewsTook;
    });
    return { viewed, delivered };
  }

  /** Runs `step` after the stream's previous step in `chains`, and keeps it as the tail until it is done. */
  private chain(chains: Map<string, Promise<boolean>>, streamId: string, step: () => Promise<boolean>): Promise<boolean> {
    const next = (chains.get(streamId) ?? Promise.resolve(true)).then(step);
    chains.set(streamId, next);
    void next.finally(() => {
      if (chains.get(streamId) === next) chains.delete(streamId);
    });
    return next;
  }

  /**
   * Delivers what a previous run committed and did not deliver, then retries what is deferred.
   * `scanHistory: false` when the undelivered can only be in `streams` (the delivery journal's,
   * none after a clean stop, clean-stop-mark.ts): the history is then not read at all, and the
   * start costs what changed since the last stop, however much history there is.
   */
  async catchUp(options: { scanHistory: boolean; streams?: readonly string[] } = { scanHistory: true }): Promise<{ streams: number; undelivered: number }> {
    const batches = options.scanHistory ? await newestBatches(this.deps.store) : await this.newestOf(options.streams ?? []);
    const taken = await Promise.all(batches.map((b) => this.publish(b).delivered));
    await this.deps.pipeline.retryDeferred();
    return { streams: batches.length, undelivered: taken.filter((delivered) => !delivered).length };
  }

  /** The newest batch of each stream named (the delivery journal's): each consumer fills its own gap from its checkpoint. */
  private async newestOf(streams: readonly string[]): Promise<CommittedBatch[]> {
    const newest = await Promise.all(
      streams.map(async (streamId) => {
        const { version } = await this.deps.store.head(streamId);
        return version === 0 ? undefined : (await this.deps.store.batchesAfter(streamId, version - 1)).at(-1);
      }),
    );
    return newest.filter((batch) => batch !== undefined);
  }

  /** Retries deferred deliveries every minute until `close`. */
  retryEvery(ms = RETRY_DEFERRED_EVERY_MS, onError: (error: unknown) => void = () => {}): void {
    clearInterval(this.retryTimer);
    this.retryTimer = setInterval(() => void this.deps.pipeline.retryDeferred().catch(onError), ms);
    this.retryTimer.unref();
  }

  close(): void {
    clearInterval(this.retryTimer);
  }

  /** Resolves when everything published so far has been delivered. */
  async idle(): Promise<void> {
    while (this.viewChains.size + this.reactionChains.size > 0) await Promise.all([...this.viewChains.values(), ...this.reactionChains.values()]);
  }

  private async deliver(batch: CommittedBatch, consumers: ConsumerPipeline['views']): Promise<boolean> {
    try {
      await this.deps.pipeline.deliver([batch], consumers);
      return true;
    } catch (error) {
      this.deps.onError?.(error, batch);
      return false;
    }
  }
}
