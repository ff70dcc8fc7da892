/**
 * Subdomains are served by one resource at most, over a real store (dynalite), also when
 * applies race as they would from many API instances (issue 19, item 2), each deciding what to
 * claim and release on the state its own attempt read.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../infra/local/embedded-dynamodb.ts';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/dynamodb-event-store.ts';
import { DynamoRecipeViews } from '../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { systemClock } from '../../shared/adapters/node-platform.ts';
import { ResourceService } from '../../shared/app/resource-service.ts';
import { claimModel, SubdomainClaims, subdomainsOf } from '../../shared/app/subdomain-claims.ts';
import { loadState } from '../../shared/app/command-runner.ts';
import { resourceModel } from '../../shared/app/resource-model.ts';
import { resourceStreamId } from '../../shared/domain/resource/resource-identity.ts';
import { ConflictError, ValidationError } from '../../shared/domain/errors.ts';
import { CLAIM_PENDING_MS } from '../../shared/domain/resource/subdomain-claim.ts';
import type { User } from '../../shared/domain/identity/principal-decider.ts';

/** The users and groups there are: subdomains ending in `-<one of them>` are reserved for it. */
const PRINCIPALS = new Set(['ann', 'bob', 'alice', 'c', 'b-c', 'ice', 'al-ice', 'analytics']);

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
    principalExists: async (name) => PRINCIPALS.has(name),
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

  it("keep a user's default subdomain for that user, however another names a resource to reach it: a-b of c against a of b-c", async () => {
    // c's a-b would default to a-b-c, which is user b-c's default for a
    const refused = resources.apply(user('c'), deployment('a-b'), { createOnly: true });
    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toMatchObject({ details: [{ path: 'spec.subdomain', message: expect.stringContaining('"a-b-c" ends in "-b-c" and is reserved for resources owned by b-c') }] });
    await resources.apply(user('b-c'), deployment('a'), { createOnly: true });
    await resources.apply(user('c'), deployment('a-b', { subdomain: 'a-b-of-c' }), { createOnly: true });
  });

  it("refuse another user's default subdomain set explicitly, by the user's own name or a dashed one, in spec.subdomain or a route, and change nothing", async () => {
    // Prepare
    const bob = user('bob');
    const squat = (name: string, extra: Record<string, unknown>) => resources.apply(bob, deployment(name, extra), { createOnly: true });

    // Act and Assess
    await expect(squat('report', { subdomain: 'report-alice' })).rejects.toMatchObject({
      details: [{ path: 'spec.subdomain', message: expect.stringContaining('reserved for resources owned by alice') }],
    });
    await expect(squat('report', { subdomain: 'report-al-ice' })).rejects.toMatchObject({ details: [{ path: 'spec.subdomain', message: expect.stringContaining('owned by al-ice') }] });
    await expect(squat('report', { routes: [{ container_port: 8050, subdomain: 'dash-analytics' }] })).rejects.toMatchObject({
      details: [{ path: 'spec.routes[0].subdomain', message: expect.stringContaining('owned by analytics') }],
    });
    // `ice` may not reach `al-ice`'s default through a dashed resource name either
    await expect(resources.apply(user('ice'), deployment('report-al'), { createOnly: true })).rejects.toMatchObject({
      details: [{ path: 'spec.subdomain', message: expect.stringContaining('"report-al-ice" ends in "-al-ice"') }],
    });
    await expect(resources.getByName(bob, 'deployment', 'report')).rejects.toThrow('No deployment named report');
    expect((await loadState(store, claimModel('report-alice'))).state.holder).toBeNull();
    // The owner, and names that end in no one's name, are fine
    await resources.apply(user('alice'), deployment('report', { subdomain: 'report-alice' }), { createOnly: true });
    await squat('report', { subdomain: 'report-for-everyone' });
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

  it('let a claimant take over a claim whose write never followed (a crash between claim and write), once it lapsed', async () => {
    // Prepare: a claim whose resource was never written, made longer ago than a write can take
    const claims = new SubdomainClaims(store);
    const claimant = { holder: resourceStreamId('deployment', 'ann', 'never-written'), resource: 'deployment ann/never-written', holderVersion: 0 };
    await claims.claim(['ghost'], claimant, { at: new Date(Date.now() - CLAIM_PENDING_MS - 1000).toISOString(), actor: 'ann' });
    await claims.claim(['fresh-ghost'], claimant, { at: new Date().toISOString(), actor: 'ann' });

    // Act and Assess: the lapsed one is taken over; the fresh one may still be followed by its write
    await resources.apply(user('bob'), deployment('live', { subdomain: 'ghost' }), { createOnly: true });
    await expect(resources.apply(user('bob'), deployment('early', { subdomain: 'fresh-ghost' }), { createOnly: true })).rejects.toThrow(
      'The subdomain "fresh-ghost" is being claimed by deployment ann/never-written right now',
    );
  });

  it('re-applying the same spec claims nothing new and succeeds', async () => {
    const ann = user('ann');
    await resources.apply(ann, deployment('same', { subdomain: 'same' }), { createOnly: true });
    await expect(resources.apply(ann, deployment('same', { subdomain: 'same', scale: 2 }), { createOnly: false })).resolves.toBeDefined();
  });
});

const USERS = ['alice', 'bob'] as const;

/** Sends the applies with `concurrency` of them in flight at any time; every refusal must be a 409. */
async function race(applies: Array<{ user: string; name: string; subdomain: string }>, concurrency: number): Promise<void> {
  const queue = [...applies];
  const sender = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      await resources.apply(user(next.user), deployment(next.name, { subdomain: next.subdomain }), { createOnly: false }).catch((error: unknown) => {
        expect(error, String(error)).toBeInstanceOf(ConflictError);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
}

/** Each live deployment's subdomains: none held by two, and each one's claim names the deployment that holds it. */
async function expectOneHolderEach(names: string[]): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  for (const owner of USERS) {
    for (const name of names) {
      const { state } = await loadState(store, resourceModel(resourceStreamId('deployment', owner, name)));
      for (const subdomain of subdomainsOf(state.live)) {
        expect(holders.get(subdomain), `${subdomain} is served by ${holders.get(subdomain)} and by ${state.streamId}`).toBeUndefined();
        holders.set(subdomain, state.streamId);
        const claim = await loadState(store, claimModel(subdomain));
        expect(claim.state.holder, `the claim of ${subdomain}`).toBe(state.streamId);
      }
    }
  }
  return holders;
}

describe('subdomain claims under racing applies', () => {
  it("refuse bob the subdomain alice's deployment ended on after 30 applies, 15 in flight, cycling q-0/1/2 (3 of 3 trials)", async () => {
    for (let trial = 0; trial < 3; trial++) {
      // Prepare: alice's applies, cycling; whichever lands last is where her deployment ends
      const pool = [0, 1, 2].map((i) => `t${trial}-q-${i}`);
      const name = `cycling-${trial}`;
      await race(Array.from({ length: 30 }, (_, i) => ({ user: 'alice', name, subdomain: pool[i % 3]! })), 15);
      const alices = resourceStreamId('deployment', 'alice', name);
      const [ended] = subdomainsOf((await loadState(store, resourceModel(alices))).state.live);

      // Act
      const bobs = resources.apply(user('bob'), deployment(`taker-${trial}`, { subdomain: ended! }), { createOnly: false });

      // Assess
      await expect(bobs).rejects.toThrow(`The subdomain "${ended}" is already served by deployment alice/${name}`);
      expect((await expectOneHolderEach([name, `taker-${trial}`])).get(ended!)).toBe(alices);
    }
  }, 120_000);

  it('never leave two live resources on one subdomain, whatever two users racing applies over three subdomains do (property)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ user: fc.constantFrom(...USERS), resource: fc.nat(1), subdomain: fc.nat(2) }), { minLength: 4, maxLength: 24 }),
        fc.integer({ min: 2, max: 12 }),
        async (steps, concurrency) => {
          // Prepare: names of this round only, so rounds do not share streams
          const r = ++round;
          const names = [`p${r}-a`, `p${r}-b`];
          const applies = steps.map((s) => ({ user: s.user, name: names[s.resource]!, subdomain: `p${r}-q-${s.subdomain}` }));

          // Act
          await race(applies, concurrency);

          // Assess
          await expectOneHolderEach(names);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
