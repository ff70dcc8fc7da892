/**
 * Recipe views in the views table. All live in one partition, sorted as owner#type#name, so
 * a listing by owner, type and name prefix is a key-range Query. A deleted resource leaves a
 * tombstone holding the stream version, which stops a late, older batch from resurrecting it.
 */
import { clearPartition } from './clear-partition.ts';
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RecipeKey, RecipePage, RecipeQuery, RecipeView, RecipeViews } from '../../ports/recipe-views.ts';
import { listPage, parseSortKey, sortKey } from '../recipe-listing.ts';
import { directItemWriter, type ItemWriter } from './item-writer.ts';

const PARTITION = 'recipes';
const notTombstone = 'attribute_not_exists(gone)';

/** A stored view, or a tombstone (no view) that keeps an older version from coming back. */
export interface RecipeEntry {
  key: RecipeKey;
  streamVersion: number;
  view?: RecipeView;
}

export class DynamoRecipeViews implements RecipeViews {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Directly by default; written behind only behind a memory front (memory-recipe-views.ts, write-behind-items.ts). */
    private readonly writes: ItemWriter = directItemWriter(client, tableName),
  ) {}

  async put(key: RecipeKey, view: RecipeView, streamVersion: number): Promise<void> {
    await this.writes.put({
      pk: { S: PARTITION },
      sk: { S: sortKey(key) },
      sv: { N: String(streamVersion) },
      type: { S: key.type },
      name: { S: key.name },
      d: { S: JSON.stringify(view) },
    }, 'sv');
  }

  async remove(key: RecipeKey, streamVersion: number): Promise<void> {
    await this.writes.put({ pk: { S: PARTITION }, sk: { S: sortKey(key) }, sv: { N: String(streamVersion) }, gone: { BOOL: true } }, 'sv');
  }

  list(query: RecipeQuery): Promise<RecipePage> {
    return listPage(query, async (owner, prefix, after, limit) => {
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
          // A cursor's key lies inside the range (listPage checked): a forged one would make DynamoDB refuse the query.
          ExclusiveStartKey: after ? { pk: { S: PARTITION }, sk: { S: after } } : undefined,
          Limit: limit,
        }),
      );
      return { views: (page.Items ?? []).map((item) => JSON.parse(item.d!.S!) as RecipeView), last: page.LastEvaluatedKey?.sk?.S ?? null };
    });
  }

  async clear(): Promise<void> {
    // Nothing written behind may land after the clear.
    await this.writes.flush();
    return clearPartition(this.client, this.tableName, PARTITION);
  }

  /** Every view and tombstone, in sort-key order: what an in-memory copy starts from (memory-recipe-views.ts). */
  async *entries(): AsyncIterable<RecipeEntry> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: PARTITION } }, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) {
        const key = parseSortKey(item.sk!.S!);
        if (!key) continue;
        const streamVersion = Number(item.sv!.N);
        yield item.gone ? { key, streamVersion } : { key, streamVersion, view: JSON.parse(item.d!.S!) as RecipeView };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
