/**
 * A subdomain's claim: which resource serves it. A resource claims each of its routes'
 * subdomains before the write that makes it use them, and releases those it stopped using after
 * the write that stopped it. Claims and resource writes are on different streams (no
 * transactions), so each claim records the version of the holder's stream it was decided on,
 * and both rules below read it:
 *
 * - A claimant may take over another holder's claim only when the holder neither uses the
 *   subdomain now nor may still do so: its stream has moved past the claimed version (the
 *   write the claim was for landed, or lost its race and will retry, claiming again), or the
 *   claim is older than `CLAIM_PENDING_MS` (its claimant died between claim and write).
 * - A release takes back only a claim decided on a version older than the write that stopped
 *   using the subdomain; a newer claim (a later apply that uses it again) stands.
 *
 * The holder claiming again from a newer version records it (a write on the claim stream), so
 * that a racing takeover decided on the older claim loses its conditional write.
 * Whether the incumbent holder uses the subdomain, and its stream's version, are read by the
 * caller and passed in.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError } from '../errors.ts';
import type { SubdomainEvent } from '../../../events/subdomain-events.ts';

/**
 * How long a claim whose holder has not written since may still be followed by that write.
 * Well above the API function's timeout (15 s), so a claimant that could still write has not
 * been cut off; a claim older than this with no write behind it is a crashed claimant's.
 */
export const CLAIM_PENDING_MS = 60_000;

export interface SubdomainClaimState {
  holder: string | null;
  resource: string | null;
  /** The holder's stream version the claim was decided on; null for a claim recorded without it. */
  holderVersion: number | null;
  claimedAt: string | null;
}

/** The incumbent holder as its stream is now. */
export interface Incumbent {
  version: number;
  uses: boolean;
}

export type SubdomainClaimCommand =
  | (CommandMeta & {
      kind: 'ClaimSubdomain';
      subdomain: string;
      holder: string;
      /** How people know the claimant: `deployment ann/api`. */
      resource: string;
      /** The version of the claimant's stream its write will follow. */
      holderVersion: number;
      /** The current holder, when another, as its stream is now. */
      incumbent: Incumbent | null;
    })
  | (CommandMeta & {
      kind: 'ReleaseSubdomain';
      subdomain: string;
      holder: string;
      /** The version of the holder's stream at which it stopped using the subdomain. */
      stoppedUsingAt: number;
    });

export const SUBDOMAIN_STREAM_PREFIX = 'subdomain-';

export function subdomainStreamId(subdomain: string): string {
  return `${SUBDOMAIN_STREAM_PREFIX}${subdomain}`;
}

function decide(command: SubdomainClaimCommand, state: SubdomainClaimState): SubdomainEvent[] {
  const meta = { at: command.at, actor: command.actor };
  const claimedVersion = state.holderVersion ?? -1;
  if (command.kind === 'ReleaseSubdomain') {
    const released = state.holder === command.holder && claimedVersion < command.stoppedUsingAt;
    return released ? [{ type: 'SubdomainReleased', data: { subdomain: command.subdomain, holder: command.holder }, ...meta }] : [];
  }
  if (state.holder === command.holder) {
    // Claimed already from this version or a newer one: that claim covers this write.
    if (claimedVersion >= command.holderVersion) return [];
  } else if (state.holder !== null) {
    // Without word of the incumbent, assume the worst: it uses the subdomain.
    const incumbent = command.incumbent ?? { version: claimedVersion, uses: true };
    if (incumbent.uses) {
      throw new ConflictError(`The subdomain "${command.subdomain}" is already served by ${state.resource}; set another "subdomain" (or a route's "subdomain") in the spec.`);
    }
    const writeMayFollow = incumbent.version <= claimedVersion && Date.parse(command.at) - Date.parse(state.claimedAt ?? command.at) < CLAIM_PENDING_MS;
    if (writeMayFollow) {
      throw new ConflictError(
        `The subdomain "${command.subdomain}" is being claimed by ${state.resource} right now; set another "subdomain" in the spec, or retry in a minute.`,
      );
    }
  }
  return [{ type: 'SubdomainClaimed', data: { subdomain: command.subdomain, holder: command.holder, resource: command.resource, holder_version: command.holderVersion }, ...meta }];
}

function evolve(state: SubdomainClaimState, event: SubdomainEvent): SubdomainClaimState {
  if (event.type === 'SubdomainClaimed') {
    return { holder: event.data.holder, resource: event.data.resource, holderVersion: event.data.holder_version ?? null, claimedAt: event.at };
  }
  return { holder: null, resource: null, holderVersion: null, claimedAt: null };
}

export const subdomainClaimDecider: Decider<SubdomainClaimCommand, SubdomainEvent, SubdomainClaimState> = {
  initialState: { holder: null, resource: null, holderVersion: null, claimedAt: null },
  decide,
  evolve,
};
