/**
 * A data directory with a history, built fast: HISTORY_RESOURCES resources (jobs, a third of
 * them scheduled; deployments and workspaces, stopped) of a few users and groups, and
 * HISTORY_RUNS finished runs (mostly succeeded, some failed) of the scheduled jobs. Every
 * command goes through the platform's own services and deciders, so the events, snapshots, views
 * and checkpoints are those `npm start` would have written; only the store they are decided
 * against is a Map (memory-event-store.ts), copied as it goes into dynalite on disk through the
 * platform's DynamoDB adapters in batches (batching-dynamo-client.ts). The read models are then
 * projected from each stream's newest batch by the real projector, every consumer's checkpoint
 * is set to the stream's version (everything was delivered), and the directory is left as a
 * clean stop leaves it.
 *
 * Built once per generator schema and kept under node_modules/.cache; each bench run copies it.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { DynamoTokenViews } from '../../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoPrincipalViews } from '../../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { DynamoUsageViews } from '../../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { DynamoCheckpoints } from '../../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { systemRandom } from '../../../shared/adapters/node-platform.ts';
import { platformServices } from '../../../shared/app/platform-services.ts';
import { ReadModelProjector } from '../../../shared/app/consumers/read-model-projector.ts';
import { LocalSecretStore } from '../../../infra/local/local-secret-store.ts';
import { writeAdminToken } from '../../../infra/local/admin-token-file.ts';
import { writeCleanStopMark } from '../../../infra/local/clean-stop-mark.ts';
import { LOCAL_CONSUMERS } from '../../../infra/local/local-consumers.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { addressOf } from '../../../shared/domain/resource/resource-identity.ts';
import type { ResourceState } from '../../../shared/domain/resource/resource-decider.ts';
import { isResourceEvent } from '../../../events/event-versions.ts';
import { ofType } from '../../../events/envelope.ts';
import { MemoryEventStore } from './memory-event-store.ts';
import { boundedParallel } from '../../bounded-parallel.ts';
import { BatchingDynamoClient } from './batching-dynamo-client.ts';

export const HISTORY_RESOURCES = 10_000;
export const HISTORY_RUNS = 100_000;
/** Bump when what the generator writes changes: the cached directory is then built again. */
const GENERATOR_SCHEMA = 2;

const USERS = 12;
const GROUPS = 3;
/** Of the resources: jobs (a third of them scheduled), deployments, workspaces. */
const JOB_SHARE = 0.6;
const DEPLOYMENT_SHARE = 0.2;
const FAILED_EVERY = 10;
const PROJECTING_STREAMS = 8;

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'cassini-bench-history');

export interface HistoryData {
  dataDir: string;
  adminToken: string;
  resources: number;
  runs: number;
}

/** A copy of the cached history directory at `dataDir` (built first when there is none for this schema). */
export async function historyDataDir(dataDir: string, progress: (message: string) => void, size = { resources: HISTORY_RESOURCES, runs: HISTORY_RUNS }): Promise<HistoryData> {
  const cached = join(CACHE_DIR, `v${GENERATOR_SCHEMA}-${size.resources}-${size.runs}`);
  if (!existsSync(join(cached, 'admin-token'))) {
    const building = `${cached}.${process.pid}.building`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true, mode: 0o700 });
    const since = performance.now();
    await buildHistory(building, size, progress);
    progress(`data_plane: history of ${size.resources} resources and ${size.runs} runs built in ${((performance.now() - since) / 1000).toFixed(0)} s (kept in ${cached})`);
    renameSync(building, cached);
  }
  cpSync(cached, dataDir, { recursive: true });
  return { dataDir, adminToken: HISTORY_ADMIN_TOKEN, ...size };
}

const HISTORY_ADMIN_TOKEN = 'bench-history-admin-token-0123456789abcdef';

async function buildHistory(dataDir: string, size: { resources: number; runs: number }, progress: (message: string) => void): Promise<void> {
  const dynamoDir = join(dataDir, 'dynamodb');
  mkdirSync(dynamoDir, { mode: 0o700 });
  const db = await startEmbeddedDynamo({ path: dynamoDir });
  const bulk = new BatchingDynamoClient(db.client);
  const client = bulk.asClient();
  // Runs happen over the past days; the users and tokens exist as of now.
  // Whole minutes, as schedule ticks are.
  const historyStart = () => new Date(Math.floor(Date.now() / 60_000 - 90 * 1440) * 60_000);
  let now = historyStart();
  const clock = { now: () => now };
  const durable = new DynamoEventStore({ client, tableName: db.tables.events, now: clock.now });
  const store = new MemoryEventStore({
    now: clock.now,
    onCommit: async (batch, request) => void (await durable.append(batch.streamId, { ...request, commandId: undefined, recentCommands: [] })),
  });
  const table = db.tables.views;
  const readModels = {
    views: new DynamoRecipeViews(client, table),
    runViews: new DynamoRunViews(client, table),
    catalogViews: new DynamoCatalogViews(client, table),
    tokenViews: new DynamoTokenViews(client, table),
    principalViews: new DynamoPrincipalViews(client, table),
    usageViews: new DynamoUsageViews(client, table),
  };
  const services = platformServices({
    ...readModels,
    store,
    clock,
    random: systemRandom,
    routeUrl: (subdomain) => `http://${subdomain}.localhost/`,
    secretStore: new LocalSecretStore({ dir: join(dataDir, 'secrets') }),
  });

  now = new Date();
  await services.identity.bootstrapAdmin(HISTORY_ADMIN_TOKEN);
  writeAdminToken(dataDir, HISTORY_ADMIN_TOKEN);
  const admin: User = { username: 'admin', email: null, groups: [], admin: true };
  const users: User[] = [];
  for (let u = 0; u < USERS; u++) {
    const user: User = { username: `user${u}`, email: `user${u}@example.com`, groups: [`team${u % GROUPS}`], admin: false };
    users.push(await services.identity.createUser(admin, user));
  }

  now = historyStart();
  const jobs = Math.round(size.resources * JOB_SHARE);
  const deployments = Math.round(size.resources * DEPLOYMENT_SHARE);
  const scheduled: Array<{ id: string; user: User }> = [];
  for (let r = 0; r < size.resources; r++) {
    const user = users[r % USERS]!;
    const owner = r % 4 === 0 ? user.groups[0]! : user.username;
    const type = r < jobs ? 'job' : r < jobs + deployments ? 'deployment' : 'workspace';
    const spec: Record<string, unknown> = { name: `${type}-${r}`, owner, command: type === 'job' ? 'python train.py' : 'python serve.py', environment_variables: { STAGE: 'bench' } };
    if (type === 'job' && r % 3 === 0) spec.schedule = `${r % 60} * * * *`;
    const { recipe } = await services.resources.apply(user, { type, spec }, { createOnly: true });
    if (spec.schedule) scheduled.push({ id: String(recipe.state.id), user });
    if ((r + 1) % 2000 === 0) progress(`data_plane: history: ${r + 1} resources`);
  }

  // Each run as the runtime records it: the tick, the run queued, its task launched, started and exited, the job told.
  for (let n = 0; n < size.runs; n++) {
    const job = scheduled[n % scheduled.length]!;
    now = new Date(now.getTime() + 60_000);
    await services.runs.tick(job.id, now.toISOString());
    const ticked = store.newest(addressOf(job.id)!.streamId)!;
    const live = (ticked.snapshot.state as ResourceState).live;
    const requested = ofType(ticked.events.filter(isResourceEvent), 'JobRunRequested')[0];
    if (live?.type !== 'job' || !requested) throw new Error(`the tick of ${job.id} requested no run`);
    const queued = await services.runs.queueRequested(live, requested);
    const at = (seconds: number) => ({ at: new Date(now.getTime() + seconds * 1000).toISOString(), actor: 'system:runner' });
    const taskId = `${queued.id}-0`;
    await services.runs.report(queued.id, { kind: 'RecordTasksLaunched', tasks: [{ rank: 0, taskId }], ...at(1) });
    await services.runs.report(queued.id, { kind: 'ReportTaskStarted', taskId, ...at(2) });
    const failed = n % FAILED_EVERY === 0;
    const finished = await services.runs.report(queued.id, { kind: 'ReportTaskExited', taskId, exitCode: failed ? 1 : 0, reason: failed ? 'exited with 1' : 'exited', ...at(30) });
    await services.runs.recordFinished(finished!);
    if ((n + 1) % 10_000 === 0) progress(`data_plane: history: ${n + 1} runs`);
  }
  await bulk.flush();

  // Everything was delivered: the read models from each stream's newest batch, every consumer's checkpoint at its version.
  const projector = new ReadModelProjector({ store, ...readModels });
  const checkpoints = new DynamoCheckpoints(client, table);
  // Each stream is projected once and on its own: several at a time keep dynalite busy during the reads.
  const newest = [...store.newestBatches()];
  let projected = 0;
  await boundedParallel(newest.length, PROJECTING_STREAMS, async (index) => {
    const batch = newest[index]!;
    await projector.handle(batch);
    for (const consumer of LOCAL_CONSUMERS) await checkpoints.advance(consumer, batch.streamId, batch.lastVersion);
    if (++projected % 20_000 === 0) progress(`data_plane: history: ${projected} streams projected`);
  });
  await bulk.flush();
  await db.close();
  writeCleanStopMark(dataDir, LOCAL_CONSUMERS, new Date());
  writeFileSync(join(dataDir, 'history.json'), JSON.stringify({ schema: GENERATOR_SCHEMA, ...size }));
}
