/**
 * The whole control plane in one process: DynamoDB (dynalite) on disk or in memory, the
 * event feed delivering to the projector, and the API behind a Node HTTP server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoCheckpoints } from '../../shared/adapters/dynamodb/dynamodb-checkpoints.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { platformServices } from '../../shared/app/platform-services.ts';
import { RecipeProjector } from '../../shared/app/consumers/recipe-projector.ts';
import { createApi } from '../../functions/api/create-api.ts';
import type { RateLimitOptions } from '../../functions/api/middlewares/rate-limit.ts';
import { LocalEventFeed } from './event-feed.ts';
import { feedingEventStore } from './feeding-event-store.ts';
import { httpAdapter, type ApiHandler } from './http-adapter.ts';
import { PLATFORM_VERSION } from '../../shared/version.ts';

/** How long a clean stop waits for requests under way. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface LocalPlatformOptions {
  /** Where data lives; in memory when absent (tests). */
  dataDir?: string;
  port: number;
  host?: string;
  rateLimit?: RateLimitOptions;
}

export interface LocalPlatform {
  url: string;
  port: number;
  services: ReturnType<typeof platformServices>;
  feed: LocalEventFeed;
  db: EmbeddedDynamo;
  handler: ApiHandler;
  close(): Promise<void>;
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  let dbPath: string | undefined;
  if (options.dataDir) {
    dbPath = join(options.dataDir, 'dynamodb');
    mkdirSync(dbPath, { recursive: true, mode: 0o700 });
  }
  const db = await startEmbeddedDynamo({ path: dbPath });
  const rawStore = new DynamoEventStore({ client: db.client, tableName: db.tables.events });
  const views = new DynamoRecipeViews(db.client, db.tables.views);
  const checkpoints = new DynamoCheckpoints(db.client, db.tables.views);
  const feed = new LocalEventFeed({
    store: rawStore,
    checkpoints,
    consumers: [new RecipeProjector({ views, store: rawStore })],
    onError: (error, consumer, batch) =>
      console.error(JSON.stringify({ level: 'error', message: 'consumer failed', consumer, stream: batch.streamId, version: batch.lastVersion, error: String(error) })),
  });
  await feed.catchUp();
  const store = feedingEventStore(rawStore, () => feed);

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const services = platformServices({
    store,
    views,
    clock: systemClock,
    random: systemRandom,
    routeUrl: (subdomain) => `http://${subdomain}.localhost:${port}/`,
  });
  const handler = createApi({ services: { ...services, version: PLATFORM_VERSION }, rateLimit: options.rateLimit }) as unknown as ApiHandler;
  const http = httpAdapter(handler);
  server.on('request', http);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    services,
    feed,
    db,
    handler,
    async close() {
      // Stop taking requests, let those under way finish, then deliver what they committed.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await http.drained(SHUTDOWN_GRACE_MS);
      server.closeAllConnections();
      await closed;
      await feed.idle();
      await db.close();
    },
  };
}
