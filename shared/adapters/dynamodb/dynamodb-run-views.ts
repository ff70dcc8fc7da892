/**
 * Run views in the views table: partition `runs#<job id>`, sorted by creation time then run
 * id, read newest first. Each item carries the run stream's version; older writes are dropped.
 */
import { PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunPage, RunPageQuery, RunViews } from '../../ports/run-views.ts';
import { InvalidCursorError } from '../../ports/recipe-views.ts';
import type { Run } from '../../domain/run/run-decider.ts';
import { conditionFailed } from './condition-failed.ts';

const onlyNewer = 'attribute_not_exists(pk) OR sv < :sv';

function partition(jobId: string): string {
  return `runs#${jobId}`;
}

export class DynamoRunViews implements RunViews {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async put(run: Run, streamVersion: number): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: partition(run.jobId) }, sk: { S: `${run.createdAt}#${run.id}` }, sv: { N: String(streamVersion) }, d: { S: JSON.stringify(run) } },
          ConditionExpression: onlyNewer,
          ExpressionAttributeValues: { ':sv': { N: String(streamVersion) } },
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) return;
      throw error;
    }
  }

  async list(query: RunPageQuery): Promise<RunPage> {
    const pk = partition(query.jobId);
    let startKey;
    if (query.cursor) {
      const sk = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z#[0-9a-f]+$/.test(sk)) throw new InvalidCursorError('next_key is not one this server issued');
      startKey = { pk: { S: pk }, sk: { S: sk } };
    }
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const last = page.LastEvaluatedKey?.sk?.S;
    return {
      runs: (page.Items ?? []).map((item) => JSON.parse(item.d!.S!) as Run),
      cursor: last ? Buffer.from(last).toString('base64url') : null,
    };
  }
}
