/** Turns DynamoDB Streams records of the events table into committed batches. */
import type { DynamoDBRecord } from 'aws-lambda';
import { decodeBatch, type Item } from '../../shared/adapters/dynamodb/batch-item.ts';
import type { CommittedBatch } from '../../shared/ports/event-store.ts';

/** The batch a record carries; undefined for records that add none (the table only ever gets inserts). */
export function batchOf(record: DynamoDBRecord): CommittedBatch | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return undefined;
  return decodeBatch(image as unknown as Item);
}
