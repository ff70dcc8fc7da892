/**
 * The read model behind the catalog listings (`GET /api/secrets`, ...): one entry per live
 * catalog object, written from its stream's snapshot. Writes carry the stream version and never
 * go backwards, so redelivered or reordered batches leave it as it should be.
 */
import type { CatalogKey, CatalogKind, CatalogObject } from '../domain/catalog/catalog-object.ts';

export interface CatalogViews {
  /** Stores the object as of `streamVersion`, unless a newer view is already there. */
  put(object: CatalogObject, streamVersion: number): Promise<void>;
  /** Marks the object gone as of `streamVersion`, unless a newer view is already there. */
  remove(key: CatalogKey, streamVersion: number): Promise<void>;
  /** Every live object of a kind, by owner and name. Catalogs are small: no paging. */
  list(kind: CatalogKind): Promise<CatalogObject[]>;
  /** Drops every view: the first step of a rebuild. */
  clear(): Promise<void>;
}
