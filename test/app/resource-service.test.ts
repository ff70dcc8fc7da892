import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { LocalSecretStore } from '../../infra/local/local-secret-store.ts';
import { systemClock, systemRandom } from '../../shared/adapters/node-platform.ts';
import { platformServices } from '../../shared/app/platform-services.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';

let dynamo: EmbeddedDynamo;
const sent: string[] = [];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
});

afterAll(async () => {
  await dynamo.close();
});

const ann: User = { username: 'ann', email: null, groups: [], admin: false };

function services() {
  return platformServices({
    store: new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events }),
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    runViews: new DynamoRunViews(dynamo.client, dynamo.tables.views),
    catalogViews: new DynamoCatalogViews(dynamo.client, dynamo.tables.views),
    secretStore: new LocalSecretStore(),
    clock: systemClock,
    random: systemRandom,
    routeUrl: (s) => `http://${s}.localhost/`,
  });
}

describe('commands by id', () => {
  it('check access on the same read they decide on: one Query and one PutItem each', async () => {
    // Prepare
    const { resources, runs } = services();
    const { recipe } = await resources.apply(ann, { type: 'job', spec: { name: 'etl', command: 'true' } }, { createOnly: false });
    const id = recipe.state.id as string;
    const { recipe: lab } = await resources.apply(ann, { type: 'workspace', spec: { name: 'lab' } }, { createOnly: false });

    // Act / Assess
    sent.length = 0;
    await resources.act(ann, 'workspaces', lab.state.id as string, 'start');
    expect(sent).toEqual(['QueryCommand', 'PutItemCommand']);

    sent.length = 0;
    await resources.setScheduleSuspended(ann, id, false).catch(() => undefined);
    expect(sent).toEqual(['QueryCommand']);

    sent.length = 0;
    await runs.dispatch(ann, id);
    // The job stream (one read, one write), then the new run's stream (one read, one write).
    expect(sent).toEqual(['QueryCommand', 'PutItemCommand', 'QueryCommand', 'PutItemCommand']);
  });
});
