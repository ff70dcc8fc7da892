/** Subdomains are served by one resource at most, over a real store (dynalite). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { systemClock } from '../../shared/adapters/node-platform.ts';
import { ResourceService } from '../../shared/app/resource-service.ts';
import { SubdomainClaims } from '../../shared/app/subdomain-claims.ts';
import { resourceStreamId } from '../../shared/domain/resource/resource-identity.ts';
import { ConflictError } from '../../shared/domain/errors.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';

let dynamo: EmbeddedDynamo;
let resources: ResourceService;
let store: DynamoEventStore;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  store = new DynamoEventStore({ client: dynamo.client, tableName: dynamo.tables.events });
  resources = new ResourceService({
    store,
    views: new DynamoRecipeViews(dynamo.client, dynamo.tables.views),
    clock: systemClock,
    routeUrl: (s) => `http://${s}.localhost/`,
    principalExists: async () => true,
  });
});

afterAll(async () => {
  await dynamo.close();
});

const user = (username: string): User => ({ username, email: null, groups: [], admin: false });
const deployment = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'deployment', spec: { name, command: 'serve', ...extra } });

describe('subdomain claims', () => {
  it('refuse a second resource on a subdomain, naming the one that serves it, and change nothing', async () => {
    await resources.apply(user('ann'), deployment('shop', { subdomain: 'shop' }), { createOnly: true });
    const refused = resources.apply(user('bob'), deployment('store', { subdomain: 'shop' }), { createOnly: true });
    await expect(refused).rejects.toThrow(ConflictError);
    await expect(refused).rejects.toThrow('already served by deployment ann/shop');
    await expect(resources.getByName(user('bob'), 'deployment', 'store')).rejects.toThrow('No deployment named store');
  });

  it('tell apart default subdomains that would collide: a-b of c against a of b-c', async () => {
    await resources.apply(user('c'), deployment('a-b'), { createOnly: true });
    await expect(resources.apply(user('b-c'), deployment('a'), { createOnly: true })).rejects.toThrow('"a-b-c" is already served by deployment c/a-b');
    await resources.apply(user('b-c'), deployment('a', { subdomain: 'a-of-b-c' }), { createOnly: true });
  });

  it('cover extra routes too, and are released when the spec stops using them', async () => {
    const ann = user('ann');
    await resources.apply(ann, deployment('dash', { routes: [{ container_port: 8050, subdomain: 'dash-board' }] }), { createOnly: true });
    await expect(resources.apply(user('bob'), deployment('other', { subdomain: 'dash-board' }), { createOnly: true })).rejects.toThrow(ConflictError);
    await resources.apply(ann, deployment('dash'), { createOnly: false });
    await resources.apply(user('bob'), deployment('other', { subdomain: 'dash-board' }), { createOnly: true });
  });

  it('are released when the resource is deleted', async () => {
    const { recipe } = await resources.apply(user('ann'), deployment('temp', { subdomain: 'temp' }), { createOnly: true });
    await resources.delete(user('ann'), 'deployments', recipe.state.id as string);
    await resources.apply(user('bob'), deployment('temp2', { subdomain: 'temp' }), { createOnly: true });
  });

  it('let a claimant take over a claim its holder no longer uses (a crash between claim and write)', async () => {
    const claims = new SubdomainClaims(store);
    const meta = { at: new Date().toISOString(), actor: 'ann' };
    // A claim whose resource was never written.
    await claims.claim(['ghost'], resourceStreamId('deployment', 'ann', 'never-written'), 'deployment ann/never-written', meta);
    await resources.apply(user('bob'), deployment('live', { subdomain: 'ghost' }), { createOnly: true });
  });

  it('re-applying the same spec claims nothing new and succeeds', async () => {
    const ann = user('ann');
    await resources.apply(ann, deployment('same', { subdomain: 'same' }), { createOnly: true });
    await expect(resources.apply(ann, deployment('same', { subdomain: 'same', scale: 2 }), { createOnly: false })).resolves.toBeDefined();
  });
});
