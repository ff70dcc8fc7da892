/**
 * Usage folds in the views table: partition `usage`, one item per stream (sort key the stream
 * id) holding its intervals as JSON, with the stream version it reached (`sv`).
 *
 * One partition keeps the usage routes to one paged Query; an installation's streams number in
 * the thousands, each fold a few hundred bytes per interval.
 */
import { GetItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { UsageViews } from '../../ports/usage-views.ts';
import type { UsageStreamState } from '../../domain/usage/usage-intervals.ts';
import { directItemWriter, type ItemWriter } from './item-writer.ts';
import { clearPartition } from './clear-partition.ts';

const PARTITION = 'usage';

/** One stream's fold as the table holds it. */
export interface UsageEntry {
  streamId: string;
  usage: UsageStreamState;
}

export class DynamoUsageViews implements UsageViews {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Directly by default; written behind only behind a memory front (memory-usage-views.ts, write-behind-items.ts). */
    private readonly writes: ItemWriter = directItemWriter(client, tableName),
  ) {}

  async get(streamId: string): Promise<UsageStreamState | undefined> {
    const pending = this.writes.pending(PARTITION, streamId);
    if (pending) return JSON.parse(pending.d!.S!) as UsageStreamState;
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: PARTITION }, sk: { S: streamId } }, ConsistentRead: true }));
    return Item ? (JSON.parse(Item.d!.S!) as UsageStreamState) : undefined;
  }

  async put(streamId: string, usage: UsageStreamState): Promise<void> {
    await this.writes.put({ pk: { S: PARTITION }, sk: { S: streamId }, sv: { N: String(usage.version) }, d: { S: JSON.stringify(usage) } }, 'sv');
  }

  async all(): Promise<UsageStreamState[]> {
    const folds: UsageStreamState[] = [];
    for await (const { usage } of this.entries()) folds.push(usage);
    return folds;
  }

  /** Every fold with its stream, in stream id order: what memory views load at start. */
  async *entries(): AsyncIterable<UsageEntry> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: PARTITION } }, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) yield { streamId: item.sk!.S!, usage: JSON.parse(item.d!.S!) as UsageStreamState };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async clear(): Promise<void> {
    // Nothing written behind may land after the clear.
    await this.writes.flush();
    return clearPartition(this.client, this.tableName, PARTITION);
  }
}
