/**
 * The platform's services over an embedded DynamoDB whose appends are projected into the
 * catalog views at once (what the local event feed or the projector Lambda does), with the
 * local secret store in a temporary directory, and users for catalog tests.
 */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { CatalogProjector } from '../../../shared/app/consumers/catalog-projector.ts';
import { projectingStore } from './projecting-store.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { dynamoServices } from './dynamo-services.ts';

export const admin: User = { username: 'admin', email: null, groups: [], admin: true };
export const ann: User = { username: 'ann', email: null, groups: ['ml'], admin: false };
export const bob: User = { username: 'bob', email: null, groups: ['data'], admin: false };

export function catalogPlatform(dynamo: EmbeddedDynamo) {
  const raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const catalogViews = new DynamoCatalogViews(dynamo.client, dynamo.tables.views);
  const projector = new CatalogProjector({ catalogViews, store: raw });
  const store = projectingStore(raw, projector);
  const { services, secretStore } = dynamoServices(dynamo, { store, routeUrl: (s) => `http://${s}.localhost/` });
  return { services, store: raw, catalogViews, secretStore };
}

/** Creates ann (in group ml) and bob (in group data); the admin exists once bootstrapped. */
export async function createUsers(services: ReturnType<typeof catalogPlatform>['services']): Promise<void> {
  for (const user of [ann, bob]) await services.identity.createUser(admin, user);
}
