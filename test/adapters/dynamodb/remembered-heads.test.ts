import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { RememberedHeads } from '../../../shared/adapters/dynamodb/remembered-heads.ts';
import { REMEMBERED_COMMANDS } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { WrongExpectedVersionError, type AppendRequest, type EventStore, type StreamHead } from '../../../shared/ports/event-store.ts';
import type { DomainEvent } from '../../../events/envelope.ts';

let dynamo: EmbeddedDynamo;
let durable: DynamoEventStore;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  durable = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
});

afterAll(async () => {
  await dynamo.close();
});

const event = (n: number): DomainEvent => ({ type: 'ResourceFailed', at: '2026-01-01T00:00:00.000Z', actor: 'alice', data: { reason: `failure ${n}` } });

function request(head: StreamHead, n: number, commandId?: string): AppendRequest {
  return { expectedVersion: head.version, events: [event(n)], snapshot: { schema: 1, state: { n, nested: { list: [n] } } }, recentCommands: head.recentCommands, ...(commandId ? { commandId } : {}) };
}

/** The durable store, counting the head reads that reach it; `holdHeads` keeps the next one pending until released. */
function counted(store: EventStore) {
  let reads = 0;
  let held: Promise<void> | undefined;
  let release: () => void = () => {};
  const wrapped: EventStore = {
    ...store,
    head: async (streamId) => {
      reads++;
      const head = await store.head(streamId);
      await held;
      return head;
    },
    append: (streamId, req) => store.append(streamId, req),
    read: (...args) => store.read(...args),
    batchesAfter: (...args) => store.batchesAfter(...args),
    allBatches: () => store.allBatches(),
  };
  return {
    store: wrapped,
    reads: () => reads,
    holdHeads: () => (held = new Promise((resolve) => (release = resolve))),
    release: () => {
      held = undefined;
      release();
    },
  };
}

describe('RememberedHeads', () => {
  it('reads a stream once, then answers from memory what the store would answer', async () => {
    // Prepare
    const streamId = `test-${randomUUID()}`;
    await durable.append(streamId, request({ version: 0, snapshot: undefined, recentCommands: [] }, 1));
    const counting = counted(durable);
    const heads = new RememberedHeads(counting.store);

    // Act
    const first = await heads.head(streamId);
    const second = await heads.head(streamId);

    // Assess
    expect(second).toEqual(await durable.head(streamId));
    expect(first).toEqual(second);
    expect(counting.reads()).toBe(1);
  });

  it('knows the head an append leaves, command ids trimmed as the table keeps them, without reading it', async () => {
    // Prepare: more commands than a batch item remembers
    const streamId = `test-${randomUUID()}`;
    const counting = counted(durable);
    const heads = new RememberedHeads(counting.store);
    let head = await heads.head(streamId);

    // Act
    for (let n = 1; n <= REMEMBERED_COMMANDS + 3; n++) {
      await heads.append(streamId, request(head, n, `command-${n}`));
      head = await heads.head(streamId);
    }

    // Assess
    expect(counting.reads()).toBe(1);
    expect(head).toEqual(await durable.head(streamId));
    expect(head.recentCommands).toHaveLength(REMEMBERED_COMMANDS);
  });

  it('hands out frozen heads: a caller that tried to change one throws, and the next reader is given what the store holds', async () => {
    // Prepare: one head remembered from an append, one from a read
    const appended = `test-${randomUUID()}`;
    const read = `test-${randomUUID()}`;
    const heads = new RememberedHeads(durable);
    const mine = request(await heads.head(appended), 1);
    await heads.append(appended, mine);
    await durable.append(read, request({ version: 0, snapshot: undefined, recentCommands: [] }, 1));
    await heads.head(read);

    // Act and assess
    for (const streamId of [appended, read]) {
      const head = await heads.head(streamId);
      expect(() => (head.snapshot!.state as { nested: { list: number[] } }).nested.list.push(99)).toThrow(TypeError);
      expect(() => head.recentCommands.push({ id: 'forged', version: 9 })).toThrow(TypeError);
      expect(await heads.head(streamId)).toEqual(await durable.head(streamId));
    }
    // The appender's own state object is still its own.
    (mine.snapshot.state as { nested: { list: number[] } }).nested.list.push(1);
  });

  it('does not keep a read that overlapped an append: a slow read never puts an older head back', async () => {
    // Prepare
    const streamId = `test-${randomUUID()}`;
    await durable.append(streamId, request({ version: 0, snapshot: undefined, recentCommands: [] }, 1));
    const counting = counted(durable);
    const heads = new RememberedHeads(counting.store);
    const first = await durable.head(streamId);

    // Act: a read of version 1 is under way while version 2 is appended; then the append fails
    // from the store's side (as a lost race would) so nothing newer is remembered either
    counting.holdHeads();
    const slowRead = heads.head(streamId);
    await heads.append(streamId, request(first, 2));
    await expect(heads.append(streamId, request(first, 3))).rejects.toBeInstanceOf(WrongExpectedVersionError);
    counting.release();
    await slowRead;
    const readsBefore = counting.reads();
    const after = await heads.head(streamId);

    // Assess: the lost race made it read the store again, which has version 2
    expect(after.version).toBe(2);
    expect(counting.reads()).toBe(readsBefore + 1);
  });

  it('forgets the head after a lost race, so the retry decides on what the store holds', async () => {
    // Prepare: another writer appends behind this process's back
    const streamId = `test-${randomUUID()}`;
    const heads = new RememberedHeads(durable);
    const start = await heads.head(streamId);
    await durable.append(streamId, request(start, 1));

    // Act
    await expect(heads.append(streamId, request(start, 2))).rejects.toBeInstanceOf(WrongExpectedVersionError);
    const fresh = await heads.head(streamId);

    // Assess
    expect(fresh.version).toBe(1);
    await expect(heads.append(streamId, request(fresh, 2))).resolves.toMatchObject({ lastVersion: 2 });
  });

  it('keeps at most its capacity, the least recently used forgotten first', async () => {
    // Prepare
    const streams = [`test-${randomUUID()}`, `test-${randomUUID()}`, `test-${randomUUID()}`];
    for (const streamId of streams) await durable.append(streamId, request({ version: 0, snapshot: undefined, recentCommands: [] }, 1));
    const counting = counted(durable);
    const heads = new RememberedHeads(counting.store, 2);
    await heads.head(streams[0]!);
    await heads.head(streams[1]!);
    await heads.head(streams[0]!); // the first is now the most recently used

    // Act
    await heads.head(streams[2]!);
    const before = counting.reads();
    await heads.head(streams[0]!);
    await heads.head(streams[1]!);

    // Assess: the first was kept, the second had to be read again
    expect(counting.reads() - before).toBe(1);
  });
});
