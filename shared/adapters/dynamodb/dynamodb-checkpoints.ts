/**
 * Consumer checkpoints in the views table: pk `checkpoint#<consumer>`, sk the stream id, `v` the
 * version handled. An advance only moves forward (put-if-newer.ts), through `writes`: directly
 * by default, or written behind where this process is the only writer (write-behind-items.ts).
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Checkpoints } from '../../ports/checkpoints.ts';
import { directItemWriter, type ItemWriter } from './item-writer.ts';
import type { VersionedItem } from './put-if-newer.ts';

const PARTITION_PREFIX = 'checkpoint#';

/** Whether a views-table item is a checkpoint: write-behind writes them after the views they follow. */
export function isCheckpointItem(item: VersionedItem): boolean {
  return item.pk.S.startsWith(PARTITION_PREFIX);
}

export class DynamoCheckpoints implements Checkpoints {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly writes: ItemWriter = directItemWriter(client, tableName),
  ) {}

  async get(consumer: string, streamId: string): Promise<number> {
    const pending = this.writes.pending(`${PARTITION_PREFIX}${consumer}`, streamId);
    if (pending) return Number(pending.v!.N);
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: `${PARTITION_PREFIX}${consumer}` }, sk: { S: streamId } }, ConsistentRead: true }),
    );
    return Number(result.Item?.v?.N ?? 0);
  }

  advance(consumer: string, streamId: string, version: number): Promise<void> {
    return this.writes.put({ pk: { S: `${PARTITION_PREFIX}${consumer}` }, sk: { S: streamId }, v: { N: String(version) } }, 'v');
  }
}
