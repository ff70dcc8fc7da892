/**
 * Keeps the token read model (`GET /api/tokens`) up to date from each token stream's snapshot:
 * any batch alone carries the whole token, so redelivery and reordering do no harm.
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { TokenViews } from '../../ports/token-views.ts';
import { stateAfterBatch } from './state-after-batch.ts';
import { tokenModel } from '../identity-service.ts';
import { TOKEN_STREAM_PREFIX } from '../../domain/identity/token-decider.ts';

export class TokenProjector {
  readonly name = 'token-projector';

  constructor(private readonly deps: { tokenViews: TokenViews; store: EventStore }) {}

  async handle(batch: CommittedBatch): Promise<void> {
    if (!batch.streamId.startsWith(TOKEN_STREAM_PREFIX)) return;
    const { state, version } = await stateAfterBatch(this.deps.store, tokenModel(batch.streamId.slice(TOKEN_STREAM_PREFIX.length)), batch);
    if (!state) return;
    // The views adapter copies the listed fields only: the hash stays in the event store.
    await this.deps.tokenViews.put(state, version);
  }
}
