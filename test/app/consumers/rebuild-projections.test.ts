import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { DynamoRunViews } from '../../../shared/adapters/dynamodb/dynamodb-run-views.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import { tokenId } from '../../../shared/domain/identity/api-token.ts';
import { DynamoUsageViews } from '../../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { DynamoTokenViews } from '../../../shared/adapters/dynamodb/dynamodb-token-views.ts';
import { DynamoPrincipalViews } from '../../../shared/adapters/dynamodb/dynamodb-principal-views.ts';
import { LocalSecretStore } from '../../../infra/local/local-secret-store.ts';
import { rebuildProjections } from '../../../shared/app/consumers/rebuild-projections.ts';
import { platformServices } from '../../../shared/app/platform-services.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

let dynamo: EmbeddedDynamo;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

const admin: User = { username: 'admin', email: null, groups: [], admin: true };
let counter = 0;

describe('rebuildProjections', () => {
  it('rebuilds the recipe, run, catalog, token and principal views from the events alone', async () => {
    // Prepare: events written with no projector running, so every view is missing.
    const store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
    const views = new DynamoRecipeViews(dynamo.client, dynamo.tables.views);
    const runViews = new DynamoRunViews(dynamo.client, dynamo.tables.views);
    const catalogViews = new DynamoCatalogViews(dynamo.client, dynamo.tables.views);
    const tokenViews = new DynamoTokenViews(dynamo.client, dynamo.tables.views);
    const principalViews = new DynamoPrincipalViews(dynamo.client, dynamo.tables.views);
    const usageViews = new DynamoUsageViews(dynamo.client, dynamo.tables.views);
    const services = platformServices({
      store,
      views,
      runViews,
      catalogViews,
      tokenViews,
      principalViews,
      usageViews,
      secretStore: new LocalSecretStore(),
      clock: { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, counter++)) },
      random: { bytes: (n) => new Uint8Array(n).fill(counter++ % 256) },
      routeUrl: (s) => `http://${s}.localhost/`,
    });
    const { recipe: job } = await services.resources.apply(admin, { type: 'job', spec: { name: 'etl', command: 'true' } }, { createOnly: false });
    await services.resources.apply(admin, { type: 'workspace', spec: { name: 'lab' } }, { createOnly: false });
    const run = await services.runs.dispatch(admin, job.state.id as string);
    await services.catalog.putSecret(admin, { name: 'db-password', attributes: { description: null, access: 'owner' } }, 'rebuild-secret-value');
    await services.identity.bootstrapAdmin('rebuild-admin-token');
    const issued = await services.identity.issueToken(admin, { kind: 'directory' }, 'admin', 30);
    expect(await tokenViews.list('admin')).toEqual([]);
    expect((await principalViews.list({ after: null, limit: 10 })).principals).toEqual([]);
    expect(await catalogViews.list('secret')).toEqual([]);
    expect((await views.list({ owners: 'all', pageSize: 10 })).views).toEqual([]);

    // Act
    const result = await rebuildProjections({ store, views, runViews, catalogViews, tokenViews, principalViews, usageViews });

    // Assess
    expect(result.streams).toBeGreaterThanOrEqual(3);
    const listed = await views.list({ owners: 'all', pageSize: 10 });
    expect(listed.views.map((v) => v.resource.name).sort()).toEqual(['etl', 'lab']);
    const runs = await runViews.list({ jobId: job.state.id as string, limit: 10 });
    expect(runs.runs.map((r) => r.id)).toEqual([run.id]);
    expect((await catalogViews.list('secret')).map((o) => `${o.owner}/${o.name}`)).toEqual(['admin/db-password']);
    expect((await tokenViews.list('admin')).map((t) => t.tokenId).sort()).toEqual([issued.token_id, tokenId('rebuild-admin-token')].sort());
    expect((await principalViews.list({ after: null, limit: 10 })).principals).toEqual([{ kind: 'user', user: admin }]);
  });
});
