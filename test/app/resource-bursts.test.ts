/**
 * Bursts of starts, stops and applies on one resource (issue 13, item 5), through the platform's
 * services over an embedded DynamoDB: each command is decided once, on the state the one before
 * it left, in groups (shared/app/group-commit.ts), so the burst is all answered and `409` is left
 * for real conflicts (If-Match, a deleted resource). Dispatches and stops of one job share the queue.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { dynamoServices } from './support/dynamo-services.ts';
import { addressOf } from '../../shared/domain/resource/resource-identity.ts';
import { ConflictError } from '../../shared/domain/errors.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import { loadState } from '../../shared/app/command-runner.ts';
import { resourceModel } from '../../shared/app/resource-model.ts';
import { runStreamId } from '../../shared/domain/run/run-decider.ts';
import { liveJob } from '../domain/support/live-resource.ts';
import { ofType, type RecordedEvent } from '../../events/envelope.ts';
import type { ResourceEvent } from '../../events/resource-events.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { WrongExpectedVersionError, type EventStore } from '../../shared/ports/event-store.ts';

let dynamo: EmbeddedDynamo;
let platform: ReturnType<typeof dynamoServices>;
/** Conditional writes that lost to another write of this same process: grouping makes them none. */
let lostRaces = 0;
const ann: User = { username: 'ann', email: null, groups: [], admin: false };
const BURST = 40;
let counter = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  const raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const counting: EventStore = {
    head: (streamId) => raw.head(streamId),
    read: (streamId, after, limit) => raw.read(streamId, after, limit),
    batchesAfter: (streamId, after) => raw.batchesAfter(streamId, after),
    allBatches: () => raw.allBatches(),
    append: (streamId, request) =>
      raw.append(streamId, request).catch((error: unknown) => {
        if (error instanceof WrongExpectedVersionError) lostRaces++;
        throw error;
      }),
  };
  platform = dynamoServices(dynamo, { routeUrl: (s) => `http://${s}.localhost/`, store: counting });
});

afterAll(async () => {
  await dynamo?.close();
});

async function newResource(type: 'deployment' | 'job', spec: Record<string, unknown> = {}): Promise<{ id: string; name: string; streamId: string }> {
  const name = `burst-${++counter}`;
  const { recipe } = await platform.services.resources.apply(ann, { type, spec: { name, command: 'true', ...spec } }, { createOnly: true });
  const id = recipe.state.id as string;
  return { id, name, streamId: addressOf(id)!.streamId };
}

/** The types of the stream's events, oldest first, and how many batches (conditional writes) hold them. */
async function stream(streamId: string): Promise<{ types: string[]; batches: number }> {
  const page = await platform.store.read(streamId, 0, 1000);
  return { types: page.events.map((e) => e.type), batches: (await platform.store.batchesAfter(streamId, 0)).length };
}

const count = (types: string[], type: string) => types.filter((t) => t === type).length;

describe('a burst of lifecycle commands on one resource', () => {
  beforeEach(() => {
    lostRaces = 0;
  });

  it(`answers ${BURST} concurrent starts of a stopped deployment without a 409, and starts it once`, async () => {
    // Prepare
    const deployment = await newResource('deployment');

    // Act
    const answers = await Promise.allSettled(Array.from({ length: BURST }, () => platform.services.resources.act(ann, 'deployments', deployment.id, 'start')));

    // Assess
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(lostRaces, 'conditional writes lost to this process itself').toBe(0);
    const { types, batches } = await stream(deployment.streamId);
    expect(count(types, 'ResourceStartRequested')).toBe(1);
    expect(batches).toBe(2); // created, then the one start
  });

  it(`answers ${BURST} concurrent stops interleaved with starts, each decided on the state the one before left`, async () => {
    // Prepare
    const deployment = await newResource('deployment');
    await platform.services.resources.act(ann, 'deployments', deployment.id, 'start');

    // Act: stop, start, stop, ... at once
    const actions = Array.from({ length: BURST }, (_, i): 'stop' | 'start' => (i % 2 === 0 ? 'stop' : 'start'));
    const answers = await Promise.allSettled(actions.map((action) => platform.services.resources.act(ann, 'deployments', deployment.id, action)));

    // Assess: every command answered; no two stops or starts in a row, and fewer writes than commands
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(lostRaces, 'conditional writes lost to this process itself').toBe(0);
    const { types, batches } = await stream(deployment.streamId);
    const lifecycle = types.filter((t) => t === 'ResourceStartRequested' || t === 'ResourceStopRequested');
    expect(lifecycle.length).toBeGreaterThan(1);
    for (let i = 1; i < lifecycle.length; i++) expect(lifecycle[i], `event ${i} of ${lifecycle.join(', ')}`).not.toBe(lifecycle[i - 1]);
    expect(batches).toBeLessThan(2 + BURST);
  });

  it(`answers ${BURST} concurrent applies of one recipe with different specs, each recorded once`, async () => {
    // Prepare
    const deployment = await newResource('deployment');

    // Act
    const answers = await Promise.allSettled(
      Array.from({ length: BURST }, (_, i) => platform.services.resources.apply(ann, { type: 'deployment', spec: { name: deployment.name, command: `echo ${i}` } }, { createOnly: false })),
    );

    // Assess
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    expect(lostRaces, 'conditional writes lost to this process itself').toBe(0);
    const { types, batches } = await stream(deployment.streamId);
    expect(count(types, 'ResourceSpecUpdated')).toBe(BURST);
    expect(batches).toBeLessThan(1 + BURST);
  });

  it('refuses all but one of concurrent applies made against the same If-Match version: a real conflict stays 409', async () => {
    // Prepare
    const deployment = await newResource('deployment');
    const seen = (await platform.services.resources.getById(ann, 'deployments', deployment.id)).state.version as number;
    expect(seen).toBe(1);

    // Act
    const answers = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        platform.services.resources.apply(ann, { type: 'deployment', spec: { name: deployment.name, command: `echo ${i}` } }, { createOnly: false, expectedVersion: seen }),
      ),
    );

    // Assess
    expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status === 'rejected')) {
      expect(refused.reason).toBeInstanceOf(ConflictError);
      expect((refused.reason as Error).message).toMatch(/not \d+; fetch it again/);
    }
    expect(count((await stream(deployment.streamId)).types, 'ResourceSpecUpdated')).toBe(1);
  });

  it('groups dispatches and a stop of one job together: a dispatch is refused only for the state the stop left, never for the race', async () => {
    // Prepare
    const job = await newResource('job');

    // Act: 20 dispatches and a stop, all at once
    const dispatches = Array.from({ length: 20 }, (_, i) => platform.services.runs.dispatch(ann, job.id, { idempotencyKey: `k-${i}` }));
    const [stop, ...answers] = await Promise.allSettled([platform.services.resources.act(ann, 'jobs', job.id, 'stop'), ...dispatches]);

    // Assess: what came before the stop was requested; what came after met a stopping job (a real conflict)
    expect(stop!.status).toBe('fulfilled');
    expect(lostRaces, 'conditional writes lost to this process itself').toBe(0);
    const refused = answers.flatMap((a) => (a.status === 'rejected' ? [(a.reason as Error).message] : []));
    for (const message of refused) expect(message).toMatch(/is stopping; start a run once its runs have ended/);
    const { types } = await stream(job.streamId);
    expect(count(types, 'JobRunRequested')).toBe(20 - refused.length);
    expect(count(types, 'ResourceStopRequested')).toBe(1);
    const stopAt = types.indexOf('ResourceStopRequested');
    expect(types.slice(stopAt)).not.toContain('JobRunRequested');
  });
});

describe("a dispatch's new run stream", () => {
  beforeEach(() => {
    lostRaces = 0;
  });

  it('is written without being read, and a run the reactor queued first is answered as it is, not queued twice', async () => {
    // Prepare: the reactor queued the requested run before the API's own write
    const job = await newResource('job');
    const run = await platform.services.runs.dispatch(ann, job.id);
    const { state } = await loadState(platform.store, resourceModel(job.streamId));
    const [requested] = ofType((await platform.store.read(job.streamId, 0, 100)).events as Array<RecordedEvent<ResourceEvent>>, 'JobRunRequested');

    // Act: the API's write of the same run comes second
    const again = await platform.services.runs.queueRequested(liveJob(state), requested!, { newStream: true });

    // Assess
    expect(again).toEqual(run);
    expect((await stream(runStreamId(run.id))).types).toEqual(['RunQueued']);
    expect(lostRaces).toBe(1);
  });
});
