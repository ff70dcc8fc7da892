/**
 * The event store on DynamoDB: one item per committed batch (see batch-item.ts). Loading a
 * stream's head is one Query (newest item first, limit 1); appending is one conditional
 * PutItem. No transactions, no scans on the command path.
 *
 * A batch is sized before it is written. One DynamoDB would refuse (over 400 KB, item-size.ts)
 * is refused as too large, and so is one whose snapshot, uncompressed, could not fit in a
 * view item: the read models are projected from snapshots (recipe and run views hold them as
 * plain JSON), and a batch stored but impossible to project would stop its projector at that
 * batch for good. Refused here, the command fails with 413 and nothing is recorded.
 */
import {
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { AppendRequest, CommittedBatch, EventPage, EventStore, StreamHead } from '../../ports/event-store.ts';
import { WrongExpectedVersionError } from '../../ports/event-store.ts';
import { decodeBatch, encodeBatch, MAX_BATCH_EVENTS, recentCommandsAfter, type Item } from './batch-item.ts';
import { conditionFailed } from './condition-failed.ts';
import { itemBytes, MAX_ITEM_BYTES } from './item-size.ts';
import { PayloadTooLargeError } from '../../domain/errors.ts';

const batchSlotIsFree = 'attribute_not_exists(pk)';

/** The largest snapshot, as JSON, whose view still fits in an item beside its keys and a few fields of its own. */
export const MAX_SNAPSHOT_JSON_BYTES = MAX_ITEM_BYTES - 16 * 1024;

function refuseOversized(item: Item, snapshotState: unknown): void {
  const snapshotBytes = Buffer.byteLength(JSON.stringify(snapshotState) ?? '');
  if (itemBytes(item) > MAX_ITEM_BYTES || snapshotBytes > MAX_SNAPSHOT_JSON_BYTES) {
    throw new PayloadTooLargeError(
      `This change would store more than the ${MAX_ITEM_BYTES / 1024} KB a record may hold (${Math.ceil(snapshotBytes / 1024)} KB of state); make the spec, its environment variables or config files smaller.`,
    );
  }
}

export interface DynamoEventStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The clock stamping commits; injected so tests can pin it. */
  now?: () => Date;
}

export class DynamoEventStore implements EventStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(options: DynamoEventStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
  }

  async head(streamId: string): Promise<StreamHead> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: streamId } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    if (!item) return { version: 0, snapshot: undefined, recentCommands: [] };
    const batch = decodeBatch(item);
    return { version: batch.lastVersion, snapshot: batch.snapshot, recentCommands: batch.recentCommands };
  }

  async append(streamId: string, request: AppendRequest): Promise<CommittedBatch> {
    if (request.events.length === 0) throw new Error('append needs at least one event');
    if (request.events.length > MAX_BATCH_EVENTS) throw new Error(`a batch holds at most ${MAX_BATCH_EVENTS} events`);
    const firstVersion = request.expectedVersion + 1;
    const lastVersion = request.expectedVersion + request.events.length;
    const recentCommands = recentCommandsAfter(request, lastVersion);
    const committedAt = this.now().toISOString();
    const item = encodeBatch({ streamId, firstVersion, events: request.events, snapshot: request.snapshot, recentCommands, committedAt });
    refuseOversized(item, request.snapshot.state);
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: batchSlotIsFree }));
    } catch (error) {
      if (conditionFailed(error)) {
        throw new WrongExpectedVersionError(streamId, request.expectedVersion);
      }
      throw error;
    }
    return {
      streamId,
      firstVersion,
      lastVersion,
      committedAt,
      snapshot: request.snapshot,
      events: request.events.map((e, i) => ({ ...e, stream: streamId, version: firstVersion + i })),
    };
  }

  async read(streamId: string, afterVersion: number, limit: number): Promise<EventPage> {
    const events = [];
    for await (const batch of this.batchesFrom(streamId, afterVersion)) {
      for (const event of batch.events) {
        if (event.version <= afterVersion) continue;
        if (events.length === limit) return { events, nextAfterVersion: events[events.length - 1]!.version };
        events.push(event);
      }
    }
    return { events, nextAfterVersion: undefined };
  }

  async batchesAfter(streamId: string, afterVersion: number): Promise<CommittedBatch[]> {
    const out: CommittedBatch[] = [];
    for await (const batch of this.batchesFrom(streamId, afterVersion)) {
      if (batch.lastVersion > afterVersion) out.push(batch);
    }
    return out;
  }

  /** Batches that may hold versions after `afterVersion`: a batch starts at most MAX_BATCH_EVENTS - 1 before its last event. */
  private async *batchesFrom(streamId: string, afterVersion: number): AsyncIterable<CommittedBatch> {
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk > :from',
          ExpressionAttributeValues: { ':pk': { S: streamId }, ':from': { N: String(afterVersion - MAX_BATCH_EVENTS) } },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield decodeBatch(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async *allBatches(): AsyncIterable<CommittedBatch> {
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) yield decodeBatch(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
