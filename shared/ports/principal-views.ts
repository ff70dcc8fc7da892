/**
 * The read model behind `GET /api/users` and `GET /api/orgs/{id}/owners`: every user and group,
 * written from each principal stream's snapshot and listed in name order a page at a time.
 * Writes carry the stream version and never go backwards, so redelivered or reordered batches
 * leave it as it should be. A deleted user leaves the listing.
 */
import type { PrincipalState } from '../domain/identity/principal-decider.ts';

export type PrincipalView = Exclude<PrincipalState, { kind: 'none' }>;

export interface PrincipalPage {
  principals: PrincipalView[];
  /** The last name of this page, to pass back as `after`; null on the last page. */
  next: string | null;
}

export interface PrincipalViews {
  /** Stores the principal as of `streamVersion`, unless a newer view is already there. */
  put(principal: PrincipalView, streamVersion: number): Promise<void>;
  /** Users and groups (deleted users left out) after the name `after`, in name order. */
  list(options: { after: string | null; limit: number; kind?: 'user' | 'group' }): Promise<PrincipalPage>;
  /** Drops every view: the first step of a rebuild. */
  clear(): Promise<void>;
}
