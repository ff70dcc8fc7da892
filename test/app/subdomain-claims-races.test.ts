/**
 * Subdomain claims when applies race as they would from many API instances (issue 19, item 2),
 * each deciding what to claim and release on the state its own attempt read, over a real store
 * (dynalite). Seconds of racing: in the integration lane.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimModel, subdomainsOf } from '../../shared/app/subdomain-claims.ts';
import { loadState } from '../../shared/app/command-runner.ts';
import { resourceModel } from '../../shared/app/resource-model.ts';
import { resourceStreamId } from '../../shared/domain/resource/resource-identity.ts';
import { ConflictError } from '../../shared/domain/errors.ts';
import { deployment, resourcesOverDynalite, user } from './support/claims-fixture.ts';

const fixture = resourcesOverDynalite();

const USERS = ['alice', 'bob'] as const;

/** Sends the applies with `concurrency` of them in flight at any time; every refusal must be a 409. */
async function race(applies: Array<{ user: string; name: string; subdomain: string }>, concurrency: number): Promise<void> {
  const queue = [...applies];
  const sender = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      await fixture.resources.apply(user(next.user), deployment(next.name, { subdomain: next.subdomain }), { createOnly: false }).catch((error: unknown) => {
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
      const { state } = await loadState(fixture.store, resourceModel(resourceStreamId('deployment', owner, name)));
      for (const subdomain of subdomainsOf(state.live)) {
        expect(holders.get(subdomain), `${subdomain} is served by ${holders.get(subdomain)} and by ${state.streamId}`).toBeUndefined();
        holders.set(subdomain, state.streamId);
        const claim = await loadState(fixture.store, claimModel(subdomain));
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
      const [ended] = subdomainsOf((await loadState(fixture.store, resourceModel(alices))).state.live);

      // Act
      const bobs = fixture.resources.apply(user('bob'), deployment(`taker-${trial}`, { subdomain: ended! }), { createOnly: false });

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
