/**
 * The delivery journal: what a start after a crash delivers instead of scanning the history.
 * Real parts: dynalite (in memory) for the store, checkpoints and deferrals, files in a
 * temporary directory for the journal. A "crash" is a process that committed batches and never
 * delivered some of them, abandoned without closing anything: the next start opens the same
 * journal directory.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryJournal, SEGMENT_ENTRIES } from '../../../infra/local/delivery-journal.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { LocalEventFeed } from '../../../infra/local/event-feed.ts';
import { feedingEventStore } from '../../../infra/local/feeding-event-store.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoCheckpoints } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { DynamoDeferrals } from '../../../shared/adapters/dynamodb/dynamodb-deferrals.ts';
import { ConsumerPipeline, type PipelineConsumers } from '../../../shared/app/consumers/consumer-pipeline.ts';
import type { BatchConsumer } from '../../../shared/app/consumers/ordered-delivery.ts';
import { WrongExpectedVersionError, type AppendRequest, type EventStore } from '../../../shared/ports/event-store.ts';

const CONSUMERS = ['journal-read-models', 'journal-dask', 'journal-jobs', 'journal-services', 'journal-folders'];
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cassini-journal-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const segments = () => readdirSync(dir).filter((name) => name.startsWith('segment-'));

describe('DeliveryJournal', () => {
  it('hands a start the streams its predecessor recorded and did not release, each once', async () => {
    const crashed = DeliveryJournal.open(dir);
    const delivered = crashed.record('resource-a');
    const lost = [crashed.record('resource-b'), crashed.record('run-c'), crashed.record('resource-b')];
    await Promise.all([delivered, ...lost].map((entry) => entry.durable));
    delivered.release();

    const next = DeliveryJournal.open(dir);

    // The released line stays in its segment file: only whole segments go. Re-delivering it is a repeat the checkpoints skip.
    expect(next.pending().sort()).toEqual(['resource-a', 'resource-b', 'run-c']);
  });

  it('deletes a segment once it is full and every line in it is released, and keeps one with a line held', async () => {
    const journal = DeliveryJournal.open(dir);
    const first = Array.from({ length: SEGMENT_ENTRIES }, (_, i) => journal.record(`stream-${i}`));
    const held = journal.record('stream-held');
    await Promise.all([...first, held].map((entry) => entry.durable));
    expect(segments()).toHaveLength(2);

    for (const entry of first) entry.release();

    await expect.poll(segments, { message: 'the released full segment is deleted' }).toHaveLength(1);
    journal.close();
    expect(segments(), 'the segment with a held line stays for the next start').toHaveLength(1);
    expect(DeliveryJournal.open(dir).pending()).toEqual(['stream-held']);
  });

  it('leaves nothing after a close with every line released (a clean stop)', async () => {
    const journal = DeliveryJournal.open(dir);
    const entry = journal.record('resource-a');
    await entry.durable;
    entry.release();

    journal.close();

    await expect.poll(segments, { message: 'the last segment is deleted at close' }).toEqual([]);
  });

  it('covers the consumers it was marked complete for, and only those, and drops what it inherited then', async () => {
    const crashed = DeliveryJournal.open(dir);
    await crashed.record('resource-a').durable;
    const next = DeliveryJournal.open(dir);
    expect(next.covers(CONSUMERS), 'a journal never marked complete (a data directory from before it)').toBe(false);

    next.markComplete(CONSUMERS);

    expect(next.covers(CONSUMERS)).toBe(true);
    expect(next.covers([...CONSUMERS, 'a-consumer-an-upgrade-added']), 'a new consumer needs the history scanned').toBe(false);
    expect(DeliveryJournal.open(dir).pending(), 'the inherited segment is gone').toEqual([]);
  });
});

describe('the journaling store', () => {
  /** A store whose appends succeed or fail as told, over a journal, feeding a pipeline that fails as told. */
  function journaled(options: { append: 'stored' | 'conflict'; delivery: 'taken' | 'lost'; deliveryPersisted?: () => Promise<void> }) {
    const journal = DeliveryJournal.open(dir);
    const store = {
      append: async (streamId: string, request: AppendRequest) => {
        if (options.append === 'conflict') throw new WrongExpectedVersionError(streamId, request.expectedVersion);
        return { streamId, firstVersion: 1, lastVersion: 1, events: [], committedAt: '2026-12-06T08:00:00.000Z', snapshot: request.snapshot };
      },
    } as unknown as EventStore;
    const pipeline = {
      views: [],
      reactions: [],
      // Losing a delivery here means its deferral could not even be recorded.
      deliver: async () => (options.delivery === 'lost' ? Promise.reject(new Error('the views table is unreachable')) : { deferred: [] }),
      retryDeferred: async () => ({ retried: 0, stillDeferred: 0 }),
    };
    const feed = new LocalEventFeed({ store, pipeline });
    return { journal, feed, writer: feedingEventStore(store, () => feed, { awaitDelivery: false, journal, ...(options.deliveryPersisted ? { deliveryPersisted: options.deliveryPersisted } : {}) }) };
  }
  const request: AppendRequest = { expectedVersion: 0, events: [], snapshot: { schema: 1, state: null }, recentCommands: [] };

  it('keeps the line of a batch whose delivery failed, for the next start, in a file only the control plane reads', async () => {
    const { journal, feed, writer } = journaled({ append: 'stored', delivery: 'lost' });

    await writer.append('resource-lost', request);
    await feed.idle();
    journal.close();

    expect(DeliveryJournal.open(dir).pending()).toEqual(['resource-lost']);
    for (const name of segments()) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
  });

  it('keeps the line of a delivered batch while the views and checkpoints its delivery wrote are not in the table (written behind)', async () => {
    // Prepare: views written behind, never written (the process dies first)
    const { journal, feed, writer } = journaled({ append: 'stored', delivery: 'taken', deliveryPersisted: () => new Promise(() => {}) });

    // Act
    await writer.append('resource-behind', request);
    await feed.idle();
    journal.close();

    // Assess: the next start delivers it again
    const next = DeliveryJournal.open(dir);
    expect(next.pending()).toEqual(['resource-behind']);
    next.close();
  });

  it('lets go of the line of an append that lost its race (nothing was stored) and of one delivered', async () => {
    const lost = journaled({ append: 'conflict', delivery: 'taken' });
    await expect(lost.writer.append('resource-raced', request)).rejects.toThrow(WrongExpectedVersionError);
    lost.journal.close();
    const delivered = journaled({ append: 'stored', delivery: 'taken' });
    await delivered.writer.append('resource-delivered', request);
    await delivered.feed.idle();
    delivered.journal.close();

    await expect.poll(segments, { message: 'every segment is released and deleted' }).toEqual([]);
  });
});

describe('a start after a crash', () => {
  let dynamo: EmbeddedDynamo;
  let store: DynamoEventStore;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  /** A pipeline of consumers that count what they take; while `stalled`, every delivery hangs (a crash before it). */
  function pipelineOf(stalled: { value: boolean }) {
    const handled: string[] = [];
    const consumer = (name: string): BatchConsumer => ({
      name,
      handle: async (batch) => {
        if (stalled.value) await new Promise(() => {});
        handled.push(`${name} ${batch.streamId} ${batch.lastVersion}`);
      },
    });
    const [readModels, daskClusters, jobRuns, services, sharedFolders] = CONSUMERS.map(consumer);
    const consumers: PipelineConsumers = { readModels: readModels!, daskClusters: daskClusters!, jobRuns: jobRuns!, services: services!, sharedFolders: sharedFolders! };
    const checkpoints = new DynamoCheckpoints(dynamo.client, dynamo.tables.views);
    const deferrals = new DynamoDeferrals(dynamo.client, dynamo.tables.views, { now: () => new Date() });
    return { pipeline: new ConsumerPipeline(consumers, { store, checkpoints, deferrals }), checkpoints, handled };
  }

  const event = (n: number) => ({ type: 'ResourceFailed', data: { reason: `event ${n}` }, at: '2026-12-06T08:00:00.000Z', actor: 'runtime' });

  it('delivers every batch committed and not delivered, to every consumer, reading only the journaled streams', async () => {
    // Prepare: a process whose consumers took the first two streams' batches, then stalled; it then died.
    const stalled = { value: false };
    const crashed = pipelineOf(stalled);
    const journal = DeliveryJournal.open(dir);
    journal.markComplete(CONSUMERS);
    const feed = new LocalEventFeed({ store, pipeline: crashed.pipeline });
    const writer = feedingEventStore(store, () => feed, { awaitDelivery: false, journal });
    const prefix = `crash-${Date.now()}`;
    const streams = Array.from({ length: 6 }, (_, i) => `${prefix}-${i}`);
    for (const [i, streamId] of streams.entries()) {
      if (i === 2) {
        await feed.idle();
        stalled.value = true;
      }
      await writer.append(streamId, { expectedVersion: 0, events: [event(i)], snapshot: { schema: 1, state: { n: i } }, recentCommands: [] });
      await writer.append(streamId, { expectedVersion: 1, events: [event(i), event(i)], snapshot: { schema: 1, state: { n: i } }, recentCommands: [] });
    }
    const untouched = `${prefix}-never-journaled`;
    await store.append(untouched, { expectedVersion: 0, events: [event(9)], snapshot: { schema: 1, state: {} }, recentCommands: [] });

    // Act: the next start, over the same store and journal directory, must not scan.
    const restarted = pipelineOf({ value: false });
    const next = DeliveryJournal.open(dir);
    const noScan: EventStore = { ...bound(store), allBatches: () => expect.fail('the start scanned the history') };
    const caughtUp = await new LocalEventFeed({ store: noScan, pipeline: restarted.pipeline }).catchUp({ scanHistory: !next.covers(CONSUMERS), streams: next.pending() });

    // Assess: every consumer is at every stream's last version; the crashed process's undelivered streams were delivered from their first batch, and only those.
    expect(caughtUp.undelivered).toBe(0);
    for (const name of CONSUMERS) {
      for (const streamId of streams) expect(await restarted.checkpoints.get(name, streamId), `${name} on ${streamId}`).toBe(3);
    }
    expect(restarted.handled.filter((line) => line.startsWith(`${CONSUMERS[0]} `)).sort()).toEqual(streams.slice(2).flatMap((s) => [`${CONSUMERS[0]} ${s} 1`, `${CONSUMERS[0]} ${s} 3`]));
    expect(restarted.handled.some((line) => line.includes(untouched))).toBe(false);
  });
});

/** The store's methods, bound, so one can be replaced in a spread. */
function bound(store: DynamoEventStore): EventStore {
  return {
    head: (id) => store.head(id),
    append: (id, request) => store.append(id, request),
    read: (id, after, limit) => store.read(id, after, limit),
    batchesAfter: (id, after) => store.batchesAfter(id, after),
    allBatches: () => store.allBatches(),
  };
}
