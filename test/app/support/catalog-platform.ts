/**
 * The platform's services over an embedded DynamoDB whose appends are projected into the
 * catalog views at once (what the local event feed or the projector Lambda does), with the
 * local secret store in a temporary directory, and users for catalog tests.
 */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { LocalSecretStore } from '../../../infra/local/local-secret-store.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { systemClock, systemRandom } from '../../../shared/adapters/node-platform.ts';
import { CatalogProjector } from '../../../shared/app/consumers/catalog-projector.ts';
import { platformServices } from '../../../shared/app/platform-services.ts';
import type { EventStore } from '../../../shared/ports/event-store.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

export const admin: User = { username: 'admin', email: null, groups: [], admin: true };
export const ann: User = { username: 'ann', email: null, groups: ['ml'], admin: false };
export const bob: User = { username: 'bob', email: null, groups: ['data'], admin: false };

export function catalogPlatform(dynamo: EmbeddedDynamo) {
  const raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const catalogViews = new DynamoCatalogViews(dynamo.client, dynamo.tables.views);
  const projector = new CatalogProjector({ catalogViews, store: raw });
  const store: EventStore = {
    head: (id) => raw.head(id),
    read: (id, after, limit) => raw.read(id, after, limit),
    batchesAfter: (id, after) => raw.batchesAfter(id, after),
    allBatches: () => raw.allBatches(),
    append: async (id, request) => {
      const batch = await raw.append(id, request);
      await projector.handle(batch);
      return batch;
    },
  };
  const secretStore = new LocalSecretStore();
  const services = platformServices({
    store,
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
    catalogViews,
    secretStore,
    clock: systemClock,
    random: systemRandom,
    routeUrl: (s) => `http://${s}.localhost/`,
  });
  return { services, store: raw, catalogViews, secretStore };
}

/** Creates ann (in group ml) and bob (in group data); the admin exists once bootstrapped. */
export async function createUsers(services: ReturnType<typeof catalogPlatform>['services']): Promise<void> {
  for (const user of [ann, bob]) await services.identity.createUser(admin, user);
}
