/** The platform's services over an embedded DynamoDB, with the local secret store: what the API handler runs on in tests. */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { LocalSecretStore } from '../../../infra/local/local-secret-store.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { systemClock, systemRandom } from '../../../shared/adapters/node-platform.ts';
import { platformServices } from '../../../shared/app/platform-services.ts';
import type { Clock } from '../../../shared/ports/platform-clock.ts';

export function dynamoServices(dynamo: EmbeddedDynamo, options: { clock?: Clock; routeDomain?: string } = {}) {
  const store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const services = platformServices({
    store,
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
    catalogViews: new DynamoCatalogViews(dynamo.client, dynamo.tables.views),
    secretStore: new LocalSecretStore(),
    clock: options.clock ?? systemClock,
    random: systemRandom,
    routeUrl: (subdomain) => `https://${subdomain}.${options.routeDomain ?? 'example.test'}/`,
  });
  return { store, services };
}
