/**
 * Resources over a real store (dynalite) with the subdomain claims they make, for the claim
 * tests and their racing counterparts.
 */
import { afterAll, beforeAll } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { systemClock } from '../../../shared/adapters/node-platform.ts';
import { ResourceService } from '../../../shared/app/resource-service.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

/** The users and groups there are: subdomains ending in `-<one of them>` are reserved for it. */
const PRINCIPALS = new Set(['ann', 'bob', 'alice', 'c', 'b-c', 'ice', 'al-ice', 'analytics']);

export interface ClaimsFixture {
  resources: ResourceService;
  store: DynamoEventStore;
}

/** Starts dynalite before the file's tests and stops it after; the fields are set by then. */
export function resourcesOverDynalite(): ClaimsFixture {
  const fixture = {} as ClaimsFixture;
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    fixture.store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
    fixture.resources = new ResourceService({
      store: fixture.store,
      views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
      clock: systemClock,
      routeUrl: (s) => `http://${s}.localhost/`,
      principalExists: async (name) => PRINCIPALS.has(name),
    });
  });
  afterAll(async () => {
    await dynamo.close();
  });
  return fixture;
}

export const user = (username: string): User => ({ username, email: null, groups: [], admin: false });
export const deployment = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'deployment', spec: { name, command: 'serve', ...extra } });
