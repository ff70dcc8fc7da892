/**
 * Deletes every item of one partition of a table, a page of keys at a time: how a read model
 * is emptied before a rebuild. Unprocessed deletes (throttling) are sent again until none is left.
 */
import { BatchWriteItemCommand, QueryCommand, type AttributeValue, type BatchWriteItemCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** BatchWriteItem takes at most 25 requests. */
const PAGE = 25;

export async function clearPartition(client: DynamoDBClient, tableName: string, partition: string): Promise<void> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: partition } },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: startKey,
        Limit: PAGE,
      }),
    );
    const keys = page.Items ?? [];
    let requests: BatchWriteItemCommandInput['RequestItems'] | undefined =
      keys.length > 0 ? { [tableName]: keys.map((k) => ({ DeleteRequest: { Key: { pk: k.pk!, sk: k.sk! } } })) } : undefined;
    while (requests && Object.keys(requests).length > 0) {
      const result = await client.send(new BatchWriteItemCommand({ RequestItems: requests }));
      requests = result.UnprocessedItems;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
