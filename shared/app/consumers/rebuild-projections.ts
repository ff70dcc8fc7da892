/**
 * Rebuilds the recipe read model from the events: drop every view, then project the newest
 * batch of every stream (each batch carries the stream's snapshot, so the newest is enough).
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { RecipeViews } from '../../ports/recipe-views.ts';
import { RecipeProjector } from './recipe-projector.ts';

/** The newest batch of each stream, from a scan in no particular order. */
export async function newestBatches(store: EventStore): Promise<CommittedBatch[]> {
  const newest = new Map<string, CommittedBatch>();
  for await (const batch of store.allBatches()) {
    const seen = newest.get(batch.streamId);
    if (!seen || seen.lastVersion < batch.lastVersion) newest.set(batch.streamId, batch);
  }
  return [...newest.values()];
}

export async function rebuildProjections(deps: { store: EventStore; views: RecipeViews }): Promise<{ streams: number }> {
  await deps.views.clear();
  const projector = new RecipeProjector(deps);
  const batches = await newestBatches(deps.store);
  for (const batch of batches) await projector.handle(batch);
  return { streams: batches.length };
}
