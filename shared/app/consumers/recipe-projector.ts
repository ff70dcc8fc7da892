/**
 * Keeps the recipe read model up to date. It projects a resource stream's snapshot rather
 * than folding events, so any batch alone carries everything the view needs: the projector is
 * idempotent under redelivery and indifferent to order (the view store keeps the newest).
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { RecipeViews } from '../../ports/recipe-views.ts';
import { loadState } from '../command-runner.ts';
import { resourceModel, RESOURCE_STREAM_PREFIX } from '../resource-model.ts';
import { resourceVersion, type ResourceState } from '../../domain/resource/resource-decider.ts';

export class RecipeProjector {
  readonly name = 'recipe-projector';

  constructor(private readonly deps: { views: RecipeViews; store: EventStore }) {}

  async handle(batch: CommittedBatch): Promise<void> {
    if (!batch.streamId.startsWith(RESOURCE_STREAM_PREFIX)) return;
    const model = resourceModel(batch.streamId);
    const state =
      batch.snapshot.schema === model.snapshotSchema
        ? (batch.snapshot.state as ResourceState)
        : // A snapshot from an older state shape: rebuild the current state from the events.
          (await loadState(this.deps.store, model)).state;
    await this.project(state);
  }

  async project(state: ResourceState): Promise<void> {
    if (!state.address) return;
    if (state.live) {
      await this.deps.views.put(state.address, { resource: state.live, version: resourceVersion(state) }, state.streamVersion);
    } else {
      await this.deps.views.remove(state.address, state.streamVersion);
    }
  }
}
