import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { DynamoTokenViews } from '../../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoPrincipalViews } from '../../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { DynamoUsageViews } from '../../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { ReadModelProjector } from '../../../shared/app/consumers/read-model-projector.ts';
import { addressOf } from '../../../shared/domain/resource/resource-identity.ts';
import type { RecipeViews } from '../../../shared/ports/recipe-views.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';
import { dynamoServices } from '../support/dynamo-services.ts';

let dynamo: EmbeddedDynamo;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

describe('ReadModelProjector', () => {
  it('gives a batch to every read model even when one fails, and then fails with that one', async () => {
    // Prepare: a job applied, and recipe views that cannot be written
    const store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
    const { services } = dynamoServices(dynamo, { store });
    const admin: User = { username: 'admin', email: null, groups: [], admin: true };
    const { recipe } = await services.resources.apply(admin, { type: 'job', spec: { name: 'projected', command: 'true' } }, { createOnly: true });
    const streamId = addressOf(recipe.state.id as string)!.streamId;
    const [batch] = await store.batchesAfter(streamId, 0);
    const recipes = new DynamoRecipeViews(dynamo.client, dynamo.tables.views);
    const unreachable: RecipeViews = { ...recipes, list: (query) => recipes.list(query), clear: () => recipes.clear(), put: () => Promise.reject(new Error('the recipe views are unreachable')), remove: () => Promise.reject(new Error('the recipe views are unreachable')) };
    const usageViews = new DynamoUsageViews(dynamo.client, dynamo.tables.views);
    const projector = new ReadModelProjector({
      store,
      views: unreachable,
      runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
      catalogViews: new DynamoCatalogViews(dynamo.client, dynamo.tables.views),
      tokenViews: new DynamoTokenViews(dynamo.client, dynamo.tables.views),
      principalViews: new DynamoPrincipalViews(dynamo.client, dynamo.tables.views),
      usageViews,
    });

    // Act
    const handled = projector.handle(batch!);

    // Assess
    await expect(handled).rejects.toThrow('the recipe views are unreachable');
    expect((await usageViews.get(streamId))?.version).toBe(batch!.lastVersion);
  });
});
