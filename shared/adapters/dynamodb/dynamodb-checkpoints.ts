/** Consumer checkpoints in the views table: pk `checkpoint#<consumer>`, sk the stream id. */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Checkpoints } from '../../ports/checkpoints.ts';
import { conditionFailed } from './condition-failed.ts';

const onlyForward = 'attribute_not_exists(pk) OR v < :v';

export class DynamoCheckpoints implements Checkpoints {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async get(consumer: string, streamId: string): Promise<number> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: `checkpoint#${consumer}` }, sk: { S: streamId } }, ConsistentRead: true }),
    );
    return Number(result.Item?.v?.N ?? 0);
  }

  async advance(consumer: string, streamId: string, version: number): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: `checkpoint#${consumer}` }, sk: { S: streamId }, v: { N: String(version) } },
          ConditionExpression: onlyForward,
          ExpressionAttributeValues: { ':v': { N: String(version) } },
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) return;
      throw error;
    }
  }
}
