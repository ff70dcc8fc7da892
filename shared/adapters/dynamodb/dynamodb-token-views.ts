/**
 * Token views in the views table, all in one partition sorted by `<username>/<token id>`, so a
 * user's tokens are one key-range Query and a rebuild clears one partition. A view never holds
 * the token's hash, as the listing never shows it.
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TokenView, TokenViews } from '../../ports/token-views.ts';
import { clearPartition } from './clear-partition.ts';
import { directItemWriter, type ItemWriter } from './item-writer.ts';

const PARTITION = 'tokens';

export class DynamoTokenViews implements TokenViews {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Directly by default; written behind locally, where a listing first writes what is pending (write-behind-items.ts). */
    private readonly writes: ItemWriter = directItemWriter(client, tableName),
  ) {}

  async put(token: TokenView, streamVersion: number): Promise<void> {
    const view: TokenView = {
      tokenId: token.tokenId,
      username: token.username,
      expiresAt: token.expiresAt,
      issuedAt: token.issuedAt,
      issuedBy: token.issuedBy,
      scope: token.scope,
      lineage: token.lineage,
      lastUsedAt: token.lastUsedAt,
      revoked: token.revoked,
    };
    await this.writes.put({ pk: { S: PARTITION }, sk: { S: `${token.username}/${token.tokenId}` }, sv: { N: String(streamVersion) }, d: { S: JSON.stringify(view) } }, 'sv');
  }

  async list(username: string): Promise<TokenView[]> {
    // A listing shows every token written so far, even one whose view is still to be written behind.
    await this.writes.flush();
    const tokens: TokenView[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :user)',
          ExpressionAttributeValues: { ':pk': { S: PARTITION }, ':user': { S: `${username}/` } },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) tokens.push(JSON.parse(item.d!.S!) as TokenView);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // A username holding "/" shares a prefix with another's: keep the exact owner's only.
    return tokens.filter((token) => token.username === username);
  }

  async clear(): Promise<void> {
    // Nothing written behind may land after the clear.
    await this.writes.flush();
    return clearPartition(this.client, this.tableName, PARTITION);
  }
}
