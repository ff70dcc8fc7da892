/**
 * A subdomain's claim: which resource serves it. A resource claims each of its routes'
 * subdomains before it is created or changed, and releases them when it no longer uses them.
 *
 * A claim whose holder no longer uses the subdomain (a crash between the claim and the
 * resource's own write, or between a change and the release) is stale: the next claimant
 * takes it over. Whether the holder still uses it is read by the caller and passed in.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError } from '../errors.ts';
import type { SubdomainEvent } from '../../../events/subdomain-events.ts';

export interface SubdomainClaimState {
  holder: string | null;
  resource: string | null;
}

export type SubdomainClaimCommand =
  | (CommandMeta & {
      kind: 'ClaimSubdomain';
      subdomain: string;
      holder: string;
      /** How people know the claimant: `deployment ann/api`. */
      resource: string;
      /** Whether the current holder (if another) still serves the subdomain. */
      holderStillUsesIt: boolean;
    })
  | (CommandMeta & { kind: 'ReleaseSubdomain'; subdomain: string; holder: string });

export const SUBDOMAIN_STREAM_PREFIX = 'subdomain-';

export function subdomainStreamId(subdomain: string): string {
  return `${SUBDOMAIN_STREAM_PREFIX}${subdomain}`;
}

function decide(command: SubdomainClaimCommand, state: SubdomainClaimState): SubdomainEvent[] {
  const meta = { at: command.at, actor: command.actor };
  if (command.kind === 'ReleaseSubdomain') {
    return state.holder === command.holder ? [{ type: 'SubdomainReleased', data: { subdomain: command.subdomain, holder: command.holder }, ...meta }] : [];
  }
  if (state.holder === command.holder) return [];
  if (state.holder !== null && command.holderStillUsesIt) {
    throw new ConflictError(
      `The subdomain "${command.subdomain}" is already served by ${state.resource}; set another "subdomain" (or a route's "subdomain") in the spec.`,
    );
  }
  return [{ type: 'SubdomainClaimed', data: { subdomain: command.subdomain, holder: command.holder, resource: command.resource }, ...meta }];
}

function evolve(state: SubdomainClaimState, event: SubdomainEvent): SubdomainClaimState {
  if (event.type === 'SubdomainClaimed') return { holder: event.data.holder, resource: event.data.resource };
  return { holder: null, resource: null };
}

export const subdomainClaimDecider: Decider<SubdomainClaimCommand, SubdomainEvent, SubdomainClaimState> = {
  initialState: { holder: null, resource: null },
  decide,
  evolve,
};
