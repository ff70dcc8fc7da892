import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { RecipeProjector } from '../../../shared/app/consumers/recipe-projector.ts';
import { runCommand } from '../../../shared/app/command-runner.ts';
import { resourceModel, RESOURCE_SNAPSHOT_SCHEMA } from '../../../shared/app/resource-model.ts';
import type { ResourceCommand } from '../../../shared/domain/resource/resource-decider.ts';
import { resourceStreamId } from '../../../shared/domain/resource/resource-identity.ts';
import type { JobSpec } from '../../../shared/domain/recipe/spec-types.ts';
import type { CommittedBatch } from '../../../shared/ports/event-store.ts';
import type { ResourceEvent } from '../../../events/resource-events.ts';

const AT = '2025-01-01T00:00:00.000Z';

let dynamo: EmbeddedDynamo;
let store: DynamoEventStore;
let views: DynamoRecipeViews;
let projector: RecipeProjector;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  views = new DynamoRecipeViews(dynamo.client, dynamo.tables.views);
  projector = new RecipeProjector({ views, store });
});

afterAll(async () => {
  await dynamo.close();
});

/** A job of an owner no other test uses, so each test sees only its own views. */
function freshJob(name = 'train') {
  const owner = `u${randomUUID().slice(0, 8)}`;
  const spec: JobSpec = { name, owner, command: 'python train.py', image: 'python:3.12', instance_type: 'medium', scale: 1, concurrency_policy: 'Allow', retries: 0, schedule_timezone: 'UTC' };
  const streamId = resourceStreamId('job', owner, name);
  const model = resourceModel(streamId);
  return {
    owner,
    spec,
    streamId,
    apply: (s: JobSpec = spec) => runCommand(store, model, { kind: 'ApplyRecipe', type: 'job', spec: s, createOnly: false, at: AT, actor: owner }),
    act: (kind: 'StartResource' | 'DeleteResource', id: string) => runCommand(store, model, { kind, id, at: AT, actor: owner } as ResourceCommand),
    batches: () => store.batchesAfter(streamId, 0),
  };
}

async function listOf(owner: string) {
  return (await views.list({ owners: [owner], pageSize: 100 })).views;
}

async function handleAll(batches: CommittedBatch[]): Promise<void> {
  for (const batch of batches) await projector.handle(batch);
}

describe('RecipeProjector', () => {
  it('writes the view of a new resource from the batch snapshot', async () => {
    // Prepare
    const job = freshJob();
    const { state } = await job.apply();

    // Act
    await handleAll(await job.batches());

    // Assess
    expect(await listOf(job.owner)).toEqual([{ resource: state.live, version: 1 }]);
  });

  it('follows updates and status changes', async () => {
    // Prepare
    const job = freshJob();
    const { state: created } = await job.apply();
    await job.apply({ ...job.spec, scale: 4 });
    const { state } = await job.act('StartResource', created.live!.id);

    // Act
    await handleAll(await job.batches());

    // Assess
    const [view] = await listOf(job.owner);
    expect(view).toEqual({ resource: state.live, version: 3 });
    expect(view?.resource).toMatchObject({ status: 'pending', spec: { scale: 4 } });
  });

  it('keeps the newest view when an older batch arrives late', async () => {
    // Prepare
    const job = freshJob();
    await job.apply();
    const { state } = await job.apply({ ...job.spec, scale: 2 });

    // Act
    await handleAll((await job.batches()).reverse());

    // Assess
    expect(await listOf(job.owner)).toEqual([{ resource: state.live, version: 2 }]);
  });

  it('drops the view on delete, and a late batch from before the delete does not bring it back', async () => {
    // Prepare
    const job = freshJob();
    const { state } = await job.apply();
    await job.act('DeleteResource', state.live!.id);
    const [create, remove] = (await job.batches()) as [CommittedBatch, CommittedBatch];

    // Act
    await projector.handle(create);
    const beforeDelete = await listOf(job.owner);
    await projector.handle(remove);
    await projector.handle(create);

    // Assess
    expect(beforeDelete).toHaveLength(1);
    expect(await listOf(job.owner)).toEqual([]);
  });

  it('shows the new incarnation after delete and re-create, whatever the delivery order', async () => {
    // Prepare
    const job = freshJob();
    const first = await job.apply();
    await job.act('DeleteResource', first.state.live!.id);
    const second = await job.apply();

    // Act
    await handleAll((await job.batches()).reverse());

    // Assess
    expect(await listOf(job.owner)).toEqual([{ resource: second.state.live, version: 1 }]);
    expect(second.state.live!.id).not.toBe(first.state.live!.id);
  });

  it('rebuilds the state from the events when a batch carries a snapshot of an older schema', async () => {
    // Prepare: events written with a snapshot the projector cannot read
    const job = freshJob();
    const { state } = await job.apply();
    const started: ResourceEvent = { type: 'ResourceStartRequested', data: {}, at: AT, actor: job.owner };
    const batch = await store.append(job.streamId, {
      expectedVersion: 1,
      events: [started],
      snapshot: { schema: RESOURCE_SNAPSHOT_SCHEMA - 1, state: { shape: 'old' } },
      recentCommands: [],
    });

    // Act
    await projector.handle(batch);

    // Assess
    const [view] = await listOf(job.owner);
    expect(view?.version).toBe(2);
    expect(view?.resource).toMatchObject({ id: state.live!.id, status: 'pending', spec: job.spec });
  });

  it('ignores batches of streams that are not resources, even when their state looks like one', async () => {
    // Prepare: a stream of another aggregate whose snapshot has the fields a resource state has
    const job = freshJob();
    const { state } = await job.apply();
    const batch = await store.append(`run-${randomUUID()}`, {
      expectedVersion: 0,
      events: [{ type: 'ResourceStartRequested', data: {}, at: AT, actor: job.owner }],
      snapshot: { schema: RESOURCE_SNAPSHOT_SCHEMA, state },
      recentCommands: [],
    });

    // Act
    await projector.handle(batch);

    // Assess
    expect(await listOf(job.owner)).toEqual([]);
    expect(projector.name).toBe('recipe-projector');
  });

  it('lists projected resources of several owners across pages, and clear() empties the listing', async () => {
    // Prepare
    const jobs = [freshJob('a'), freshJob('b'), freshJob('c')];
    for (const job of jobs) {
      await job.apply();
      await handleAll(await job.batches());
    }
    const owners = jobs.map((j) => j.owner);

    // Act
    const first = await views.list({ owners, pageSize: 2 });
    const second = await views.list({ owners, pageSize: 2, cursor: first.cursor! });

    // Assess
    const names = [...first.views, ...second.views].map((v) => v.resource.name).sort();
    expect(first.views).toHaveLength(2);
    expect(names).toEqual(['a', 'b', 'c']);
    await views.clear();
    expect(await views.list({ owners, pageSize: 100 })).toEqual({ views: [], cursor: null });
  });
});
