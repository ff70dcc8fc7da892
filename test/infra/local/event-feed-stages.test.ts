import { describe, expect, it } from 'vitest';
import { LocalEventFeed } from '../../../infra/local/event-feed.ts';
import type { BatchConsumer } from '../../../shared/app/consumers/ordered-delivery.ts';
import type { CommittedBatch, EventStore } from '../../../shared/ports/event-store.ts';

function batch(streamId: string, version: number): CommittedBatch {
  return { streamId, firstVersion: version, lastVersion: version, events: [], snapshot: { schema: 1, state: version } } as unknown as CommittedBatch;
}

/** A consumer that records what it took, and can be held on a batch until released. */
function recorder(name: string) {
  const took: string[] = [];
  const held = new Map<string, () => void>();
  let holding = false;
  const consumer: BatchConsumer = {
    name,
    async handle(b) {
      const key = `${b.streamId}@${b.lastVersion}`;
      if (holding) await new Promise<void>((resolve) => held.set(key, resolve));
      took.push(key);
    },
  };
  return { consumer, took, hold: () => (holding = true), release: (key: string) => held.get(key)?.(), isHeld: (key: string) => held.has(key) };
}

function feedOver(views: BatchConsumer, reactions: BatchConsumer) {
  const pipeline = {
    views: [views],
    reactions: [reactions],
    async deliver(batches: readonly CommittedBatch[], consumers: readonly BatchConsumer[]) {
      for (const consumer of consumers) for (const b of batches) await consumer.handle(b);
      return { deferred: [] };
    },
    retryDeferred: async () => ({ retried: 0, stillDeferred: 0 }),
  };
  return new LocalEventFeed({ store: {} as EventStore, pipeline });
}

describe('LocalEventFeed stages', () => {
  it('says a batch is viewed once the read models took it, while its reactions still run', async () => {
    // Prepare
    const views = recorder('views');
    const reactions = recorder('reactions');
    reactions.hold();
    const feed = feedOver(views.consumer, reactions.consumer);

    // Act
    const first = feed.publish(batch('job-1', 1));
    await first.viewed;
    const second = feed.publish(batch('job-1', 2));
    await second.viewed;

    // Assess: both batches reached the views although the reaction to the first is held.
    expect(views.took).toEqual(['job-1@1', 'job-1@2']);
    await expect.poll(() => reactions.isHeld('job-1@1'), { message: 'the reaction to the first batch to start' }).toBe(true);
    expect(reactions.took).toEqual([]);
    let delivered = false;
    void second.delivered.then(() => (delivered = true));
    reactions.release('job-1@1');
    await expect.poll(() => reactions.isHeld('job-1@2'), { message: 'the reaction to the second batch to start after the first' }).toBe(true);
    expect(reactions.took).toEqual(['job-1@1']);
    expect(delivered).toBe(false);
    reactions.release('job-1@2');
    await second.delivered;
    expect(reactions.took).toEqual(['job-1@1', 'job-1@2']);
  });

  it('starts a batch\'s reactions only after its read models, and idle waits for both stages', async () => {
    // Prepare
    const order: string[] = [];
    const views: BatchConsumer = { name: 'views', handle: async (b) => void order.push(`views ${b.lastVersion}`) };
    const reactions: BatchConsumer = { name: 'reactions', handle: async (b) => void order.push(`reactions ${b.lastVersion}`) };
    const feed = feedOver(views, reactions);

    // Act
    feed.publish(batch('run-1', 1));
    feed.publish(batch('run-1', 2));
    await feed.idle();

    // Assess
    expect(order.indexOf('views 1')).toBeLessThan(order.indexOf('reactions 1'));
    expect(order.indexOf('views 2')).toBeLessThan(order.indexOf('reactions 2'));
    expect(order.indexOf('reactions 1')).toBeLessThan(order.indexOf('reactions 2'));
    expect(order).toHaveLength(4);
  });
});
