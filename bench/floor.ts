/**
 * The floor: the least any store that reads state and conditionally writes a batch can do
 * on this dynalite — one Query (newest item, Limit 1, consistent) and one conditional
 * PutItem of an item as large as our batch item, with no decoding, deciding or encoding.
 */
import {
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Subject } from './measure.ts';

type Item = Record<string, AttributeValue>;

const FLOOR_PK = 'bench-floor';

/** `template` is a batch item our store wrote; the floor reads and writes copies of it. */
export async function floorSubject(client: DynamoDBClient, tableName: string, template: Item): Promise<Subject> {
  const at = (sk: number): Item => ({ ...template, pk: { S: FLOOR_PK }, sk: { N: String(sk) } });
  await client.send(new PutItemCommand({ TableName: tableName, Item: at(1) }));
  const next = at(2);
  return {
    async run() {
      const result = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: FLOOR_PK } },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      if (result.Items?.length !== 1) throw new Error('floor read found no item');
      await client.send(new PutItemCommand({ TableName: tableName, Item: next, ConditionExpression: 'attribute_not_exists(pk)' }));
    },
    async reset() {
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: FLOOR_PK }, sk: { N: '2' } } }));
    },
  };
}

/** The newest item of a stream, as the store holds it. */
export async function latestItem(client: DynamoDBClient, tableName: string, streamId: string): Promise<Item> {
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: streamId } },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = result.Items?.[0];
  if (!item) throw new Error(`stream ${streamId} is empty`);
  return item;
}

/** Approximate DynamoDB item size: attribute names plus values, roughly as DynamoDB bills them. */
export function itemBytes(item: Item): number {
  return Object.entries(item).reduce((bytes, [name, value]) => bytes + Buffer.byteLength(name) + valueBytes(value), 0);
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return value.N.length;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.M !== undefined) return 3 + itemBytes(value.M);
  if (value.L !== undefined) return 3 + value.L.reduce((bytes, v) => bytes + 1 + valueBytes(v), 0);
  return 1;
}
