/**
 * Keeps every route's subdomain served by one resource at most: claims before the write that
 * makes a resource use one, releases after the write that stopped it. Each claim is one read
 * and one conditional write on the subdomain's stream (plus one read of the incumbent holder's
 * stream when another holds it); racing claimants cannot both win. The rules that make this
 * hold without transactions are the claim decider's (subdomain-claim.ts): claims carry the
 * version of the holder's stream they were decided on, so callers pass the version their own
 * write will follow, read in the same attempt as the claim (ResourceService.apply).
 */
import type { EventStore } from '../ports/event-store.ts';
import { loadState, runCommand, type LoadedStream, type StreamModel } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import {
  subdomainClaimDecider,
  subdomainStreamId,
  type Incumbent,
  type SubdomainClaimCommand,
  type SubdomainClaimState,
} from '../domain/resource/subdomain-claim.ts';
import { serviceRoutes } from '../domain/planner/service-routes.ts';
import type { RoutedResource } from '../domain/planner/service-routes.ts';
import type { SubdomainEvent } from '../../events/subdomain-events.ts';
import { isSubdomainEvent } from '../../events/event-versions.ts';

/** Bump when SubdomainClaimState changes shape (2: the holder's version and the claim's time). */
const SNAPSHOT_SCHEMA = 2;

export function claimModel(subdomain: string): StreamModel<SubdomainClaimCommand, SubdomainEvent, SubdomainClaimState> {
  return { streamId: subdomainStreamId(subdomain), decider: subdomainClaimDecider, snapshotSchema: SNAPSHOT_SCHEMA, isEvent: isSubdomainEvent };
}

/** The subdomains a resource's routes use; none for jobs. */
export function subdomainsOf(resource: RoutedResource | null | undefined): string[] {
  return resource ? serviceRoutes(resource).map((r) => r.subdomain) : [];
}

/** Who claims: the resource stream, how people know it, and the version of its stream its write will follow. */
export interface Claimant {
  holder: string;
  resource: string;
  holderVersion: number;
}

export class SubdomainClaims {
  constructor(private readonly store: EventStore) {}

  /**
   * Claims each subdomain for the claimant, or throws ConflictError naming who serves it.
   * Every claim is decided before any is written, so a refusal changes nothing unless a racing
   * claimant gets in between; a claim left behind then is never followed by its holder's write,
   * and lapses (CLAIM_PENDING_MS). It is not released here: a racing apply of the same
   * resource may rely on it.
   */
  async claim(subdomains: string[], claimant: Claimant, meta: { at: string; actor: string }): Promise<void> {
    const decided = [];
    for (const subdomain of subdomains) {
      const model = claimModel(subdomain);
      const loaded = await loadState(this.store, model);
      const command = await this.claimCommand(loaded, subdomain, claimant, meta);
      model.decider.decide(command, loaded.state);
      decided.push({ model, loaded, command });
    }
    for (const { model, loaded, command } of decided) {
      // A lost race on the claim stream decides again on what won it, the incumbent read anew.
      await runCommand(this.store, model, async (fresh) => (fresh === loaded ? command : this.claimCommand(fresh, command.subdomain, claimant, meta)), { loaded });
    }
  }

  /** Releases the subdomains the holder stopped using with its write of version `stoppedUsingAt`. */
  async release(subdomains: string[], holder: string, stoppedUsingAt: number, meta: { at: string; actor: string }): Promise<void> {
    for (const subdomain of subdomains) {
      await runCommand(this.store, claimModel(subdomain), { kind: 'ReleaseSubdomain', subdomain, holder, stoppedUsingAt, ...meta });
    }
  }

  private async claimCommand(
    loaded: LoadedStream<SubdomainClaimState>,
    subdomain: string,
    claimant: Claimant,
    meta: { at: string; actor: string },
  ): Promise<Extract<SubdomainClaimCommand, { kind: 'ClaimSubdomain' }>> {
    const current = loaded.state.holder;
    const incumbent = current !== null && current !== claimant.holder ? await this.incumbent(current, subdomain) : null;
    return { kind: 'ClaimSubdomain', subdomain, ...claimant, incumbent, ...meta };
  }

  private async incumbent(holder: string, subdomain: string): Promise<Incumbent> {
    const { head, state } = await loadState(this.store, resourceModel(holder));
    return { version: head.version, uses: subdomainsOf(state.live).includes(subdomain) };
  }
}
