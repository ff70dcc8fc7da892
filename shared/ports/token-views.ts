/**
 * The read model behind `GET /api/tokens`: each user's tokens, written from each token stream's
 * snapshot. Writes carry the stream version and never go backwards, so redelivered or reordered
 * batches leave it as it should be. A view holds what a listing shows, never the token's hash.
 */
import type { TokenRecord } from '../domain/identity/token-decider.ts';

export type TokenView = Omit<TokenRecord, 'hash'>;

export interface TokenViews {
  /** Stores the token as of `streamVersion`, unless a newer view is already there. */
  put(token: TokenView, streamVersion: number): Promise<void>;
  /** The user's tokens, revoked ones included (the caller filters). */
  list(username: string): Promise<TokenView[]>;
  /** Drops every view: the first step of a rebuild. */
  clear(): Promise<void>;
}
