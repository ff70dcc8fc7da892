/**
 * The state of a stream as of a committed batch, for projectors: the batch's own snapshot when
 * it has the model's current shape, else the stream rebuilt from its events (then as of its
 * latest version, which only moves a view forward).
 */
import type { DomainEvent } from '../../../events/envelope.ts';
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import { loadState, type StreamModel } from '../command-runner.ts';

export async function stateAfterBatch<C, E extends DomainEvent, S>(store: EventStore, model: StreamModel<C, E, S>, batch: CommittedBatch): Promise<{ state: S; version: number }> {
  if (batch.snapshot.schema === model.snapshotSchema) return { state: batch.snapshot.state as S, version: batch.lastVersion };
  const loaded = await loadState(store, model);
  return { state: loaded.state, version: loaded.head.version };
}
