/**
 * Recipe views in the views table. All live in one partition, sorted as owner#type#name, so
 * a listing by owner, type and name prefix is a key-range Query. A deleted resource leaves a
 * tombstone holding the stream version, which stops a late, older batch from resurrecting it.
 */
import { clearPartition } from './clear-partition.ts';
import {
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { RecipeKey, RecipePage, RecipeQuery, RecipeView, RecipeViews } from '../../ports/recipe-views.ts';
import { InvalidCursorError } from '../../ports/recipe-views.ts';
import { conditionFailed } from './condition-failed.ts';

const PARTITION = 'recipes';
const onlyNewer = 'attribute_not_exists(pk) OR sv < :sv';
const notTombstone = 'attribute_not_exists(gone)';

interface Cursor {
  /** Index into the owners list (0 for an `all` listing). */
  o: number;
  /** LastEvaluatedKey's sort key within that owner. */
  k: string | null;
  /** Fingerprint of the query the cursor belongs to: a cursor only continues its own listing. */
  q: string;
}

function queryFingerprint(query: RecipeQuery, owners: Array<string | null>): string {
  return createHash('sha256').update(JSON.stringify([owners, query.type ?? null, query.namePrefix ?? null])).digest('base64url').slice(0, 12);
}

function sortKey(key: RecipeKey): string {
  return `${key.owner}#${key.type}#${key.name}`;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string, fingerprint: string): Cursor {
  let parsed: Cursor;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new InvalidCursorError('next_key is not one this server issued');
  }
  const valid =
    typeof parsed === 'object' && parsed !== null &&
    Number.isInteger(parsed.o) && parsed.o >= 0 &&
    (parsed.k === null || typeof parsed.k === 'string') &&
    parsed.q === fingerprint;
  if (!valid) throw new InvalidCursorError('next_key is not one this server issued for this listing');
  return parsed;
}

export class DynamoRecipeViews implements RecipeViews {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async put(key: RecipeKey, view: RecipeView, streamVersion: number): Promise<void> {
    await this.conditionalPut({
      pk: { S: PARTITION },
      sk: { S: sortKey(key) },
      sv: { N: String(streamVersion) },
      type: { S: key.type },
      name: { S: key.name },
      d: { S: JSON.stringify(view) },
    });
  }

  async remove(key: RecipeKey, streamVersion: number): Promise<void> {
    await this.conditionalPut({ pk: { S: PARTITION }, sk: { S: sortKey(key) }, sv: { N: String(streamVersion) }, gone: { BOOL: true } });
  }

  private async conditionalPut(item: Record<string, AttributeValue>): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: onlyNewer, ExpressionAttributeValues: { ':sv': item.sv! } }),
      );
    } catch (error) {
      // A newer view is already there: this write is stale, and dropping it is correct.
      if (conditionFailed(error)) return;
      throw error;
    }
  }

  async list(query: RecipeQuery): Promise<RecipePage> {
    const owners = query.owners === 'all' ? [null] : [...query.owners].sort();
    const q = queryFingerprint(query, owners);
    let cursor: Cursor = query.cursor ? decodeCursor(query.cursor, q) : { o: 0, k: null, q };
    const views: RecipeView[] = [];
    while (cursor.o < owners.length) {
      const owner = owners[cursor.o]!;
      const prefix = owner === null ? '' : `${owner}#${query.type ? `${query.type}#${query.namePrefix ?? ''}` : ''}`;
      // A forged cursor whose key lies outside this owner's range would make DynamoDB refuse the query.
      if (cursor.k !== null && !cursor.k.startsWith(prefix)) throw new InvalidCursorError('next_key is not one this server issued for this listing');
      const filters = [notTombstone];
      const values: Record<string, AttributeValue> = { ':pk': { S: PARTITION } };
      if (prefix) values[':prefix'] = { S: prefix };
      if (query.type && owner === null) {
        filters.push('#type = :type');
        values[':type'] = { S: query.type };
      }
      if (query.namePrefix && !(owner !== null && query.type)) {
        filters.push('begins_with(#name, :name)');
        values[':name'] = { S: query.namePrefix };
      }
      const names: Record<string, string> = {};
      if (filters.some((f) => f.includes('#type'))) names['#type'] = 'type';
      if (filters.some((f) => f.includes('#name'))) names['#name'] = 'name';
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeValues: values,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExclusiveStartKey: cursor.k ? { pk: { S: PARTITION }, sk: { S: cursor.k } } : undefined,
          Limit: query.pageSize - views.length,
        }),
      );
      for (const item of page.Items ?? []) views.push(JSON.parse(item.d!.S!) as RecipeView);
      const last = page.LastEvaluatedKey?.sk?.S;
      cursor = last ? { o: cursor.o, k: last, q } : { o: cursor.o + 1, k: null, q };
      if (views.length >= query.pageSize) break;
    }
    return { views, cursor: cursor.o < owners.length ? encodeCursor(cursor) : null };
  }

  clear(): Promise<void> {
    return clearPartition(this.client, this.tableName, PARTITION);
  }
}
