/**
 * How a view adapter or the checkpoints put their versioned items (put-if-newer.ts): directly,
 * one conditional PutItem each, as every process on AWS does; or written behind
 * (write-behind-items.ts), where one process is the table's only writer and what is not yet
 * written is still read right: memory fronts answer the recipe and usage views and the
 * checkpoints, and the run and token views' listings flush first (the local control plane).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { putIfNewer, type VersionAttribute, type VersionedItem } from './put-if-newer.ts';

export interface ItemWriter {
  /** Puts `item` unless the table holds its key at a version (`versionAttribute`) as new; resolves once that is decided. */
  put<A extends VersionAttribute>(item: VersionedItem & Record<A, { N: string }>, versionAttribute: A): Promise<void>;
  /** The item put for this key and not yet in the table: what a read of the key must be given instead. */
  pending(pk: string, sk: string): VersionedItem | undefined;
  /** Resolves once every item put so far is in the table (before a partition is cleared). */
  flush(): Promise<void>;
}

export function directItemWriter(client: DynamoDBClient, tableName: string): ItemWriter {
  return {
    put: (item, versionAttribute) => putIfNewer(client, tableName, item, versionAttribute),
    pending: () => undefined,
    flush: async () => {},
  };
}
