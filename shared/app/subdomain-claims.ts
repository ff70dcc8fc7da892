/**
 * Keeps every route's subdomain served by one resource at most: claims before a resource is
 * created or changed, releases after it stops using one. Each claim is one read and one
 * conditional write on the subdomain's stream; racing claimants cannot both win.
 */
import type { EventStore } from '../ports/event-store.ts';
import { loadState, runCommand, type StreamModel } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import {
  subdomainClaimDecider,
  subdomainStreamId,
  SUBDOMAIN_STREAM_PREFIX,
  type SubdomainClaimCommand,
  type SubdomainClaimState,
} from '../domain/resource/subdomain-claim.ts';
import { serviceRoutes } from '../domain/planner/service-routes.ts';
import type { LiveResource } from '../domain/resource/resource-decider.ts';
import type { SubdomainEvent } from '../../events/subdomain-events.ts';

const SNAPSHOT_SCHEMA = 1;

function claimModel(subdomain: string): StreamModel<SubdomainClaimCommand, SubdomainEvent, SubdomainClaimState> {
  return { streamId: subdomainStreamId(subdomain), decider: subdomainClaimDecider, snapshotSchema: SNAPSHOT_SCHEMA };
}

/** The subdomains a resource's routes use; none for jobs. */
export function subdomainsOf(resource: Pick<LiveResource, 'type' | 'name' | 'owner' | 'spec'> | null | undefined): string[] {
  return resource ? serviceRoutes(resource).map((r) => r.subdomain) : [];
}

export class SubdomainClaims {
  constructor(private readonly store: EventStore) {}

  /**
   * Claims each subdomain for `holder` (a resource stream), or throws ConflictError naming who
   * serves it. Every claim is checked before any is written, so a refusal changes nothing; a
   * claim lost to a racing claimant releases the ones this call made.
   */
  async claim(subdomains: string[], holder: string, resource: string, meta: { at: string; actor: string }): Promise<void> {
    const decided = [];
    for (const subdomain of subdomains) {
      const model = claimModel(subdomain);
      const loaded = await loadState(this.store, model);
      const current = loaded.state.holder;
      const holderStillUsesIt = current !== null && current !== holder && (await this.stillUses(current, subdomain));
      const command: SubdomainClaimCommand = { kind: 'ClaimSubdomain', subdomain, holder, resource, holderStillUsesIt, ...meta };
      model.decider.decide(command, loaded.state);
      decided.push({ model, command, loaded });
    }
    const claimed: string[] = [];
    try {
      for (const { model, command, loaded } of decided) {
        await runCommand(this.store, model, command, { loaded });
        claimed.push(model.streamId.slice(SUBDOMAIN_STREAM_PREFIX.length));
      }
    } catch (error) {
      await this.release(claimed, holder, meta);
      throw error;
    }
  }

  async release(subdomains: string[], holder: string, meta: { at: string; actor: string }): Promise<void> {
    for (const subdomain of subdomains) {
      await runCommand(this.store, claimModel(subdomain), { kind: 'ReleaseSubdomain', subdomain, holder, ...meta });
    }
  }

  private async stillUses(holder: string, subdomain: string): Promise<boolean> {
    const { state } = await loadState(this.store, resourceModel(holder));
    return subdomainsOf(state.live).includes(subdomain);
  }
}
