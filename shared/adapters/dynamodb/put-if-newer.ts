/**
 * The write every versioned item of the views table makes (read models, consumer checkpoints):
 * put the item unless the table already holds its key at a newer version (`sv`, the stream
 * version, for views; `v` for checkpoints). Consumers see batches at least once and, across
 * streams, in no order, so a stale write is dropped rather than applied.
 */
import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { conditionFailed } from './condition-failed.ts';

/** The attribute holding an item's version: the stream version of a view, or a checkpoint's. */
export type VersionAttribute = 'sv' | 'v';

/** An item of the views table: its key, and its version in the attribute `A`. */
export type VersionedItem<A extends VersionAttribute = VersionAttribute> = Record<string, AttributeValue> & { pk: { S: string }; sk: { S: string } } & { [K in A]?: { N: string } };

export async function putIfNewer<A extends VersionAttribute>(
  client: DynamoDBClient,
  tableName: string,
  item: VersionedItem & Record<A, { N: string }>,
  versionAttribute: A,
): Promise<void> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: `attribute_not_exists(pk) OR ${versionAttribute} < :${versionAttribute}`,
        ExpressionAttributeValues: { [`:${versionAttribute}`]: item[versionAttribute] },
      }),
    );
  } catch (error) {
    // A newer item is already there: this write is stale, and dropping it is correct.
    if (conditionFailed(error)) return;
    throw error;
  }
}
