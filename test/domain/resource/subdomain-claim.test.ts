/**
 * The subdomain claim decider's rules (issue 19, item 2): a takeover only from a holder that
 * neither uses the subdomain nor may still write, a release only of a claim older than the
 * write that stopped using it, and a holder's newer claim recorded so a racing takeover loses.
 */
import { describe, expect, it } from 'vitest';
import { fold } from '../../../shared/domain/decider.ts';
import { CLAIM_PENDING_MS, subdomainClaimDecider, type SubdomainClaimCommand } from '../../../shared/domain/resource/subdomain-claim.ts';
import type { SubdomainEvent } from '../../../events/subdomain-events.ts';

const AT = '2026-01-01T00:00:00.000Z';
const later = (ms: number) => new Date(Date.parse(AT) + ms).toISOString();
const ALICE = 'resource-alice-site';
const BOB = 'resource-bob-site';

const claimed = (holder: string, holderVersion: number, at = AT): SubdomainEvent => ({
  type: 'SubdomainClaimed',
  data: { subdomain: 'q-0', holder, resource: holder === ALICE ? 'deployment alice/site' : 'deployment bob/site', holder_version: holderVersion },
  at,
  actor: 'x',
});
const claim = (holder: string, holderVersion: number, incumbent: { version: number; uses: boolean } | null, at = later(1000)): SubdomainClaimCommand => ({
  kind: 'ClaimSubdomain',
  subdomain: 'q-0',
  holder,
  resource: holder === ALICE ? 'deployment alice/site' : 'deployment bob/site',
  holderVersion,
  incumbent,
  at,
  actor: 'x',
});
const release = (holder: string, stoppedUsingAt: number): SubdomainClaimCommand => ({ kind: 'ReleaseSubdomain', subdomain: 'q-0', holder, stoppedUsingAt, at: later(2000), actor: 'x' });
const decide = (history: SubdomainEvent[], command: SubdomainClaimCommand) => subdomainClaimDecider.decide(command, fold(subdomainClaimDecider, subdomainClaimDecider.initialState, history));

describe('subdomain claim decider', () => {
  it('refuses a takeover while the holder uses the subdomain, naming it', () => {
    expect(() => decide([claimed(ALICE, 4)], claim(BOB, 0, { version: 9, uses: true }))).toThrow('"q-0" is already served by deployment alice/site');
  });

  it("refuses a takeover while the holder's write may still follow its claim, and allows it once the claim lapsed", () => {
    // alice claimed at version 4 and has not written since: her apply may be about to
    expect(() => decide([claimed(ALICE, 4)], claim(BOB, 0, { version: 4, uses: false }))).toThrow('is being claimed by deployment alice/site right now');
    expect(decide([claimed(ALICE, 4)], claim(BOB, 0, { version: 4, uses: false }, later(CLAIM_PENDING_MS + 1)))).toEqual([claimed(BOB, 0, later(CLAIM_PENDING_MS + 1))]);
  });

  it('allows a takeover once the holder wrote past its claim and does not use the subdomain', () => {
    expect(decide([claimed(ALICE, 4)], claim(BOB, 2, { version: 6, uses: false }))).toEqual([claimed(BOB, 2, later(1000))]);
  });

  it('records the holder claiming again from a newer version (so a racing takeover loses its write), but not from an older one', () => {
    expect(decide([claimed(ALICE, 4)], claim(ALICE, 7, null))).toEqual([claimed(ALICE, 7, later(1000))]);
    expect(decide([claimed(ALICE, 7)], claim(ALICE, 4, null))).toEqual([]);
    expect(decide([claimed(ALICE, 7)], claim(ALICE, 7, null))).toEqual([]);
  });

  it('releases only a claim older than the write that stopped using the subdomain, and only its holder', () => {
    expect(decide([claimed(ALICE, 4)], release(ALICE, 5))).toEqual([{ type: 'SubdomainReleased', data: { subdomain: 'q-0', holder: ALICE }, at: later(2000), actor: 'x' }]);
    // A later apply claimed it again from version 5: the release by the write of version 5 is older.
    expect(decide([claimed(ALICE, 5)], release(ALICE, 5))).toEqual([]);
    expect(decide([claimed(ALICE, 4)], release(BOB, 9))).toEqual([]);
  });

  it('reads a claim recorded before claims carried a version as one any later write of its holder supersedes', () => {
    const old: SubdomainEvent = { type: 'SubdomainClaimed', data: { subdomain: 'q-0', holder: ALICE, resource: 'deployment alice/site' }, at: AT, actor: 'x' };
    expect(decide([old], claim(BOB, 0, { version: 0, uses: false }))).toEqual([claimed(BOB, 0, later(1000))]);
    expect(decide([old], release(ALICE, 1))).toHaveLength(1);
  });
});
