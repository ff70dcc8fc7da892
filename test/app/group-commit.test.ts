/**
 * Bursts of commands on one stream (shared/app/group-commit.ts), through JobRunService over an
 * embedded DynamoDB: 100 concurrent dispatches to one job are all accepted as 100 distinct runs
 * in far fewer batches; idempotency keys and the Forbid policy keep their meaning within a burst;
 * two processes (two services) racing for one job both get through; a refused command fails alone.
 */
import { liveJob } from '../domain/support/live-resource.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { dynamoServices } from './support/dynamo-services.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { GroupCommit } from '../../shared/app/group-commit.ts';
import { resourceModel } from '../../shared/app/resource-model.ts';
import { DynamoRunViews } from '../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { systemRandom } from '../../shared/adapters/node-platform.ts';
import { addressOf } from '../../shared/domain/resource/resource-identity.ts';
import { loadState } from '../../shared/app/command-runner.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';
import type { ResourceEvent } from '../../events/resource-events.ts';
import type { EventStore } from '../../shared/ports/event-store.ts';
import { ofType } from '../../events/envelope.ts';

let dynamo: EmbeddedDynamo;
let platform: ReturnType<typeof dynamoServices>;
const admin: User = { username: 'admin', email: null, groups: [], admin: true };
let counter = 0;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  platform = dynamoServices(dynamo);
  await platform.services.identity.bootstrapAdmin('group-commit-admin-token');
});

afterAll(async () => {
  await dynamo?.close();
});

async function newJob(spec: Record<string, unknown> = {}): Promise<{ id: string; streamId: string }> {
  const { recipe } = await platform.services.resources.apply(admin, { type: 'job', spec: { name: `burst-${++counter}`, command: 'true', ...spec } }, { createOnly: true });
  const id = recipe.state.id as string;
  return { id, streamId: addressOf(id)!.streamId };
}

/** The job stream's events of one type, and how many batches the stream holds. */
async function jobStream(streamId: string): Promise<{ events: ResourceEvent[]; batches: number }> {
  const events: ResourceEvent[] = [];
  for (let after = 0; ; ) {
    const page = await platform.store.read(streamId, after, 1000);
    events.push(...(page.events as unknown as ResourceEvent[]));
    if (page.nextAfterVersion === undefined) break;
    after = page.nextAfterVersion;
  }
  return { events, batches: (await platform.store.batchesAfter(streamId, 0)).length };
}

const requested = (events: ResourceEvent[]) => events.filter((e) => e.type === 'JobRunRequested');

describe('a burst of commands on one stream', () => {
  it('accepts 100 concurrent dispatches to one job as 100 distinct runs, appended in groups', async () => {
    // Prepare
    const job = await newJob();

    // Act
    const runs = await Promise.all(Array.from({ length: 100 }, (_, i) => platform.services.runs.dispatch(admin, job.id, { idempotencyKey: `key-${i}` })));

    // Assess
    expect(new Set(runs.map((r) => r.id)).size).toBe(100);
    const { events, batches } = await jobStream(job.streamId);
    expect(requested(events)).toHaveLength(100);
    expect(batches).toBeLessThan(50);
    const { state } = await loadState(platform.store, resourceModel(job.streamId));
    expect(liveJob(state).runs.active).toHaveLength(100);
  });

  it('keeps idempotency within a burst: one key, one run, however many times it is sent at once', async () => {
    // Prepare
    const job = await newJob();

    // Act: 30 requests with one key among 30 with keys of their own
    const same = Promise.all(Array.from({ length: 30 }, () => platform.services.runs.dispatch(admin, job.id, { idempotencyKey: 'one-key' })));
    const others = Promise.all(Array.from({ length: 30 }, (_, i) => platform.services.runs.dispatch(admin, job.id, { idempotencyKey: `other-${i}` })));
    const [sameRuns, otherRuns] = await Promise.all([same, others]);

    // Assess
    expect(new Set(sameRuns.map((r) => r.id)).size).toBe(1);
    expect(new Set(otherRuns.map((r) => r.id)).size).toBe(30);
    expect(requested((await jobStream(job.streamId)).events)).toHaveLength(31);
  });

  it('keeps Forbid within a burst: of 20 ticks at once on an idle job, one starts a run and 19 are skipped', async () => {
    // Prepare
    const job = await newJob({ schedule: '* * * * *', concurrency_policy: 'Forbid' });
    const minute = (n: number) => new Date(Date.UTC(2030, 0, 1, 0, n)).toISOString();

    // Act
    await Promise.all(Array.from({ length: 20 }, (_, n) => platform.services.runs.tick(job.id, minute(n))));

    // Assess
    const { events } = await jobStream(job.streamId);
    expect(requested(events)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'JobTickSkipped')).toHaveLength(19);
  });

  it('gets two processes racing for one job through: every dispatch of each is accepted', async () => {
    // Prepare: a second service over the same store, with a queue of its own, as another API instance
    const job = await newJob();
    const other = new JobRunService({ store: platform.store, runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views), clock: { now: () => new Date() }, random: systemRandom });

    // Act
    const runs = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? platform.services.runs : other).dispatch(admin, job.id, { idempotencyKey: `racer-${i}` })),
    );

    // Assess
    expect(new Set(runs.map((r) => r.id)).size).toBe(60);
    expect(requested((await jobStream(job.streamId)).events)).toHaveLength(60);
  });

  it('writes a run queued by the API and by the reactor at once in one append: the second decides on the first, not against it', async () => {
    // Prepare: the API (knowing the run stream is new) and the reactor both queue the run a dispatch requested, through one process queue
    const job = await newJob();
    const appends: string[] = [];
    const store: EventStore = {
      head: (streamId) => platform.store.head(streamId),
      read: (...args) => platform.store.read(...args),
      batchesAfter: (...args) => platform.store.batchesAfter(...args),
      allBatches: () => platform.store.allBatches(),
      append: (streamId, request) => (appends.push(streamId), platform.store.append(streamId, request)),
    };
    const commits = new GroupCommit(store);
    const runs = new JobRunService({ store, commits, runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views), clock: { now: () => new Date() }, random: systemRandom });
    const dispatched = await commits.run(resourceModel(job.streamId), { kind: 'RequestJobRun', id: job.id, runId: 'a'.repeat(32), trigger: 'api', at: new Date().toISOString(), actor: 'admin' });
    const [request] = ofType(dispatched.events, 'JobRunRequested');
    const live = dispatched.state.live!;
    if (live.type !== 'job') throw new Error('not a job');
    appends.length = 0;

    // Act: the reactor gets there first; the API, sure the stream is new, right behind it
    const [fromReactor, fromApi] = await Promise.all([runs.queueRequested(live, request!), runs.queueRequested(live, request!, { newStream: true })]);

    // Assess
    expect(appends).toEqual([`run-${'a'.repeat(32)}`]);
    expect(fromReactor).toEqual(fromApi);
  });

  it('answers a group whose stream cannot be read with the error, and still decides the commands behind it', async () => {
    // Prepare: the first read of the stream fails (the table unreachable a moment)
    const job = await newJob();
    let reads = 0;
    const store: EventStore = {
      head: (streamId) => (++reads === 1 ? Promise.reject(new Error('the events table is unreachable')) : platform.store.head(streamId)),
      read: (...args) => platform.store.read(...args),
      batchesAfter: (...args) => platform.store.batchesAfter(...args),
      allBatches: () => platform.store.allBatches(),
      append: (streamId, request) => platform.store.append(streamId, request),
    };
    const commits = new GroupCommit(store);
    const request = (n: number) => ({ kind: 'RequestJobRun' as const, id: job.id, runId: `${n}`.padStart(32, 'b'), trigger: 'api' as const, at: new Date().toISOString(), actor: 'admin' });

    // Act: one command starts the drain (and meets the failed read); another queues behind it
    const first = commits.run(resourceModel(job.streamId), request(1), { commandId: 'alone' });
    const second = commits.run(resourceModel(job.streamId), request(2));
    const outcomes = await Promise.allSettled([first, second]);

    // Assess
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : o.status))).toEqual(['Error: the events table is unreachable', 'fulfilled']);
  });

  it('fails a refused command alone; the rest of its group is appended', async () => {
    // Prepare: dispatches queued behind one the decider refuses (a command for another job id)
    const job = await newJob();
    const commits = new GroupCommit(platform.store);
    const request = (id: string, n: number) => ({ kind: 'RequestJobRun' as const, id, runId: `${n}`.padStart(32, '0'), trigger: 'api' as const, at: new Date().toISOString(), actor: 'admin' });

    // Act
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => commits.run(resourceModel(job.streamId), request(n === 2 ? 'not-this-job' : job.id, n))));

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(requested((await jobStream(job.streamId)).events).map((e) => e.data.run_id)).toEqual([request(job.id, 1).runId, request(job.id, 3).runId]);
  });
});
