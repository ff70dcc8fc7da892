/**
 * The write every versioned read model makes: put the item unless the view already holds a
 * newer stream version (`sv`). Consumers see batches at least once and, across streams, in no
 * order, so a stale write is dropped rather than applied.
 */
import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { conditionFailed } from './condition-failed.ts';

const onlyNewer = 'attribute_not_exists(pk) OR sv < :sv';

export async function putIfNewer(client: DynamoDBClient, tableName: string, item: Record<string, AttributeValue> & { sv: AttributeValue }): Promise<void> {
  try {
    await client.send(new PutItemCommand({ TableName: tableName, Item: item, ConditionExpression: onlyNewer, ExpressionAttributeValues: { ':sv': item.sv } }));
  } catch (error) {
    // A newer view is already there: this write is stale, and dropping it is correct.
    if (conditionFailed(error)) return;
    throw error;
  }
}
