import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { encodeBatch } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { RecipeProjector } from '../../../shared/app/consumers/recipe-projector.ts';
import { runCommand } from '../../../shared/app/command-runner.ts';
import { resourceModel } from '../../../shared/app/resource-model.ts';
import { parseRecipe } from '../../../shared/domain/recipe/recipe.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import { reactToRecords } from '../../../functions/reactor/handler.ts';
import { DynamoCheckpoints } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import type { BatchConsumer } from '../../../shared/app/consumers/ordered-delivery.ts';
import { pipelineWith } from './support/pipeline.ts';

let dynamo: EmbeddedDynamo;
let store: DynamoEventStore;
let views: DynamoRecipeViews;
let checkpoints: DynamoCheckpoints;
const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') };

/** The consumers Lambda's handling of `event`, with `readModels` as the pipeline's first consumer. */
function project(event: DynamoDBStreamEvent, readModels: BatchConsumer) {
  return reactToRecords(event, { pipeline: pipelineWith({ store, checkpoints, dynamo, clock }, { readModels }) });
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  views = new DynamoRecipeViews(dynamo.client, dynamo.tables.views);
  checkpoints = new DynamoCheckpoints(dynamo.client, dynamo.tables.views);
});

afterAll(async () => {
  await dynamo.close();
});

const meta = { at: '2026-01-01T00:00:00.000Z', actor: 'ann' };

/** Applies a job recipe and returns the committed batches, as the table's stream would carry them. */
async function committedJob(name: string, start = false): Promise<CommittedBatch[]> {
  const model = resourceModel(resourceStreamId('job', 'ann', name));
  const { spec } = parseRecipe({ type: 'job', spec: { name, command: 'echo hi' } }, { caller: 'ann' });
  await runCommand(store, model, { kind: 'ApplyRecipe', type: 'job', spec, createOnly: false, ...meta });
  if (start) {
    const id = (await store.head(model.streamId)).snapshot!.state as { live: { id: string } };
    await runCommand(store, model, { kind: 'StartResource', id: id.live.id, ...meta });
  }
  return store.batchesAfter(model.streamId, 0);
}

/** A DynamoDB Streams INSERT record whose NewImage is the batch's item. */
function insertRecord(batch: CommittedBatch, sequence: string): DynamoDBRecord {
  const image = encodeBatch({ ...batch, recentCommands: [] });
  return { eventName: 'INSERT', dynamodb: { NewImage: image as never, SequenceNumber: sequence } };
}

describe('consumers Lambda: read models', () => {
  it('writes the recipe view of every inserted batch, newest state last', async () => {
    // Prepare
    const batches = await committedJob('report', true);
    const event: DynamoDBStreamEvent = { Records: batches.map((b, i) => insertRecord(b, String(i + 1))) };

    // Act
    const result = await project(event, new RecipeProjector({ views, store }));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const listed = await views.list({ owners: ['ann'], type: 'job', namePrefix: 'report', pageSize: 10 });
    expect(listed.views.map((v) => [v.resource.name, v.resource.status, v.version])).toEqual([['report', 'pending', 2]]);
  });

  it('defers the stream that fails and projects the others, without failing the records', async () => {
    // Prepare
    const batches = [...(await committedJob('first')), ...(await committedJob('second')), ...(await committedJob('third'))];
    const event: DynamoDBStreamEvent = { Records: batches.map((b, i) => insertRecord(b, `seq-${i}`)) };
    const seen: string[] = [];
    const failing: BatchConsumer = {
      name: 'failing-projector',
      handle: async (batch: CommittedBatch) => {
        if (batch.snapshot && (batch.snapshot.state as { address: { name: string } }).address.name === 'second') throw new Error('views table throttled');
        seen.push((batch.snapshot!.state as { address: { name: string } }).address.name);
      },
    };

    // Act
    const result = await project(event, failing);

    // Assess
    expect(seen).toEqual(['first', 'third']);
    expect(result.batchItemFailures).toEqual([]);
  });

  it('ignores records that carry no new batch', async () => {
    const removed: DynamoDBRecord = { eventName: 'REMOVE', dynamodb: { SequenceNumber: '9' } };
    const handled: CommittedBatch[] = [];
    const result = await project({ Records: [removed] }, { name: 'recording', handle: async (b) => void handled.push(b) });
    expect(result.batchItemFailures).toEqual([]);
    expect(handled).toEqual([]);
  });
});
