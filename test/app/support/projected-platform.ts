/**
 * The platform's services over an embedded DynamoDB whose appends are projected into every read
 * model at once (what the local event feed or the projector Lambda does a moment later), so a
 * test reads listings right after the writes they show.
 */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import type { Clock } from '../../../shared/ports/platform-clock.ts';
import type { EventStore } from '../../../shared/ports/event-store.ts';
import type { StreamStateCache } from '../../../shared/app/stream-state-cache.ts';
import { projectingStore } from './projecting-store.ts';
import { allReadModels, dynamoServices } from './dynamo-services.ts';

export interface ProjectedPlatformOptions {
  clock?: Clock;
  /** The event store below everything (e.g. one that counts reads); the embedded DynamoDB's by default. */
  raw?: EventStore;
  /** Tokens, users and limits in memory, every append through its watch: as local mode wires them. */
  identityCache?: StreamStateCache;
}

/** `store` is the raw store (appends to it are not projected); the services write through the projecting one. */
export function projectedPlatform(dynamo: EmbeddedDynamo, options: ProjectedPlatformOptions = {}) {
  const { raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events }), identityCache, ...rest } = options;
  const projecting = projectingStore(identityCache ? identityCache.watching(raw) : raw, allReadModels(dynamo, raw));
  const { services } = dynamoServices(dynamo, { store: projecting, routeUrl: (s) => `http://${s}.localhost/`, ...rest, ...(identityCache ? { identityCache } : {}) });
  return { services, store: raw, projecting };
}
