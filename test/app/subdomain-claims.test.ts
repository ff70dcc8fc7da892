/**
 * Subdomains are served by one resource at most, over a real store (dynalite): claims, their
 * release, reserved default subdomains, a claim whose write never followed. The same rules under
 * racing applies are in subdomain-claims-races.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { claimModel, SubdomainClaims } from '../../shared/app/subdomain-claims.ts';
import { loadState } from '../../shared/app/command-runner.ts';
import { resourceStreamId } from '../../shared/domain/resource/resource-identity.ts';
import { ConflictError, ValidationError } from '../../shared/domain/errors.ts';
import { CLAIM_PENDING_MS } from '../../shared/domain/resource/subdomain-claim.ts';
import { deployment, resourcesOverDynalite, user } from './support/claims-fixture.ts';

const fixture = resourcesOverDynalite();

describe('subdomain claims', () => {
  it('refuse a second resource on a subdomain, naming the one that serves it, and change nothing', async () => {
    await fixture.resources.apply(user('ann'), deployment('shop', { subdomain: 'shop' }), { createOnly: true });
    const refused = fixture.resources.apply(user('bob'), deployment('store', { subdomain: 'shop' }), { createOnly: true });
    await expect(refused).rejects.toThrow(ConflictError);
    await expect(refused).rejects.toThrow('already served by deployment ann/shop');
    await expect(fixture.resources.getByName(user('bob'), 'deployment', 'store')).rejects.toThrow('No deployment named store');
  });

  it("keep a user's default subdomain for that user, however another names a resource to reach it: a-b of c against a of b-c", async () => {
    // c's a-b would default to a-b-c, which is user b-c's default for a
    const refused = fixture.resources.apply(user('c'), deployment('a-b'), { createOnly: true });
    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toMatchObject({ details: [{ path: 'spec.subdomain', message: expect.stringContaining('"a-b-c" ends in "-b-c" and is reserved for resources owned by b-c') }] });
    await fixture.resources.apply(user('b-c'), deployment('a'), { createOnly: true });
    await fixture.resources.apply(user('c'), deployment('a-b', { subdomain: 'a-b-of-c' }), { createOnly: true });
  });

  it("refuse another user's default subdomain set explicitly, by the user's own name or a dashed one, in spec.subdomain or a route, and change nothing", async () => {
    // Prepare
    const bob = user('bob');
    const squat = (name: string, extra: Record<string, unknown>) => fixture.resources.apply(bob, deployment(name, extra), { createOnly: true });

    // Act and Assess
    await expect(squat('report', { subdomain: 'report-alice' })).rejects.toMatchObject({
      details: [{ path: 'spec.subdomain', message: expect.stringContaining('reserved for resources owned by alice') }],
    });
    await expect(squat('report', { subdomain: 'report-al-ice' })).rejects.toMatchObject({ details: [{ path: 'spec.subdomain', message: expect.stringContaining('owned by al-ice') }] });
    await expect(squat('report', { routes: [{ container_port: 8050, subdomain: 'dash-analytics' }] })).rejects.toMatchObject({
      details: [{ path: 'spec.routes[0].subdomain', message: expect.stringContaining('owned by analytics') }],
    });
    // `ice` may not reach `al-ice`'s default through a dashed resource name either
    await expect(fixture.resources.apply(user('ice'), deployment('report-al'), { createOnly: true })).rejects.toMatchObject({
      details: [{ path: 'spec.subdomain', message: expect.stringContaining('"report-al-ice" ends in "-al-ice"') }],
    });
    await expect(fixture.resources.getByName(bob, 'deployment', 'report')).rejects.toThrow('No deployment named report');
    expect((await loadState(fixture.store, claimModel('report-alice'))).state.holder).toBeNull();
    // The owner, and names that end in no one's name, are fine
    await fixture.resources.apply(user('alice'), deployment('report', { subdomain: 'report-alice' }), { createOnly: true });
    await squat('report', { subdomain: 'report-for-everyone' });
  });

  it('cover extra routes too, and are released when the spec stops using them', async () => {
    const ann = user('ann');
    await fixture.resources.apply(ann, deployment('dash', { routes: [{ container_port: 8050, subdomain: 'dash-board' }] }), { createOnly: true });
    await expect(fixture.resources.apply(user('bob'), deployment('other', { subdomain: 'dash-board' }), { createOnly: true })).rejects.toThrow(ConflictError);
    await fixture.resources.apply(ann, deployment('dash'), { createOnly: false });
    await fixture.resources.apply(user('bob'), deployment('other', { subdomain: 'dash-board' }), { createOnly: true });
  });

  it('are released when the resource is deleted', async () => {
    const { recipe } = await fixture.resources.apply(user('ann'), deployment('temp', { subdomain: 'temp' }), { createOnly: true });
    await fixture.resources.delete(user('ann'), 'deployments', recipe.state.id as string);
    await fixture.resources.apply(user('bob'), deployment('temp2', { subdomain: 'temp' }), { createOnly: true });
  });

  it('let a claimant take over a claim whose write never followed (a crash between claim and write), once it lapsed', async () => {
    // Prepare: a claim whose resource was never written, made longer ago than a write can take
    const claims = new SubdomainClaims(fixture.store);
    const claimant = { holder: resourceStreamId('deployment', 'ann', 'never-written'), resource: 'deployment ann/never-written', holderVersion: 0 };
    await claims.claim(['ghost'], claimant, { at: new Date(Date.now() - CLAIM_PENDING_MS - 1000).toISOString(), actor: 'ann' });
    await claims.claim(['fresh-ghost'], claimant, { at: new Date().toISOString(), actor: 'ann' });

    // Act and Assess: the lapsed one is taken over; the fresh one may still be followed by its write
    await fixture.resources.apply(user('bob'), deployment('live', { subdomain: 'ghost' }), { createOnly: true });
    await expect(fixture.resources.apply(user('bob'), deployment('early', { subdomain: 'fresh-ghost' }), { createOnly: true })).rejects.toThrow(
      'The subdomain "fresh-ghost" is being claimed by deployment ann/never-written right now',
    );
  });

  it('re-applying the same spec claims nothing new and succeeds', async () => {
    const ann = user('ann');
    await fixture.resources.apply(ann, deployment('same', { subdomain: 'same' }), { createOnly: true });
    await expect(fixture.resources.apply(ann, deployment('same', { subdomain: 'same', scale: 2 }), { createOnly: false })).resolves.toBeDefined();
  });
});
