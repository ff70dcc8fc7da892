/**
 * Catalog views in the views table. All live in one partition, sorted by the object's stream
 * key (`secret-ann/db-password`, `image-python`), so a listing of one kind is a key-range
 * Query. A deleted object leaves a tombstone holding the stream version, which stops a late,
 * older batch from resurrecting it. Views hold metadata only, as the events do.
 */
import { clearPartition } from './clear-partition.ts';
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CatalogViews } from '../../ports/catalog-views.ts';
import { CATALOG_STREAM_PREFIX, catalogStreamId, type CatalogKey, type CatalogKind, type CatalogObject } from '../../domain/catalog/catalog-object.ts';
import { putIfNewer } from './put-if-newer.ts';

const PARTITION = 'catalog';
const notTombstone = 'attribute_not_exists(gone)';

function sortKey(key: CatalogKey): string {
  return catalogStreamId(key).slice(CATALOG_STREAM_PREFIX.length);
}

export class DynamoCatalogViews implements CatalogViews {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async put(object: CatalogObject, streamVersion: number): Promise<void> {
    await putIfNewer(this.client, this.tableName, { pk: { S: PARTITION }, sk: { S: sortKey(object) }, sv: { N: String(streamVersion) }, d: { S: JSON.stringify(object) } }, 'sv');
  }

  async remove(key: CatalogKey, streamVersion: number): Promise<void> {
    await putIfNewer(this.client, this.tableName, { pk: { S: PARTITION }, sk: { S: sortKey(key) }, sv: { N: String(streamVersion) }, gone: { BOOL: true } }, 'sv');
  }

  async list(kind: CatalogKind): Promise<CatalogObject[]> {
    const objects: CatalogObject[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :kind)',
          FilterExpression: notTombstone,
          ExpressionAttributeValues: { ':pk': { S: PARTITION }, ':kind': { S: `${kind}-` } },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) objects.push(JSON.parse(item.d!.S!) as CatalogObject);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return objects;
  }

  clear(): Promise<void> {
    return clearPartition(this.client, this.tableName, PARTITION);
  }
}
