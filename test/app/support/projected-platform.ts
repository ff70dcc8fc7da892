/**
 * The platform's services over an embedded DynamoDB whose appends are projected into every read
 * model at once (what the local event feed or the projector Lambda does a moment later), so a
 * test reads listings right after the writes they show.
 */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import type { Clock } from '../../../shared/ports/platform-clock.ts';
import { projectingStore } from './projecting-store.ts';
import { allReadModels, dynamoServices } from './dynamo-services.ts';

/** `store` is the raw store (appends to it are not projected); the services write through the projecting one. */
export function projectedPlatform(dynamo: EmbeddedDynamo, options: { clock?: Clock } = {}) {
  const raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const projecting = projectingStore(raw, allReadModels(dynamo, raw));
  const { services } = dynamoServices(dynamo, { store: projecting, routeUrl: (s) => `http://${s}.localhost/`, ...options });
  return { services, store: raw, projecting };
}
