/**
 * The consumer pipeline's contract, run against both wirings: the consumers Lambda on the
 * events stream (functions/reactor/handler.ts, fed DynamoDB Streams records) and the local feed
 * (infra/local/event-feed.ts, fed committed batches in process). Same consumers, same order,
 * one checkpoint per consumer, and the same failure policy: a consumer that cannot take a
 * stream's batch now is deferred on that stream, holds up no other consumer or stream, and
 * catches up in order later. Real parts: dynalite for the store, checkpoints and deferrals.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { LocalEventFeed } from '../../../infra/local/event-feed.ts';
import { reactToRecords } from '../../../functions/reactor/handler.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoCheckpoints } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { DynamoDeferrals } from '../../../shared/adapters/dynamodb/dynamodb-deferrals.ts';
import { encodeBatch } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { ConsumerPipeline, type PipelineConsumers } from '../../../shared/app/consumers/consumer-pipeline.ts';
import type { BatchConsumer } from '../../../shared/app/consumers/ordered-delivery.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';

let dynamo: EmbeddedDynamo;
let store: DynamoEventStore;
let checkpoints: DynamoCheckpoints;
const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  checkpoints = new DynamoCheckpoints(dynamo.client, dynamo.tables.views);
});

afterAll(async () => {
  await dynamo.close();
});

const ROLES = ['readModels', 'daskClusters', 'jobRuns', 'services', 'sharedFolders'] as const;

/** Consumers that record what they see, as `<role> <stream> <first>-<last>`, and fail on the streams they are told to. */
function recordingConsumers(prefix: string) {
  const seen: string[] = [];
  const failing = new Map<string, Set<string>>();
  const consumer = (role: (typeof ROLES)[number]): BatchConsumer => ({
    name: `${prefix}-${role}`,
    handle: async (batch) => {
      if (failing.get(role)?.has(batch.streamId)) throw new Error(`the ECS service of ${batch.streamId} is being deleted; try again once it is gone`);
      seen.push(`${role} ${batch.streamId} ${batch.firstVersion}-${batch.lastVersion}`);
    },
  });
  const consumers = Object.fromEntries(ROLES.map((role) => [role, consumer(role)])) as unknown as PipelineConsumers;
  return {
    consumers,
    seen,
    fail: (role: (typeof ROLES)[number], streamId: string) => failing.set(role, new Set([...(failing.get(role) ?? []), streamId])),
    recover: () => failing.clear(),
  };
}

/** What a test does through a wiring: deliver batches as its feed would, and run the every-minute retry. */
interface Wiring {
  deliver(batches: CommittedBatch[]): Promise<void>;
  retry(): Promise<void>;
}

function record(batch: CommittedBatch, sequence: number): DynamoDBRecord {
  return { eventName: 'INSERT', dynamodb: { NewImage: encodeBatch({ ...batch, recentCommands: [] }) as never, SequenceNumber: String(sequence) } };
}

const wirings: Record<string, (pipeline: ConsumerPipeline) => Wiring> = {
  'consumers Lambda (DynamoDB Streams records)': (pipeline) => {
    let sequence = 0;
    return {
      async deliver(batches) {
        const response = await reactToRecords({ Records: batches.map((b) => record(b, ++sequence)) }, { pipeline });
        // The failure policy: deferral, never a failed record that would hold the shard.
        expect(response.batchItemFailures).toEqual([]);
      },
      retry: async () => void (await pipeline.retryDeferred()),
    };
  },
  'local feed (in process)': (pipeline) => {
    const feed = new LocalEventFeed({ store, pipeline, onError: (error) => expect.fail(String(error)) });
    return {
      async deliver(batches) {
        await Promise.all(batches.map((b) => feed.publish(b).delivered));
      },
      retry: async () => void (await pipeline.retryDeferred()),
    };
  },
};

function event(n: number): ResourceEvent {
  return { type: 'ResourceFailed', data: { reason: `event ${n}` }, at: '2026-01-01T00:00:00.000Z', actor: 'runtime' };
}

/** A fresh stream with one batch per size, as the table's stream would carry them. */
async function streamOf(sizes: number[]): Promise<{ streamId: string; batches: CommittedBatch[] }> {
  const streamId = `resource-${randomUUID()}`;
  let version = 0;
  for (const size of sizes) {
    const events = Array.from({ length: size }, (_, i) => event(version + i + 1));
    await store.append(streamId, { expectedVersion: version, events, snapshot: { schema: 1, state: version + size }, recentCommands: [] });
    version += size;
  }
  return { streamId, batches: await store.batchesAfter(streamId, 0) };
}

describe.each(Object.entries(wirings))('consumer pipeline through the %s', (_name, wire) => {
  function setUp() {
    const recording = recordingConsumers(randomUUID().slice(0, 8));
    const pipeline = new ConsumerPipeline(recording.consumers, { store, checkpoints, deferrals: new DynamoDeferrals(dynamo.client, dynamo.tables.views, clock) });
    return { ...recording, pipeline, wiring: wire(pipeline) };
  }

  it('hands every batch to the same consumers in the same order: read models, Dask clusters, job runs, services, shared folders', async () => {
    const { seen, wiring } = setUp();
    const { streamId, batches } = await streamOf([1]);

    await wiring.deliver(batches);

    expect(seen).toEqual(ROLES.map((role) => `${role} ${streamId} 1-1`));
  });

  it('keeps one checkpoint per consumer, named after it: a repeated batch is skipped, a gap is read from the store', async () => {
    const { seen, consumers, wiring } = setUp();
    const { streamId, batches } = await streamOf([2, 1, 3]);

    // Act: the last batch alone (the others were lost or come late), then all of them again.
    await wiring.deliver([batches[2]!]);
    await wiring.deliver(batches);

    // Assess
    for (const role of ROLES) {
      expect(seen.filter((s) => s.startsWith(`${role} `))).toEqual([`${role} ${streamId} 1-2`, `${role} ${streamId} 3-3`, `${role} ${streamId} 4-6`]);
      expect(await checkpoints.get(consumers[role].name, streamId)).toBe(6);
    }
  });

  it('defers only the consumer and stream that cannot be acted on now; every other consumer and stream goes on', async () => {
    // Prepare: the service of one resource is draining.
    const { seen, fail, consumers, wiring } = setUp();
    const stuck = await streamOf([1]);
    const other = await streamOf([1]);
    fail('services', stuck.streamId);

    // Act
    await wiring.deliver([stuck.batches[0]!, other.batches[0]!]);

    // Assess
    expect(seen).toContain(`services ${other.streamId} 1-1`);
    expect(seen).not.toContain(`services ${stuck.streamId} 1-1`);
    expect(seen).toContain(`sharedFolders ${stuck.streamId} 1-1`);
    expect(await checkpoints.get(consumers.services.name, stuck.streamId)).toBe(0);
  });

  it('catches a deferred consumer up in order when the retry runs, once', async () => {
    // Prepare: deferred on a batch, and a later batch of the stream meanwhile.
    const { seen, fail, recover, consumers, wiring } = setUp();
    const { streamId, batches } = await streamOf([1, 2]);
    fail('jobRuns', streamId);
    await wiring.deliver([batches[0]!]);
    await wiring.deliver([batches[1]!]);
    expect(seen.filter((s) => s.startsWith('jobRuns '))).toEqual([]);

    // Act
    recover();
    await wiring.retry();
    await wiring.retry();

    // Assess
    expect(seen.filter((s) => s.startsWith('jobRuns '))).toEqual([`jobRuns ${streamId} 1-1`, `jobRuns ${streamId} 2-3`]);
    expect(await checkpoints.get(consumers.jobRuns.name, streamId)).toBe(3);
  });

  it('catches a deferred consumer up with the stream\'s next batch too', async () => {
    const { seen, fail, recover, wiring } = setUp();
    const { streamId, batches } = await streamOf([1, 1]);
    fail('daskClusters', streamId);
    await wiring.deliver([batches[0]!]);

    recover();
    await wiring.deliver([batches[1]!]);

    expect(seen.filter((s) => s.startsWith('daskClusters '))).toEqual([`daskClusters ${streamId} 1-1`, `daskClusters ${streamId} 2-2`]);
  });
});
