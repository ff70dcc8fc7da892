/**
 * The read model behind `GET /api/recipes`: one entry per live resource, written from the
 * resource stream's snapshot. Writes carry the stream version and never go backwards, so
 * redelivered or reordered batches leave it as it should be.
 */
import type { LiveResource } from '../domain/resource/resource-decider.ts';
import type { ResourceType } from '../domain/recipe/spec-schemas.ts';

export interface RecipeView {
  resource: LiveResource;
  /** The version clients see (events of this incarnation). */
  version: number;
}

export interface RecipeKey {
  type: ResourceType;
  owner: string;
  name: string;
}

export interface RecipeQuery {
  /** Owners to list (listed in name order); `all` for an admin listing everything. */
  owners: string[] | 'all';
  type?: ResourceType;
  namePrefix?: string;
  pageSize: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface RecipePage {
  views: RecipeView[];
  cursor: string | null;
}

export class InvalidCursorError extends Error {}

export interface RecipeViews {
  /** Stores the view as of `streamVersion`, unless a newer one is already there. */
  put(key: RecipeKey, view: RecipeView, streamVersion: number): Promise<void>;
  /** Marks the resource gone as of `streamVersion`, unless a newer view is already there. */
  remove(key: RecipeKey, streamVersion: number): Promise<void>;
  list(query: RecipeQuery): Promise<RecipePage>;
  /** Drops every view: the first step of a rebuild. */
  clear(): Promise<void>;
}
