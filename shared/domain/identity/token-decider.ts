/**
 * The lifecycle of one API token: issued (with an optional expiry, a scope and the tokens it
 * was issued with), used now and then, perhaps revoked.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { TokenEvent } from '../../../events/principal-events.ts';
import type { TokenScope } from './token-scope.ts';

export interface TokenRecord {
  tokenId: string;
  username: string;
  hash: string;
  expiresAt: string | null;
  issuedAt: string;
  /** Who issued it: a username, or `system:task:<task id>`, `system:bootstrap`. */
  issuedBy: string;
  scope: TokenScope;
  /** The tokens it was issued with, oldest first, its parent last. */
  lineage: string[];
  /** The last recorded use, to TOKEN_USE_RESOLUTION_MS. */
  lastUsedAt: string | null;
  revoked: boolean;
}

export type TokenState = TokenRecord | null;

/**
 * A use is recorded at most this often per token: `last_used` is that coarse, and a token in
 * steady use costs one write per interval rather than one per request.
 */
export const TOKEN_USE_RESOLUTION_MS = 5 * 60_000;

/** How many generations a token may descend from: each one is a read when a request presents it. */
export const MAX_TOKEN_LINEAGE = 8;

export type TokenCommand =
  | (CommandMeta & { kind: 'IssueToken'; tokenId: string; username: string; hash: string; expiresAt: string | null; scope: TokenScope; lineage: string[] })
  | (CommandMeta & { kind: 'RevokeToken'; tokenId: string })
  | (CommandMeta & { kind: 'RecordTokenUse'; tokenId: string });

export const TOKEN_STREAM_PREFIX = 'token-';

export function tokenStreamId(tokenId: string): string {
  return `${TOKEN_STREAM_PREFIX}${tokenId}`;
}

function decide(command: TokenCommand, state: TokenState): TokenEvent[] {
  const meta = { at: command.at, actor: command.actor };
  switch (command.kind) {
    case 'IssueToken':
      if (state) {
        if (state.hash === command.hash && state.username === command.username) return [];
        throw new ConflictError('A token with this id already exists.');
      }
      return [
        {
          type: 'TokenIssued',
          data: { token_id: command.tokenId, username: command.username, hash: command.hash, expires_at: command.expiresAt, scope: command.scope, lineage: command.lineage },
          ...meta,
        },
      ];
    case 'RevokeToken':
      if (!state) throw new NotFoundError(`No token with id ${command.tokenId}.`);
      return state.revoked ? [] : [{ type: 'TokenRevoked', data: {}, ...meta }];
    case 'RecordTokenUse':
      if (!state || state.revoked || !useIsDue(state.lastUsedAt, command.at)) return [];
      return [{ type: 'TokenUsed', data: {}, ...meta }];
  }
}

function evolve(state: TokenState, event: TokenEvent): TokenState {
  switch (event.type) {
    case 'TokenIssued':
      return {
        tokenId: event.data.token_id,
        username: event.data.username,
        hash: event.data.hash,
        expiresAt: event.data.expires_at,
        issuedAt: event.at,
        issuedBy: event.actor,
        scope: event.data.scope,
        lineage: event.data.lineage,
        lastUsedAt: null,
        revoked: false,
      };
    case 'TokenRevoked':
      return state ? { ...state, revoked: true } : state;
    case 'TokenUsed':
      return state ? { ...state, lastUsedAt: event.at } : state;
  }
}

export const tokenDecider: Decider<TokenCommand, TokenEvent, TokenState> = { initialState: null, decide, evolve };

/** Whether a use at `at` is to be recorded, given the last one recorded. */
export function useIsDue(lastUsedAt: string | null, at: string): boolean {
  return lastUsedAt === null || Date.parse(at) - Date.parse(lastUsedAt) >= TOKEN_USE_RESOLUTION_MS;
}

/** Why a token cannot be used now, or undefined when it can. */
export function tokenRefusal(state: Pick<TokenRecord, 'revoked' | 'expiresAt'> | null, now: string): 'unknown' | 'revoked' | 'expired' | undefined {
  if (!state) return 'unknown';
  if (state.revoked) return 'revoked';
  if (state.expiresAt !== null && state.expiresAt <= now) return 'expired';
  return undefined;
}

/** A child's expiry: what was asked for, but never after its parent's. */
export function childExpiry(requested: string | null, parentExpiresAt: string | null): string | null {
  if (parentExpiresAt === null) return requested;
  if (requested === null) return parentExpiresAt;
  return requested < parentExpiresAt ? requested : parentExpiresAt;
}
