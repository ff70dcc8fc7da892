/**
 * The platform's services over an embedded DynamoDB whose appends are projected into every read
 * model at once (what the local event feed or the projector Lambda does a moment later), so a
 * test reads listings right after the writes they show.
 */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { DynamoTokenViews } from '../../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoPrincipalViews } from '../../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { ReadModelProjector } from '../../../shared/app/consumers/read-model-projector.ts';
import { projectingStore } from './projecting-store.ts';
import { dynamoServices } from './dynamo-services.ts';

export function projectedPlatform(dynamo: EmbeddedDynamo) {
  const raw = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  const projector = new ReadModelProjector({
    store: raw,
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
    catalogViews: new DynamoCatalogViews(dynamo.client, dynamo.tables.views),
    tokenViews: new DynamoTokenViews(dynamo.client, dynamo.tables.views),
    principalViews: new DynamoPrincipalViews(dynamo.client, dynamo.tables.views),
  });
  const { services } = dynamoServices(dynamo, { store: projectingStore(raw, projector), routeUrl: (s) => `http://${s}.localhost/` });
  return { services, store: raw };
}
