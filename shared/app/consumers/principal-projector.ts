/**
 * Keeps the principal read model (`GET /api/users`, the organization's owners) up to date from
 * each principal stream's snapshot: any batch alone carries the whole user or group, so
 * redelivery and reordering do no harm.
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { PrincipalViews } from '../../ports/principal-views.ts';
import { stateAfterBatch } from './state-after-batch.ts';
import { principalModel } from '../identity-service.ts';
import { PRINCIPAL_STREAM_PREFIX } from '../../domain/identity/principal-decider.ts';

export class PrincipalProjector {
  readonly name = 'principal-projector';

  constructor(private readonly deps: { principalViews: PrincipalViews; store: EventStore }) {}

  async handle(batch: CommittedBatch): Promise<void> {
    if (!batch.streamId.startsWith(PRINCIPAL_STREAM_PREFIX)) return;
    const { state, version } = await stateAfterBatch(this.deps.store, principalModel(batch.streamId.slice(PRINCIPAL_STREAM_PREFIX.length)), batch);
    if (state.kind === 'none') return;
    await this.deps.principalViews.put(state, version);
  }
}
