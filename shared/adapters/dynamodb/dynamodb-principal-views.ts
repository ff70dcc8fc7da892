/**
 * Principal views in the views table, all in one partition sorted by name, so a page of users
 * and groups is one key-range Query and a rebuild clears one partition. The kind is an
 * attribute, filtered on the server: a page of users alone may read past groups, which the
 * page's `next` accounts for.
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PrincipalPage, PrincipalView, PrincipalViews } from '../../ports/principal-views.ts';
import { clearPartition } from './clear-partition.ts';
import { putIfNewer } from './put-if-newer.ts';

const PARTITION = 'principals';

function nameOf(principal: PrincipalView): string {
  return principal.kind === 'user' ? principal.user.username : principal.name;
}

export class DynamoPrincipalViews implements PrincipalViews {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async put(principal: PrincipalView, streamVersion: number): Promise<void> {
    await putIfNewer(this.client, this.tableName, { pk: { S: PARTITION }, sk: { S: nameOf(principal) }, sv: { N: String(streamVersion) }, k: { S: principal.kind }, d: { S: JSON.stringify(principal) } }, 'sv');
  }

  async list(options: { after: string | null; limit: number; kind?: 'user' | 'group' }): Promise<PrincipalPage> {
    const principals: PrincipalView[] = [];
    const kinds = options.kind ? [options.kind] : ['user', 'group'];
    let startKey: Record<string, AttributeValue> | undefined = options.after === null ? undefined : { pk: { S: PARTITION }, sk: { S: options.after } };
    // Read one more than asked for, to know whether another page follows.
    while (principals.length <= options.limit) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'k IN (:k0, :k1)',
          ExpressionAttributeValues: { ':pk': { S: PARTITION }, ':k0': { S: kinds[0]! }, ':k1': { S: kinds.at(-1)! } },
          ExclusiveStartKey: startKey,
          Limit: options.limit + 1 - principals.length,
        }),
      );
      for (const item of page.Items ?? []) principals.push(JSON.parse(item.d!.S!) as PrincipalView);
      startKey = page.LastEvaluatedKey;
      if (!startKey) break;
    }
    const more = principals.length > options.limit;
    const shown = principals.slice(0, options.limit);
    return { principals: shown, next: more ? nameOf(shown.at(-1)!) : null };
  }

  clear(): Promise<void> {
    return clearPartition(this.client, this.tableName, PARTITION);
  }
}
