/**
 * Deferrals in the views table: pk `deferred`, sk `<consumer>#<stream id>`, one item per
 * consumer and stream, overwritten by each new deferral. Items expire (TTL) a week after their
 * last deferral: one still behind by then has been retried for a week and alarmed on meanwhile.
 */
import { PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Deferral, Deferrals } from '../../ports/deferrals.ts';
import type { Clock } from '../../ports/platform-clock.ts';

const PARTITION = 'deferred';
const KEEP_SECONDS = 7 * 24 * 3600;
/** Reasons are for people: the first lines of an error are enough. */
const MAX_REASON = 1000;

export class DynamoDeferrals implements Deferrals {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async defer(deferral: Deferral): Promise<void> {
    const expiresAt = Math.floor(this.clock.now().getTime() / 1000) + KEEP_SECONDS;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: PARTITION },
          sk: { S: `${deferral.consumer}#${deferral.streamId}` },
          consumer: { S: deferral.consumer },
          stream: { S: deferral.streamId },
          v: { N: String(deferral.version) },
          reason: { S: deferral.reason.slice(0, MAX_REASON) },
          expires_at: { N: String(expiresAt) },
        },
      }),
    );
  }

  async recorded(): Promise<Deferral[]> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const deferrals: Deferral[] = [];
    let ExclusiveStartKey: QueryCommandKey;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: PARTITION } }, ExclusiveStartKey }),
      );
      for (const item of page.Items ?? []) {
        // TTL deletes lazily: an expired item may still be read.
        if (Number(item.expires_at?.N ?? 0) <= now) continue;
        deferrals.push({ consumer: item.consumer!.S!, streamId: item.stream!.S!, version: Number(item.v!.N), reason: item.reason?.S ?? '' });
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return deferrals;
  }
}

type QueryCommandKey = ConstructorParameters<typeof QueryCommand>[0]['ExclusiveStartKey'];
