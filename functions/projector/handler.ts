/**
 * Lambda entry point of the projector, fed by the events table's stream. Each record is one
 * committed batch; the projectors write the recipe and run views from its snapshot. On a failure it
 * reports that record and every later one as failed (partial batch response), so Lambda
 * retries from there and the stream's order is kept.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoPlatformFromEnv } from '../../shared/adapters/dynamodb/dynamodb-platform.ts';
import { ReadModelProjector } from '../../shared/app/consumers/read-model-projector.ts';
import { batchOf } from './stream-records.ts';
import { countStreamBatch, observed, telemetryFor } from '../observability.ts';

const telemetry = telemetryFor('projector');
const { logger } = telemetry;

let projector: ReadModelProjector | undefined;

export async function projectRecords(event: DynamoDBStreamEvent, target: Pick<ReadModelProjector, 'handle'>): Promise<DynamoDBBatchResponse> {
  for (const [index, record] of event.Records.entries()) {
    const batch = batchOf(record);
    if (!batch) continue;
    try {
      await target.handle(batch);
    } catch (error) {
      logger.error('projection failed', { stream: batch.streamId, version: batch.lastVersion, error });
      return {
        batchItemFailures: event.Records.slice(index).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })),
      };
    }
  }
  return { batchItemFailures: [] };
}

export const handler = observed(telemetry, async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  projector ??= new ReadModelProjector(dynamoPlatformFromEnv());
  const response = await projectRecords(event, projector);
  countStreamBatch(telemetry.metrics, event, response);
  return response;
});
