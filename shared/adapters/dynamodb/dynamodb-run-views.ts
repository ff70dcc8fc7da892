/**
 * Run views in the views table: partition `runs#<job id>`, sorted by creation time then run
 * id, read newest first. Each item carries the run stream's version; older writes are dropped.
 */
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunPage, RunPageQuery, RunViews } from '../../ports/run-views.ts';
import { InvalidCursorError } from '../../ports/recipe-views.ts';
import type { Run } from '../../domain/run/run-decider.ts';
import { directItemWriter, type ItemWriter } from './item-writer.ts';

function partition(jobId: string): string {
  return `runs#${jobId}`;
}

export class DynamoRunViews implements RunViews {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Directly by default; written behind locally, where a listing first writes what is pending (write-behind-items.ts). */
    private readonly writes: ItemWriter = directItemWriter(client, tableName),
  ) {}

  async put(run: Run, streamVersion: number): Promise<void> {
    await this.writes.put({ pk: { S: partition(run.jobId) }, sk: { S: `${run.createdAt}#${run.id}` }, sv: { N: String(streamVersion) }, d: { S: JSON.stringify(run) } }, 'sv');
  }

  async list(query: RunPageQuery): Promise<RunPage> {
    // A listing shows every run written so far, even one whose view is still to be written behind.
    await this.writes.flush();
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
