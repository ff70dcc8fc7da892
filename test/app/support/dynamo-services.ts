/** The platform's services over an embedded DynamoDB, with the local secret store: what the API handler runs on in tests. */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { LocalSecretStore } from '../../../infra/local/local-secret-store.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { DynamoUsageViews } from '../../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { DynamoTokenViews } from '../../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoPrincipalViews } from '../../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { systemClock, systemRandom } from '../../../shared/adapters/node-platform.ts';
import { platformServices } from '../../../shared/app/platform-services.ts';
import { ReadModelProjector } from '../../../shared/app/consumers/read-model-projector.ts';
import type { Clock } from '../../../shared/ports/platform-clock.ts';
import type { EventStore } from '../../../shared/ports/event-store.ts';
import type { PriceTable } from '../../../shared/domain/usage/instance-prices.ts';
import type { StreamStateCache } from '../../../shared/app/stream-state-cache.ts';

/**
 * `store` replaces the plain event store, e.g. by one that projects each append at once;
 * `identityCache` holds tokens, users and limits in memory as local mode does (`store` must then go through its watch).
 */
export function dynamoServices(
  dynamo: EmbeddedDynamo,
  options: { clock?: Clock; routeUrl?: (subdomain: string) => string; store?: EventStore; prices?: PriceTable; identityCache?: StreamStateCache } = {},
) {
  const store = options.store ?? new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const catalogViews = new DynamoCatalogViews(dynamo.client, dynamo.tables.views);
  const secretStore = new LocalSecretStore();
  const services = platformServices({
    store,
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
    catalogViews,
    tokenViews: new DynamoTokenViews(dynamo.client, dynamo.tables.views),
    principalViews: new DynamoPrincipalViews(dynamo.client, dynamo.tables.views),
    usageViews: new DynamoUsageViews(dynamo.client, dynamo.tables.views),
    secretStore,
    clock: options.clock ?? systemClock,
    random: systemRandom,
    routeUrl: options.routeUrl ?? ((subdomain) => `https://${subdomain}.example.test/`),
    ...(options.prices ? { prices: options.prices } : {}),
    ...(options.identityCache ? { identityCache: options.identityCache } : {}),
  });
  return { store, services, catalogViews, secretStore };
}

/** Every read model over the embedded DynamoDB, fed from `raw`: with projectingStore, appends are projected at once. */
export function allReadModels(dynamo: EmbeddedDynamo, raw: EventStore): ReadModelProjector {
  return new ReadModelProjector({
    store: raw,
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
    catalogViews: new DynamoCatalogViews(dynamo.client, dynamo.tables.views),
    tokenViews: new DynamoTokenViews(dynamo.client, dynamo.tables.views),
    principalViews: new DynamoPrincipalViews(dynamo.client, dynamo.tables.views),
    usageViews: new DynamoUsageViews(dynamo.client, dynamo.tables.views),
  });
}
