/** Binds the catalog decider to an object's stream and snapshot schema. */
import type { StreamModel } from './command-runner.ts';
import { catalogDecider, type CatalogCommand, type CatalogState } from '../domain/catalog/catalog-decider.ts';
import { catalogStreamId, type CatalogKey } from '../domain/catalog/catalog-object.ts';
import type { CatalogObjectEvent } from '../../events/catalog-object-events.ts';
import { isCatalogObjectEvent } from '../../events/event-versions.ts';

/** Bump when CatalogState changes shape. */
export const CATALOG_SNAPSHOT_SCHEMA = 1;

export function catalogModel(key: CatalogKey | string): StreamModel<CatalogCommand, CatalogObjectEvent, CatalogState> {
  return { streamId: typeof key === 'string' ? key : catalogStreamId(key), decider: catalogDecider, snapshotSchema: CATALOG_SNAPSHOT_SCHEMA, isEvent: isCatalogObjectEvent };
}
