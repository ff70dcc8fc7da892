/**
 * Keeps the catalog read model up to date from each catalog stream's snapshot, like the recipe
 * projector: any batch alone carries everything the view needs, so redelivery and reordering
 * do no harm. A deleted object's view is removed; its snapshot no longer says what it was, so
 * the key comes from the stream id.
 */
import type { CommittedBatch, EventStore } from '../../ports/event-store.ts';
import type { CatalogViews } from '../../ports/catalog-views.ts';
import { stateAfterBatch } from './state-after-batch.ts';
import { catalogModel } from '../catalog-model.ts';
import { CATALOG_KINDS, CATALOG_STREAM_PREFIX, PLATFORM_WIDE_KINDS, type CatalogKey } from '../../domain/catalog/catalog-object.ts';

/** Reads `catalog-<kind>-<owner>/<name>` or `catalog-<kind>-<name>` back into a key. */
export function catalogKeyOf(streamId: string): CatalogKey | undefined {
  if (!streamId.startsWith(CATALOG_STREAM_PREFIX)) return undefined;
  const rest = streamId.slice(CATALOG_STREAM_PREFIX.length);
  const kind = CATALOG_KINDS.find((k) => rest.startsWith(`${k}-`));
  if (!kind) return undefined;
  const path = rest.slice(kind.length + 1);
  if (PLATFORM_WIDE_KINDS.has(kind)) return { kind, owner: '', name: path };
  const slash = path.indexOf('/');
  return slash < 0 ? undefined : { kind, owner: path.slice(0, slash), name: path.slice(slash + 1) };
}

export class CatalogProjector {
  readonly name = 'catalog-projector';

  constructor(private readonly deps: { catalogViews: CatalogViews; store: EventStore }) {}

  async handle(batch: CommittedBatch): Promise<void> {
    const key = catalogKeyOf(batch.streamId);
    if (!key) return;
    const { state, version } = await stateAfterBatch(this.deps.store, catalogModel(batch.streamId), batch);
    if (state.object) await this.deps.catalogViews.put(state.object, version);
    else await this.deps.catalogViews.remove(key, version);
  }
}
