import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { MAX_BATCH_EVENTS, REMEMBERED_COMMANDS } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { WrongExpectedVersionError, type EventStore } from '../../../shared/ports/event-store.ts';
import { loadState, runCommand, type StreamModel } from '../../../shared/app/command-runner.ts';
import { resourceModel } from '../../../shared/app/resource-model.ts';
import { fold, type Decider } from '../../../shared/domain/decider.ts';
import { ConflictError, PayloadTooLargeError } from '../../../shared/domain/errors.ts';
import { itemBytes, MAX_ITEM_BYTES } from '../../../shared/adapters/dynamodb/item-size.ts';
import { MAX_SNAPSHOT_JSON_BYTES } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import type { ResourceCommand } from '../../../shared/domain/resource/resource-decider.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import { isResourceEvent } from '../../../events/event-versions.ts';
import type { JobSpec } from '../../../shared/domain/recipe/spec-types.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';
import type { DomainEvent } from '../../../events/envelope.ts';

const AT = '2025-01-01T00:00:00.000Z';
const COMMITTED_AT = '2025-06-01T12:00:00.000Z';

let dynamo: EmbeddedDynamo;
let store: DynamoEventStore;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events, now: () => new Date(COMMITTED_AT) });
});

afterAll(async () => {
  await dynamo.close();
});

/** Each test writes its own streams, so tests sharing the table stay independent. */
function freshStream(): string {
  return `test-${randomUUID()}`;
}

function failed(reason: string, actor = 'runtime'): ResourceEvent {
  return { type: 'ResourceFailed', data: { reason }, at: AT, actor };
}

/** A store on its own client that records each request it sends, by command name. */
function countingStore(): { store: DynamoEventStore; requests: string[]; client: DynamoDBClient } {
  const client = new DynamoDBClient({ ...dynamo.clientConfig, maxAttempts: 1 });
  const requests: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'deserialize', name: 'countRequests' },
  );
  return { store: new DynamoEventStore({ client, tableName: dynamo.tables.events }), requests, client };
}

/** Appends batches of `sizes` events each, every one at the head's version, with the running count as snapshot. */
async function appendBatches(target: EventStore, streamId: string, sizes: number[]): Promise<void> {
  let version = 0;
  for (const size of sizes) {
    const events = Array.from({ length: size }, (_, i) => failed(`event ${version + i + 1}`));
    await target.append(streamId, { expectedVersion: version, events, snapshot: { schema: 1, state: { count: version + size } }, recentCommands: [] });
    version += size;
  }
}

async function allEvents(target: EventStore, streamId: string) {
  return (await target.read(streamId, 0, 100_000)).events;
}

// A decider small enough to see through: each command appends one event naming its writer.
interface TallyCommand {
  kind: 'Start' | 'Stop';
  writer: number;
}
interface Tally {
  writers: string[];
  starts: number;
  stops: number;
}
const tallyDecider: Decider<TallyCommand, ResourceEvent, Tally> = {
  initialState: { writers: [], starts: 0, stops: 0 },
  decide: (command) => [{ type: command.kind === 'Start' ? 'ResourceStartRequested' : 'ResourceStopRequested', data: {}, at: AT, actor: `writer-${command.writer}` }],
  evolve: (state, event) => ({
    writers: [...state.writers, event.actor],
    starts: state.starts + (event.type === 'ResourceStartRequested' ? 1 : 0),
    stops: state.stops + (event.type === 'ResourceStopRequested' ? 1 : 0),
  }),
};
function tallyModel(streamId: string, snapshotSchema = 1): StreamModel<TallyCommand, ResourceEvent, Tally> {
  return { streamId, decider: tallyDecider, snapshotSchema, isEvent: isResourceEvent };
}

const jobSpec: JobSpec = { name: 'train', owner: 'ann', command: 'python train.py', image: 'python:3.12', instance_type: 'medium', scale: 1, concurrency_policy: 'Allow', retries: 0, schedule_timezone: 'UTC' };
function applyJob(spec: JobSpec = jobSpec, createOnly = false): ResourceCommand {
  return { kind: 'ApplyRecipe', type: 'job', spec, createOnly, at: AT, actor: 'ann' };
}
function uniqueJobStream(): { streamId: string; spec: JobSpec } {
  const name = `job-${randomUUID().slice(0, 8)}`;
  return { streamId: resourceStreamId('job', 'ann', name), spec: { ...jobSpec, name } };
}

describe('DynamoEventStore', () => {
  describe('append, head and read', () => {
    it('reads back what it appended, with versions, commit time and the snapshot', async () => {
      // Prepare
      const streamId = freshStream();
      const events = [failed('one', 'ann'), failed('two', 'bob')];

      // Act
      const batch = await store.append(streamId, { expectedVersion: 0, events, snapshot: { schema: 7, state: { n: 2 } }, recentCommands: [] });
      const head = await store.head(streamId);
      const page = await store.read(streamId, 0, 10);

      // Assess
      expect(batch).toMatchObject({ streamId, firstVersion: 1, lastVersion: 2, committedAt: COMMITTED_AT, snapshot: { schema: 7, state: { n: 2 } } });
      expect(head).toEqual({ version: 2, snapshot: { schema: 7, state: { n: 2 } }, recentCommands: [] });
      expect(page).toEqual({
        events: [
          { stream: streamId, version: 1, type: 'ResourceFailed', data: { reason: 'one' }, at: AT, actor: 'ann' },
          { stream: streamId, version: 2, type: 'ResourceFailed', data: { reason: 'two' }, at: AT, actor: 'bob' },
        ],
        nextAfterVersion: undefined,
      });
      expect(batch.events).toEqual(page.events);
    });

    it('reports version 0 and no snapshot for a stream without events', async () => {
      expect(await store.head(freshStream())).toEqual({ version: 0, snapshot: undefined, recentCommands: [] });
      expect(await store.read(freshStream(), 0, 10)).toEqual({ events: [], nextAfterVersion: undefined });
    });

    it('refuses an empty batch and one over the batch limit', async () => {
      const request = { expectedVersion: 0, snapshot: { schema: 1, state: null }, recentCommands: [] };
      await expect(store.append(freshStream(), { ...request, events: [] })).rejects.toThrow(/at least one event/);
      const tooMany = Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => failed('x'));
      await expect(store.append(freshStream(), { ...request, events: tooMany })).rejects.toThrow(/at most/);
    });

    it('refuses to store an event type the event registry does not know', async () => {
      const unknown = { type: 'SomethingHappened', data: {}, at: AT, actor: 'ann' } as DomainEvent;
      await expect(store.append(freshStream(), { expectedVersion: 0, events: [unknown], snapshot: { schema: 1, state: null }, recentCommands: [] })).rejects.toThrow(
        /not a known event type/,
      );
    });
  });

  describe('sizing a batch before it is written (issue 19, finding 7)', () => {
    /** Text gzip shrinks by a quarter at most: random bytes in base64. */
    function incompressible(bytes: number): string {
      return randomBytes(bytes).toString('base64').slice(0, bytes);
    }

    it('counts an item as DynamoDB does: dynalite refuses just over 400 KB and takes just under ("Constraints in Amazon DynamoDB", Items)', async () => {
      // Prepare: items whose size by our count straddles the limit (in the views table, out of the event store's way)
      const item = (padding: number) => {
        const keys = { pk: { S: freshStream() }, sk: { S: 'size-probe' }, d: { S: '' } };
        return { ...keys, d: { S: 'x'.repeat(MAX_ITEM_BYTES - itemBytes(keys) + padding) } };
      };
      const under = item(0);
      const over = item(1);

      // Act / Assess
      expect(itemBytes(under)).toBe(MAX_ITEM_BYTES);
      await expect(dynamo.client.send(new PutItemCommand({ TableName: dynamo.tables.views, Item: under }))).resolves.toBeDefined();
      await expect(dynamo.client.send(new PutItemCommand({ TableName: dynamo.tables.views, Item: over }))).rejects.toThrow(/Item size has exceeded/);
    });

    it('refuses a batch DynamoDB would refuse, with a 413 error, sending nothing and storing nothing', async () => {
      // Prepare: three uses of 300 KB that gzip cannot fold into 400 KB
      const { store: counted, requests, client } = countingStore();
      const streamId = freshStream();
      const anchor = incompressible(300 * 1024);
      const events = [failed(anchor), failed(anchor), failed(anchor)];

      // Act
      const append = counted.append(streamId, { expectedVersion: 0, events, snapshot: { schema: 1, state: null }, recentCommands: [] });

      // Assess
      await expect(append).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(append).rejects.toThrow(/more than the 400 KB/);
      expect(requests).toEqual([]);
      expect(await store.head(streamId)).toEqual({ version: 0, snapshot: undefined, recentCommands: [] });
      client.destroy();
    });

    it('refuses a batch whose snapshot no view could hold, even when gzip makes the batch fit', async () => {
      // Prepare: a snapshot that compresses to almost nothing but is over the limit as plain JSON
      const streamId = freshStream();
      const state = { env: 'a'.repeat(MAX_SNAPSHOT_JSON_BYTES) };

      // Act
      const append = store.append(streamId, { expectedVersion: 0, events: [failed('big')], snapshot: { schema: 1, state }, recentCommands: [] });

      // Assess
      await expect(append).rejects.toBeInstanceOf(PayloadTooLargeError);
      expect((await store.head(streamId)).version).toBe(0);
    });

    it('stores a large batch that fits once compressed', async () => {
      const streamId = freshStream();
      const state = { env: 'a'.repeat(MAX_SNAPSHOT_JSON_BYTES - 100) };

      await store.append(streamId, { expectedVersion: 0, events: [failed('a'.repeat(300 * 1024))], snapshot: { schema: 1, state }, recentCommands: [] });

      expect((await store.head(streamId)).snapshot).toEqual({ schema: 1, state });
    });
  });

  describe('cost per command', () => {
    it('appends with one request and loads the head with one request, however long the history', async () => {
      // Prepare
      const { store: counted, requests, client } = countingStore();
      const streamId = freshStream();

      // Act: each batch goes to its own slot, so they can be written side by side
      for (let from = 0; from < 300; from += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            counted.append(streamId, { expectedVersion: from + i, events: [failed(`event ${from + i + 1}`)], snapshot: { schema: 1, state: { count: from + i + 1 } }, recentCommands: [] }),
          ),
        );
      }
      const appendRequests = [...requests];
      requests.length = 0;
      const head = await counted.head(streamId);

      // Assess
      expect(appendRequests).toHaveLength(300);
      expect(new Set(appendRequests)).toEqual(new Set(['PutItemCommand']));
      expect(requests).toEqual(['QueryCommand']);
      expect(head.version).toBe(300);
      expect(head.snapshot).toEqual({ schema: 1, state: { count: 300 } });
      client.destroy();
    });

    it('runs a command with one read and one write on a long stream', async () => {
      // Prepare
      const { store: counted, requests, client } = countingStore();
      const streamId = freshStream();
      for (let writer = 0; writer < 50; writer++) await runCommand(counted, tallyModel(streamId), { kind: 'Start', writer });
      requests.length = 0;

      // Act
      const outcome = await runCommand(counted, tallyModel(streamId), { kind: 'Stop', writer: 50 });

      // Assess
      expect(requests).toEqual(['QueryCommand', 'PutItemCommand']);
      expect(outcome.version).toBe(51);
      expect(outcome.state).toMatchObject({ starts: 50, stops: 1 });
      client.destroy();
    });
  });

  describe('optimistic concurrency', () => {
    it('lets exactly one of two writers at the same expected version win', async () => {
      // Prepare
      const streamId = freshStream();
      const write = (reason: string) => store.append(streamId, { expectedVersion: 0, events: [failed(reason)], snapshot: { schema: 1, state: reason }, recentCommands: [] });

      // Act
      const results = await Promise.allSettled([write('first'), write('second')]);

      // Assess
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(WrongExpectedVersionError);
      expect(lost[0]!.reason).toMatchObject({ streamId, expectedVersion: 0 });
      const events = await allEvents(store, streamId);
      expect(events).toHaveLength(1);
      expect((await store.head(streamId)).snapshot?.state).toBe((events[0]!.data as { reason: string }).reason);
    });

    it('refuses a writer whose expected version the stream has moved past', async () => {
      const streamId = freshStream();
      await appendBatches(store, streamId, [2, 1]);
      await expect(store.append(streamId, { expectedVersion: 2, events: [failed('late')], snapshot: { schema: 1, state: null }, recentCommands: [] })).rejects.toBeInstanceOf(
        WrongExpectedVersionError,
      );
      expect((await store.head(streamId)).version).toBe(3);
    });

    it('loses no event when 20 writers race on one stream', async () => {
      // Prepare
      const { store: counted, requests, client } = countingStore();
      const streamId = freshStream();
      const writers = Array.from({ length: 20 }, (_, writer) => ({ kind: writer % 2 === 0 ? 'Start' : 'Stop', writer }) as TallyCommand);

      // Act
      const outcomes = await Promise.all(writers.map((command) => runCommand(counted, tallyModel(streamId), command, { maxAttempts: 20 })));
      client.destroy();

      // Assess
      // They did race: some appends lost and were decided again.
      expect(requests.filter((r) => r === 'PutItemCommand').length).toBeGreaterThan(20);
      const events = await allEvents(store, streamId);
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.actor))).toEqual(new Set(writers.map((w) => `writer-${w.writer}`)));
      expect(outcomes.map((o) => o.version).sort((a, b) => a - b)).toEqual(events.map((e) => e.version));
      const head = await store.head(streamId);
      expect(head.version).toBe(20);
      expect(head.snapshot?.state).toEqual(fold(tallyDecider, tallyDecider.initialState, events as ResourceEvent[]));
      expect(head.snapshot?.state).toMatchObject({ starts: 10, stops: 10 });
    });

    it('keeps the resource snapshot equal to the fold of its events under racing start and stop commands', async () => {
      // Prepare
      const { streamId, spec } = uniqueJobStream();
      const model = resourceModel(streamId);
      const created = await runCommand(store, model, applyJob(spec));
      const id = created.state.live!.id;
      const commands: ResourceCommand[] = Array.from({ length: 20 }, (_, i) => ({ kind: i % 2 === 0 ? 'StartResource' : 'StopResource', id, at: AT, actor: `user-${i}` }));

      // Act
      const outcomes = await Promise.all(commands.map((command) => runCommand(store, model, command, { maxAttempts: 25 })));

      // Assess
      const events = await allEvents(store, streamId);
      const head = await store.head(streamId);
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: head.version }, (_, i) => i + 1));
      // Every event a writer was told it appended is in the stream, at the version it was told.
      const committed = outcomes.flatMap((o) => o.events);
      expect(committed.map((e) => e.version).sort((a, b) => a - b)).toEqual(events.slice(1).map((e) => e.version));
      for (const event of committed) expect(events[event.version - 1]).toEqual(event);
      expect(head.snapshot?.state).toEqual(fold(model.decider, model.decider.initialState, events as ResourceEvent[]));
    });

    it('keeps names unique: of 10 racing creates exactly one succeeds', async () => {
      // Prepare
      const { streamId, spec } = uniqueJobStream();
      const model = resourceModel(streamId);

      // Act
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => runCommand(store, model, applyJob(spec, true), { maxAttempts: 10 })));

      // Assess
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason).toBeInstanceOf(ConflictError);
      expect(await allEvents(store, streamId)).toHaveLength(1);
    });
  });

  describe('runCommand', () => {
    /** The store, except that a rival command lands just before our first append. */
    function withRivalBeforeFirstAppend(rival: () => Promise<unknown>): EventStore {
      let fired = false;
      return {
        head: (streamId) => store.head(streamId),
        read: (streamId, after, limit) => store.read(streamId, after, limit),
        batchesAfter: (streamId, after) => store.batchesAfter(streamId, after),
        allBatches: () => store.allBatches(),
        async append(streamId, request) {
          if (!fired) {
            fired = true;
            await rival();
          }
          return store.append(streamId, request);
        },
      };
    }

    it('decides again on fresh state after losing a race', async () => {
      // Prepare
      const streamId = freshStream();
      const racing = withRivalBeforeFirstAppend(() => runCommand(store, tallyModel(streamId), { kind: 'Start', writer: 1 }));

      // Act
      const outcome = await runCommand(racing, tallyModel(streamId), { kind: 'Stop', writer: 2 });

      // Assess
      expect(outcome.version).toBe(2);
      expect(outcome.state).toEqual({ writers: ['writer-1', 'writer-2'], starts: 1, stops: 1 });
      expect((await allEvents(store, streamId)).map((e) => e.actor)).toEqual(['writer-1', 'writer-2']);
    });

    it('refuses with a conflict when the fresh state forbids the command', async () => {
      const { streamId, spec } = uniqueJobStream();
      const racing = withRivalBeforeFirstAppend(() => runCommand(store, resourceModel(streamId), applyJob(spec, true)));
      await expect(runCommand(racing, resourceModel(streamId), applyJob({ ...spec, scale: 2 }, true))).rejects.toThrow(/already exists/);
      expect(await allEvents(store, streamId)).toHaveLength(1);
    });

    it('gives up with a conflict after maxAttempts lost races', async () => {
      const streamId = freshStream();
      const racing = withRivalBeforeFirstAppend(() => runCommand(store, tallyModel(streamId), { kind: 'Start', writer: 1 }));
      await expect(runCommand(racing, tallyModel(streamId), { kind: 'Stop', writer: 2 }, { maxAttempts: 1 })).rejects.toThrow(ConflictError);
      expect(await allEvents(store, streamId)).toHaveLength(1);
    });

    it('appends nothing for a command that decides nothing', async () => {
      const { streamId, spec } = uniqueJobStream();
      await runCommand(store, resourceModel(streamId), applyJob(spec));
      const outcome = await runCommand(store, resourceModel(streamId), applyJob(spec));
      expect(outcome).toMatchObject({ version: 1, events: [], duplicate: false });
      expect((await store.head(streamId)).version).toBe(1);
    });

    it('applies a command id once: the repeat returns duplicate and appends nothing', async () => {
      // Prepare
      const { streamId, spec } = uniqueJobStream();
      const model = resourceModel(streamId);
      const first = await runCommand(store, model, applyJob(spec, true), { commandId: 'req-1' });

      // Act: the same request again, which would conflict if it were decided again
      const repeat = await runCommand(store, model, applyJob(spec, true), { commandId: 'req-1' });

      // Assess
      expect(first).toMatchObject({ version: 1, duplicate: false });
      expect(first.events).toHaveLength(1);
      expect(repeat).toMatchObject({ version: 1, events: [], duplicate: true });
      expect(repeat.state).toEqual(first.state);
      expect((await store.head(streamId)).recentCommands).toEqual([{ id: 'req-1', version: 1 }]);
      await expect(runCommand(store, model, applyJob(spec, true), { commandId: 'req-2' })).rejects.toThrow(ConflictError);
    });

    it('remembers command ids across later commands, up to the last REMEMBERED_COMMANDS of them', async () => {
      // Prepare
      const streamId = freshStream();
      await runCommand(store, tallyModel(streamId), { kind: 'Start', writer: 0 }, { commandId: 'cmd-0' });
      await runCommand(store, tallyModel(streamId), { kind: 'Start', writer: 1 });

      // Act and assess: remembered after a command without id
      expect((await runCommand(store, tallyModel(streamId), { kind: 'Start', writer: 0 }, { commandId: 'cmd-0' })).duplicate).toBe(true);

      // Act and assess: forgotten once REMEMBERED_COMMANDS newer ids came after it
      for (let i = 1; i <= REMEMBERED_COMMANDS; i++) await runCommand(store, tallyModel(streamId), { kind: 'Stop', writer: i }, { commandId: `cmd-${i}` });
      const head = await store.head(streamId);
      expect(head.recentCommands).toHaveLength(REMEMBERED_COMMANDS);
      expect(head.recentCommands.at(-1)).toEqual({ id: `cmd-${REMEMBERED_COMMANDS}`, version: REMEMBERED_COMMANDS + 2 });
      expect((await runCommand(store, tallyModel(streamId), { kind: 'Start', writer: 0 }, { commandId: `cmd-${REMEMBERED_COMMANDS}` })).duplicate).toBe(true);
      expect((await runCommand(store, tallyModel(streamId), { kind: 'Start', writer: 0 }, { commandId: 'cmd-0' })).duplicate).toBe(false);
    });
  });

  describe('loadState', () => {
    it('takes the state from the snapshot in one request when its schema is current', async () => {
      // Prepare: a snapshot that is not the fold of the events shows where the state came from
      const { store: counted, requests, client } = countingStore();
      const streamId = freshStream();
      await store.append(streamId, { expectedVersion: 0, events: [failed('x')], snapshot: { schema: 1, state: { from: 'snapshot' } }, recentCommands: [] });

      // Act
      const { state } = await loadState(counted, tallyModel(streamId, 1));

      // Assess
      expect(state).toEqual({ from: 'snapshot' });
      expect(requests).toEqual(['QueryCommand']);
      client.destroy();
    });

    it('replays every event when the snapshot has another schema, across read pages', async () => {
      // Prepare: 1050 events, more than one read page, under a stale snapshot
      const streamId = freshStream();
      let version = 0;
      for (let batch = 0; batch < 11; batch++) {
        const size = batch < 10 ? 100 : 50;
        const events = Array.from({ length: size }, (_, i): ResourceEvent => ({ type: 'ResourceStartRequested', data: {}, at: AT, actor: `writer-${version + i}` }));
        await store.append(streamId, { expectedVersion: version, events, snapshot: { schema: 0, state: 'stale' }, recentCommands: [] });
        version += size;
      }

      // Act
      const { head, state } = await loadState(store, tallyModel(streamId, 1));

      // Assess
      expect(head.version).toBe(1050);
      expect(state.starts).toBe(1050);
      expect(state.writers[0]).toBe('writer-0');
      expect(state.writers.at(-1)).toBe('writer-1049');
    });

    it('starts from the initial state on an empty stream', async () => {
      expect((await loadState(store, tallyModel(freshStream()))).state).toEqual(tallyDecider.initialState);
    });
  });

  describe('read', () => {
    it('pages through events with a limit, across batch boundaries', async () => {
      // Prepare: five batches of three events
      const streamId = freshStream();
      await appendBatches(store, streamId, [3, 3, 3, 3, 3]);

      // Act
      const pages = [];
      let after: number | undefined = 0;
      while (after !== undefined) {
        const page = await store.read(streamId, after, 4);
        pages.push(page.events.map((e) => e.version));
        after = page.nextAfterVersion;
      }

      // Assess
      expect(pages).toEqual([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10, 11, 12],
        [13, 14, 15],
      ]);
    });

    it('ends the paging on a page that exactly reaches the end, and reads nothing after it', async () => {
      const streamId = freshStream();
      await appendBatches(store, streamId, [3, 3]);
      expect(await store.read(streamId, 2, 4)).toMatchObject({ nextAfterVersion: undefined });
      expect((await store.read(streamId, 2, 4)).events.map((e) => e.version)).toEqual([3, 4, 5, 6]);
      expect(await store.read(streamId, 6, 4)).toEqual({ events: [], nextAfterVersion: undefined });
    });

    it('starts in the middle of a batch', async () => {
      const streamId = freshStream();
      await appendBatches(store, streamId, [5]);
      const page = await store.read(streamId, 2, 2);
      expect(page.events.map((e) => [e.version, e.data])).toEqual([
        [3, { reason: 'event 3' }],
        [4, { reason: 'event 4' }],
      ]);
      expect(page.nextAfterVersion).toBe(4);
    });

    it('finds versions far into a long stream', async () => {
      const streamId = freshStream();
      await appendBatches(store, streamId, [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, MAX_BATCH_EVENTS]);
      const page = await store.read(streamId, 250, 3);
      expect(page.events.map((e) => e.version)).toEqual([251, 252, 253]);
    });
  });

  describe('batchesAfter', () => {
    it('returns whole batches from the one holding the next version on', async () => {
      // Prepare
      const streamId = freshStream();
      await appendBatches(store, streamId, [3, 3, 3]);

      // Act
      const fromMiddle = await store.batchesAfter(streamId, 5);
      const fromBoundary = await store.batchesAfter(streamId, 6);

      // Assess
      expect(fromMiddle.map((b) => [b.firstVersion, b.lastVersion])).toEqual([
        [4, 6],
        [7, 9],
      ]);
      expect(fromMiddle[0]!.events.map((e) => e.version)).toEqual([4, 5, 6]);
      expect(fromMiddle[0]!.snapshot).toEqual({ schema: 1, state: { count: 6 } });
      expect(fromBoundary.map((b) => b.firstVersion)).toEqual([7]);
      expect(await store.batchesAfter(streamId, 9)).toEqual([]);
    });

    it('finds the batch holding a version in a stream of full batches', async () => {
      const streamId = freshStream();
      await appendBatches(store, streamId, [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, MAX_BATCH_EVENTS]);
      const batches = await store.batchesAfter(streamId, 150);
      expect(batches.map((b) => b.firstVersion)).toEqual([101, 201]);
    });
  });

  describe('allBatches', () => {
    it('yields every batch of every stream', async () => {
      const a = freshStream();
      const b = freshStream();
      await appendBatches(store, a, [1, 2]);
      await appendBatches(store, b, [1]);
      const seen: string[] = [];
      for await (const batch of store.allBatches()) if (batch.streamId === a || batch.streamId === b) seen.push(`${batch.streamId === a ? 'a' : 'b'}${batch.firstVersion}`);
      expect(seen.sort()).toEqual(['a1', 'a2', 'b1']);
    });
  });

  describe('large batches', () => {
    it('stores payloads over 64 KiB gzipped and reads them back unchanged', async () => {
      // Prepare: incompressible data, so the item is large even gzipped
      const streamId = freshStream();
      const reason = randomBytes(60 * 1024).toString('base64');
      const snapshot = { schema: 1, state: { reason, note: 'ü€' } };

      // Act
      await store.append(streamId, { expectedVersion: 0, events: [failed(reason)], snapshot, recentCommands: [], commandId: 'big' });
      const raw = await dynamo.client.send(new GetItemCommand({ TableName: dynamo.tables.events, Key: { pk: { S: streamId }, sk: { N: '1' } } }));
      const head = await store.head(streamId);
      const page = await store.read(streamId, 0, 10);

      // Assess
      expect(raw.Item?.z?.B).toBeDefined();
      expect(raw.Item?.e).toBeUndefined();
      expect(raw.Item?.s).toBeUndefined();
      expect(head).toEqual({ version: 1, snapshot, recentCommands: [{ id: 'big', version: 1 }] });
      expect(page.events[0]!.data).toEqual({ reason });
    });

    it('stores small payloads plainly', async () => {
      const streamId = freshStream();
      await appendBatches(store, streamId, [1]);
      const raw = await dynamo.client.send(new GetItemCommand({ TableName: dynamo.tables.events, Key: { pk: { S: streamId }, sk: { N: '1' } } }));
      expect(raw.Item?.z).toBeUndefined();
      expect(JSON.parse(raw.Item!.e!.S!)).toEqual([{ t: 'ResourceFailed', v: 1, at: AT, a: 'runtime', d: { reason: 'event 1' } }]);
    });
  });
});
