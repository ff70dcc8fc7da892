import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { encodeBatch } from '../../../shared/adapters/dynamodb/batch-item.ts';
import { RecipeProjector } from '../../../shared/app/consumers/recipe-projector.ts';
import { runCommand } from '../../../shared/app/command-runner.ts';
import { resourceModel } from '../../../shared/app/resource-model.ts';
import { typedRecipe } from '../../domain/support/typed-recipe.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import { reactToRecords } from '../../../functions/reactor/handler.ts';
import { DynamoCheckpoints } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import type { BatchConsumer } from '../../../shared/app/consumers/ordered-delivery.ts';
import { pipelineWith } from './support/pipeline.ts';
import { DynamoUsageViews } from '../../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { UsageProjector } from '../../../shared/app/consumers/usage-projector.ts';

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
  const { spec } = typedRecipe({ type: 'job', spec: { name, command: 'echo hi' } }, { caller: 'ann' });
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

describe('consumers Lambda: usage', () => {
  it('folds the task starts and exits the table\'s stream carries into the usage read model, whatever order the records come in', async () => {
    // Prepare: a run of one rank that ran 90 s, committed in three batches as commands would.
    const streamId = 'run-usage-on-aws';
    const events = [
      { type: 'RunQueued', data: { run_id: 'usage-on-aws', job_id: 'c'.repeat(32), owner: 'ann', plan: { instance_type: 'small', scale: 1 } }, at: '2026-01-01T00:00:00.000Z', actor: 'ann' },
      { type: 'TaskStarted', data: { task_id: 't0' }, at: '2026-01-01T00:00:10.000Z', actor: 'system:task-state' },
      { type: 'TaskExited', data: { task_id: 't0', exit_code: 0, reason: 'exited' }, at: '2026-01-01T00:01:40.000Z', actor: 'system:task-state' },
    ];
    for (const [i, event] of events.entries()) {
      await store.append(streamId, { expectedVersion: i, events: [event], snapshot: { schema: -1, state: null }, recentCommands: [] });
    }
    const batches = await store.batchesAfter(streamId, 0);
    const usageViews = new DynamoUsageViews(dynamo.client, dynamo.tables.views);
    // Act: the stream delivers the newest batch first and the others after (no order across a Lambda batch is promised; gaps are read from the table)
    const records = [batches[2]!, batches[0]!, batches[1]!].map((b, i) => insertRecord(b, `usage-${i}`));
    const result = await project({ Records: records }, new UsageProjector({ usageViews, store }));
    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const usage = await usageViews.get(streamId);
    expect(usage?.intervals).toEqual([expect.objectContaining({ kind: 'task', owner: 'ann', size: 'small', start: '2026-01-01T00:00:10.000Z', end: '2026-01-01T00:01:40.000Z' })]);
    expect(usage?.version).toBe(3);
  });
});
