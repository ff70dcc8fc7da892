/**
 * Rebuilds the read models from the events: drop every recipe, catalog, token and usage view, then project the newest
 * Rebuilds the read models from the events: drop every recipe, catalog, token and principal view, then project the newest
 * batch of every stream (each batch carries the stream's snapshot, so the newest is enough;
 * run views are overwritten in place).
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import { ReadModelProjector, type ReadModelPorts } from './read-model-projector.ts';

/** The newest batch of each stream, from a scan in no particular order. */
export async function newestBatches(store: EventStore): Promise<CommittedBatch[]> {
  const newest = new Map<string, CommittedBatch>();
  for await (const batch of store.allBatches()) {
    const seen = newest.get(batch.streamId);
    if (!seen || seen.lastVersion < batch.lastVersion) newest.set(batch.streamId, batch);
  }
  return [...newest.values()];
}

export async function rebuildProjections(deps: ReadModelPorts): Promise<{ streams: number }> {
  await deps.views.clear();
  await deps.catalogViews.clear();
  await deps.tokenViews.clear();
  // The usage projector reads each stream's earlier events itself: it sees the newest batch after an empty fold.
  await deps.usageViews.clear();
  await deps.principalViews.clear();
  const projector = new ReadModelProjector(deps);
  const batches = await newestBatches(deps.store);
  for (const batch of batches) await projector.handle(batch);
  return { streams: batches.length };
}
