/**
 * The whole control plane in one process: DynamoDB (dynalite) on disk or in memory, the
 * event feed delivering to the projector, and the API behind a Node HTTP server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoCheckpoints } from '../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { platformServices } from '../../shared/app/platform-services.ts';
import { ReadModelProjector } from '../../shared/app/consumers/read-model-projector.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { RateLimitOptions } from '../../functions/api/middlewares/rate-limit.ts';
import { LocalEventFeed } from './event-feed.ts';
import { feedingEventStore } from './feeding-event-store.ts';
import { httpAdapter, writeResult, type ApiHandler } from './http-adapter.ts';
import { DynamoRunViews } from '../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { JobRunService } from '../../shared/app/job-run-service.ts';
import { RunLauncher } from '../../shared/app/run-launcher.ts';
import { JobRunReactor } from '../../shared/app/consumers/job-run-reactor.ts';
import { LocalProcessDriver } from './process-driver/local-process-driver.ts';
import { LocalTimers } from './local-timers.ts';
import { LocalJobScheduler } from './local-job-scheduler.ts';
import { recoverJobs } from './job-recovery.ts';
import { PLATFORM_VERSION } from '../../shared/version.ts';

/** How long a clean stop waits for requests under way. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface LocalPlatformOptions {
  /** Where data lives; in memory (and a temporary task directory) when absent: tests. */
  dataDir?: string;
  port: number;
  host?: string;
  rateLimit?: RateLimitOptions;
  /** Runs once everything is up, before the API answers anything but 503 (e.g. the admin bootstrap). */
  prepare?: (services: PlatformServices) => Promise<void>;
  /** Grace between SIGTERM and SIGKILL when stopping tasks. */
  stopGraceMs?: number;
}

type PlatformServices = ReturnType<typeof platformServices>;

export interface LocalPlatform {
  url: string;
  port: number;
  services: PlatformServices;
  feed: LocalEventFeed;
  db: EmbeddedDynamo;
  driver: LocalProcessDriver;
  handler: ApiHandler;
  close(): Promise<void>;
}

function logError(message: string) {
  return (error: unknown, ...context: unknown[]) => console.error(JSON.stringify({ level: 'error', message, context: context.map(String), error: String(error) }));
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  let dbPath: string | undefined;
  if (options.dataDir) {
    dbPath = join(options.dataDir, 'dynamodb');
    mkdirSync(dbPath, { recursive: true, mode: 0o700 });
  }
  const tasksDir = options.dataDir ? join(options.dataDir, 'tasks') : mkdtempSync(join(tmpdir(), 'cassini-tasks-'));
  mkdirSync(tasksDir, { recursive: true, mode: 0o700 });
  const db = await startEmbeddedDynamo({ path: dbPath });
  const rawStore = new DynamoEventStore({ client: db.client, tableName: db.tables.events });
  const views = new DynamoRecipeViews(db.client, db.tables.views);
  const runViews = new DynamoRunViews(db.client, db.tables.views);
  const checkpoints = new DynamoCheckpoints(db.client, db.tables.views);

  // The port is chosen first: route URLs and the tasks' SATURN_BASE_URL name it. Until the
  // platform is ready, every request gets 503.
  const server: Server = createServer();
  const ready: { serve?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
  server.on('request', (req, res) => {
    if (ready.serve) return void ready.serve(req, res);
    writeResult(res, { statusCode: 503, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: JSON.stringify({ code: 'starting', message: 'Cassini is starting; try again in a moment.' }) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  // The feed's consumers need the stores that publish to the feed: tied through this reference.
  const feedRef: { current?: LocalEventFeed } = {};
  const feedOf = () => feedRef.current!;
  const apiStore = feedingEventStore(rawStore, feedOf, { awaitDelivery: true });
  const runtimeStore = feedingEventStore(rawStore, feedOf, { awaitDelivery: false });
  const ports = { views, runViews, clock: systemClock, random: systemRandom, routeUrl: (subdomain: string) => `http://${subdomain}.localhost:${port}/` };
  const services = platformServices({ ...ports, store: apiStore });
  const runtimeJobs = new JobRunService({ ...ports, store: runtimeStore });

  const driver = new LocalProcessDriver({ rootDir: tasksDir, ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}) });
  const timers = new LocalTimers(logError('timer failed'));
  const launcher = new RunLauncher({
    driver,
    jobs: runtimeJobs,
    clock: systemClock,
    network: { leaderAddress: () => 'localhost' },
    platformEnvironment: { SATURN_BASE_URL: url },
  });
  const scheduler = new LocalJobScheduler((tick) => runtimeJobs.tick(tick.jobId, tick.scheduledFor), logError('schedule tick failed'));
  const feed = new LocalEventFeed({
    store: rawStore,
    checkpoints,
    consumers: [
      new ReadModelProjector({ store: rawStore, views, runViews }),
      new JobRunReactor({ jobs: runtimeJobs, launcher, scheduler, timers, clock: systemClock }),
    ],
    onError: (error, consumer, batch) =>
      console.error(JSON.stringify({ level: 'error', message: 'consumer failed', consumer, stream: batch.streamId, version: batch.lastVersion, error: String(error) })),
  });
  feedRef.current = feed;
  await feed.catchUp();
  await recoverJobs({ views, jobs: runtimeJobs, launcher, driver, scheduler, timers, now: () => systemClock.now() });

  const handler = createApi({ services: { ...services, taskLogs: driver, version: PLATFORM_VERSION }, rateLimit: options.rateLimit }) as unknown as ApiHandler;
  const http = httpAdapter(handler);
  await options.prepare?.(services);
  ready.serve = http;

  return {
    url,
    port,
    services,
    feed,
    db,
    driver,
    handler,
    async close() {
      // Stop taking requests and let those under way finish; stop schedules and timers; stop
      // the tasks (their ends are recorded); deliver what all that committed; then the store.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await http.drained(SHUTDOWN_GRACE_MS);
      server.closeAllConnections();
      await closed;
      scheduler.close();
      timers.close();
      await driver.close();
      await launcher.idle();
      await feed.idle();
      await db.close();
    },
  };
}
