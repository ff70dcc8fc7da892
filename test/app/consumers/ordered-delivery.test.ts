import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoCheckpoints } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { deliverInOrder, type BatchConsumer } from '../../../shared/app/consumers/ordered-delivery.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';

let dynamo: EmbeddedDynamo;
let deps: { store: DynamoEventStore; checkpoints: DynamoCheckpoints };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  deps = {
    store: new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events }),
    checkpoints: new DynamoCheckpoints(dynamo.client, dynamo.tables.views),
  };
});

afterAll(async () => {
  await dynamo.close();
});

function event(n: number): ResourceEvent {
  return { type: 'ResourceFailed', data: { reason: `event ${n}` }, at: '2025-01-01T00:00:00.000Z', actor: 'runtime' };
}

/** A fresh stream of batches with `sizes` events each, as the feed would carry them. */
async function streamOf(sizes: number[]): Promise<{ streamId: string; batches: CommittedBatch[] }> {
  const streamId = `test-${randomUUID()}`;
  let version = 0;
  for (const size of sizes) {
    const events = Array.from({ length: size }, (_, i) => event(version + i + 1));
    await deps.store.append(streamId, { expectedVersion: version, events, snapshot: { schema: 1, state: version + size }, recentCommands: [] });
    version += size;
  }
  return { streamId, batches: await deps.store.batchesAfter(streamId, 0) };
}

/** A consumer that records the first version of each batch it handled; it fails once on each version in `failOnceAt`. */
function recorder(failOnceAt: number[] = []): BatchConsumer & { handled: number[] } {
  const failures = new Set(failOnceAt);
  const handled: number[] = [];
  return {
    name: `recorder-${randomUUID()}`,
    handled,
    async handle(batch) {
      if (failures.delete(batch.firstVersion)) throw new Error(`projection of batch ${batch.firstVersion} failed`);
      handled.push(batch.firstVersion);
    },
  };
}

describe('deliverInOrder', () => {
  it('hands batches delivered as 3, 1, 2 to the consumer as 1, 2, 3, each once', async () => {
    // Prepare
    const { streamId, batches } = await streamOf([2, 3, 1]);
    const [first, second, third] = batches as [CommittedBatch, CommittedBatch, CommittedBatch];
    const consumer = recorder();

    // Act
    for (const batch of [third, first, second]) await deliverInOrder(consumer, batch, deps);

    // Assess
    expect(consumer.handled).toEqual([1, 3, 6]);
    expect(await deps.checkpoints.get(consumer.name, streamId)).toBe(6);
  });

  it('skips a batch it has already handled', async () => {
    // Prepare
    const { streamId, batches } = await streamOf([1, 1]);
    const consumer = recorder();

    // Act
    for (const batch of [...batches, ...batches, batches[0]!]) await deliverInOrder(consumer, batch, deps);

    // Assess
    expect(consumer.handled).toEqual([1, 2]);
    expect(await deps.checkpoints.get(consumer.name, streamId)).toBe(2);
  });

  it('fills a gap only up to the batch delivered, leaving later ones to their own delivery', async () => {
    // Prepare
    const { streamId, batches } = await streamOf([1, 1, 1, 1]);
    const consumer = recorder();

    // Act
    await deliverInOrder(consumer, batches[1]!, deps);

    // Assess
    expect(consumer.handled).toEqual([1, 2]);
    expect(await deps.checkpoints.get(consumer.name, streamId)).toBe(2);
  });

  it('keeps the checkpoint before a batch whose handling failed, and the next delivery resumes there', async () => {
    // Prepare
    const { streamId, batches } = await streamOf([1, 2, 1]);
    const consumer = recorder([2]);

    // Act: the batch at version 2 fails on its first try
    await expect(deliverInOrder(consumer, batches[2]!, deps)).rejects.toThrow(/batch 2 failed/);
    const checkpointAfterFailure = await deps.checkpoints.get(consumer.name, streamId);
    await deliverInOrder(consumer, batches[2]!, deps);

    // Assess
    expect(checkpointAfterFailure).toBe(1);
    expect(consumer.handled).toEqual([1, 2, 4]);
    expect(await deps.checkpoints.get(consumer.name, streamId)).toBe(4);
  });

  it('resumes on redelivery of the failed batch itself', async () => {
    const { streamId, batches } = await streamOf([1, 1]);
    const consumer = recorder([1]);
    await expect(deliverInOrder(consumer, batches[0]!, deps)).rejects.toThrow();
    expect(await deps.checkpoints.get(consumer.name, streamId)).toBe(0);
    await deliverInOrder(consumer, batches[0]!, deps);
    await deliverInOrder(consumer, batches[1]!, deps);
    expect(consumer.handled).toEqual([1, 2]);
  });

  it('keeps each consumer on its own checkpoint', async () => {
    // Prepare
    const { batches } = await streamOf([1, 1]);
    const fast = recorder();
    const slow = recorder();

    // Act
    await deliverInOrder(fast, batches[1]!, deps);
    await deliverInOrder(slow, batches[0]!, deps);

    // Assess
    expect(fast.handled).toEqual([1, 2]);
    expect(slow.handled).toEqual([1]);
  });
});
