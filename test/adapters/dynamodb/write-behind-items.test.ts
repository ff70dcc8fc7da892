import { randomUUID } from 'node:crypto';
import { BatchWriteItemCommand, GetItemCommand, type BatchWriteItemCommandOutput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { MAX_BATCH_WRITE_ITEMS, WriteBehindItems } from '../../../shared/adapters/dynamodb/write-behind-items.ts';
import { DynamoCheckpoints, isCheckpointItem } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import type { VersionedItem } from '../../../shared/adapters/dynamodb/put-if-newer.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoTokenViews } from '../../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import type { Run } from '../../../shared/domain/run/run-decider.ts';
import type { TokenView } from '../../../shared/ports/token-views.ts';

let dynamo: EmbeddedDynamo;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

const view = (pk: string, sk: string, sv: number) => ({ pk: { S: pk }, sk: { S: sk }, sv: { N: String(sv) }, d: { S: `{"at":${sv}}` } });
const checkpoint = (consumer: string, streamId: string, v: number) => ({ pk: { S: `checkpoint#${consumer}` }, sk: { S: streamId }, v: { N: String(v) } });

/** The real client, with every BatchWriteItem it sends recorded (its items, and when it was sent and answered). */
function recording(client: DynamoDBClient, answer?: (command: BatchWriteItemCommand, call: number) => Promise<BatchWriteItemCommandOutput | undefined>) {
  const batches: Array<{ items: VersionedItem[]; sentAt: number; answeredAt?: number }> = [];
  let clock = 0;
  const spy = {
    send: async (command: BatchWriteItemCommand) => {
      const record: (typeof batches)[number] = { items: command.input.RequestItems![dynamo.tables.views]!.map((w) => w.PutRequest!.Item as VersionedItem), sentAt: clock++ };
      batches.push(record);
      const output = (await answer?.(command, batches.length)) ?? (await client.send(command));
      record.answeredAt = clock++;
      return output;
    },
  } as unknown as DynamoDBClient;
  return { client: spy, batches };
}

async function stored(pk: string, sk: string) {
  const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: dynamo.tables.views, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
  return Item;
}

describe('WriteBehindItems', () => {
  it('answers a put at once, and writes each key once, at its newest version, in one request', async () => {
    // Prepare
    const pk = `usage-${randomUUID()}`;
    const spy = recording(dynamo.client);
    const writes = new WriteBehindItems(spy.client, dynamo.tables.views, { delayMs: 5 });

    // Act
    for (let sv = 1; sv <= 3; sv++) await writes.put(view(pk, 'run-a', sv), 'sv');
    await writes.put(view(pk, 'run-b', 7), 'sv');
    await writes.put(view(pk, 'run-b', 6), 'sv'); // older than what is pending: dropped
    const before = await stored(pk, 'run-a');
    await writes.persisted();

    // Assess
    expect(before).toBeUndefined();
    expect((await stored(pk, 'run-a'))?.sv).toEqual({ N: '3' });
    expect((await stored(pk, 'run-b'))?.sv).toEqual({ N: '7' });
    expect(spy.batches.map((b) => b.items.length)).toEqual([2]);
  });

  it('sends at most 25 puts per BatchWriteItem, never two for one key, as DynamoDB requires', async () => {
    // BatchWriteItem: "up to 25 item put or delete operations"; a request with two operations on one
    // item is refused (ValidationException).
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
    // Prepare: the rule holds in the store the tests run against, too
    const pk = `recipes-${randomUUID()}`;
    const tooMany = Array.from({ length: MAX_BATCH_WRITE_ITEMS + 1 }, (_, i) => ({ PutRequest: { Item: view(pk, `k-${i}`, 1) } }));
    await expect(dynamo.client.send(new BatchWriteItemCommand({ RequestItems: { [dynamo.tables.views]: tooMany } }))).rejects.toThrow(/25/);
    const spy = recording(dynamo.client);
    const writes = new WriteBehindItems(spy.client, dynamo.tables.views, { delayMs: 5 });

    // Act: 60 keys, each put twice
    for (const sv of [1, 2]) for (let i = 0; i < 60; i++) await writes.put(view(pk, `k-${i}`, sv), 'sv');
    await writes.persisted();

    // Assess
    expect(spy.batches.map((b) => b.items.length).sort((a, b) => b - a)).toEqual([25, 25, 10]);
    for (const { items } of spy.batches) expect(new Set(items.map((item) => item.sk.S)).size).toBe(items.length);
    for (let i = 0; i < 60; i++) expect((await stored(pk, `k-${i}`))?.sv).toEqual({ N: '2' });
  });

  it('writes the checkpoints of a round only after every other item of it is in the table', async () => {
    // Prepare
    const pk = `usage-${randomUUID()}`;
    const spy = recording(dynamo.client);
    const writes = new WriteBehindItems(spy.client, dynamo.tables.views, { delayMs: 5, writeLast: isCheckpointItem });

    // Act: interleaved, as deliveries make them
    for (let i = 0; i < 30; i++) {
      await writes.put(view(pk, `run-${i}`, 1), 'sv');
      await writes.put(checkpoint('read-model-projector', `run-${i}-${pk}`, 1), 'v');
    }
    await writes.persisted();

    // Assess
    const views = spy.batches.filter((b) => b.items.every((item) => !isCheckpointItem(item)));
    const checkpoints = spy.batches.filter((b) => b.items.every(isCheckpointItem));
    expect(views.length + checkpoints.length).toBe(spy.batches.length);
    expect(checkpoints.flatMap((b) => b.items)).toHaveLength(30);
    const lastViewAnswered = Math.max(...views.map((b) => b.answeredAt!));
    for (const batch of checkpoints) expect(batch.sentAt).toBeGreaterThan(lastViewAnswered);
  });

  it('sends the items DynamoDB hands back unprocessed again, and only those', async () => {
    // "If any requested operations fail [...] the failed operations are returned in the UnprocessedItems response parameter."
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
    // Prepare: the first answer hands back the second item
    const pk = `usage-${randomUUID()}`;
    const spy = recording(dynamo.client, async (command, call) => {
      if (call !== 1) return undefined;
      const [first, second] = command.input.RequestItems![dynamo.tables.views]!;
      await dynamo.client.send(new BatchWriteItemCommand({ RequestItems: { [dynamo.tables.views]: [first!] } }));
      return { UnprocessedItems: { [dynamo.tables.views]: [second!] }, $metadata: {} };
    });
    const writes = new WriteBehindItems(spy.client, dynamo.tables.views, { delayMs: 5, pause: async () => {} });

    // Act
    await writes.put(view(pk, 'a', 1), 'sv');
    await writes.put(view(pk, 'b', 1), 'sv');
    await writes.persisted();

    // Assess
    expect(spy.batches.map((b) => b.items.map((item) => item.sk.S))).toEqual([['a', 'b'], ['b']]);
    expect(await stored(pk, 'a')).toBeDefined();
    expect(await stored(pk, 'b')).toBeDefined();
  });

  it('keeps the items of a failed round, says so, and writes them in the next one; persisted() waits for it', async () => {
    // Prepare: the first request fails outright
    const pk = `usage-${randomUUID()}`;
    const errors: unknown[] = [];
    const spy = recording(dynamo.client, async (_command, call) => {
      if (call === 1) throw new Error('throttled');
      return undefined;
    });
    const writes = new WriteBehindItems(spy.client, dynamo.tables.views, { delayMs: 5, onError: (error) => errors.push(error) });

    // Act
    await writes.put(view(pk, 'a', 4), 'sv');
    await writes.persisted();

    // Assess
    expect(errors.map(String)).toEqual(['Error: throttled']);
    expect(spy.batches).toHaveLength(2);
    expect((await stored(pk, 'a'))?.sv).toEqual({ N: '4' });
  });

  it('writes everything at once on flush (a clean stop), without waiting for the delay', async () => {
    // Prepare
    const pk = `usage-${randomUUID()}`;
    const writes = new WriteBehindItems(dynamo.client, dynamo.tables.views, { delayMs: 3_600_000 });
    await writes.put(view(pk, 'a', 1), 'sv');

    // Act
    await writes.flush();

    // Assess
    expect(await stored(pk, 'a')).toBeDefined();
  });

  it('answers a checkpoint read with the advance not yet written', async () => {
    // Prepare
    const consumer = `reactor-${randomUUID()}`;
    const writes = new WriteBehindItems(dynamo.client, dynamo.tables.views, { delayMs: 3_600_000 });
    const checkpoints = new DynamoCheckpoints(dynamo.client, dynamo.tables.views, writes);

    // Act
    await checkpoints.advance(consumer, 'run-1', 5);
    const read = await checkpoints.get(consumer, 'run-1');

    // Assess
    expect(read).toBe(5);
    expect(await stored(`checkpoint#${consumer}`, 'run-1')).toBeUndefined();
    await writes.flush();
    expect(await new DynamoCheckpoints(dynamo.client, dynamo.tables.views).get(consumer, 'run-1')).toBe(5);
  });

  it('lists runs and tokens put and not yet written: a listing first writes what is pending', async () => {
    // Prepare: a delay no test waits out
    const writes = new WriteBehindItems(dynamo.client, dynamo.tables.views, { delayMs: 3_600_000 });
    const runs = new DynamoRunViews(dynamo.client, dynamo.tables.views, writes);
    const tokens = new DynamoTokenViews(dynamo.client, dynamo.tables.views, writes);
    const jobId = randomUUID().replaceAll('-', '');
    const run: Run = { id: 'a'.repeat(32), jobId, owner: 'ann', trigger: 'api', attempt: 1, scheduledFor: null, notBefore: null, status: 'queued', plan: null, tasks: [], createdAt: '2026-12-06T10:00:00.000Z', startedAt: null, finishedAt: null, exitCode: null, reason: null };
    const username = `ann-${randomUUID()}`;
    const token = { tokenId: 'b'.repeat(32), username, expiresAt: null, issuedAt: '2026-12-06T10:00:00.000Z', issuedBy: username, scope: 'user', lineage: [], lastUsedAt: null, revoked: false } as unknown as TokenView;

    // Act
    await runs.put(run, 1);
    await tokens.put(token, 1);
    const listed = { runs: await runs.list({ jobId, limit: 10 }), tokens: await tokens.list(username) };

    // Assess
    expect(listed.runs.runs).toEqual([run]);
    expect(listed.tokens.map((t) => t.tokenId)).toEqual([token.tokenId]);
  });
});
