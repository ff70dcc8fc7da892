/** The lifecycle of one API token: issued (with an optional expiry), then perhaps revoked. */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { TokenEvent } from '../../../events/principal-events.ts';

export interface TokenRecord {
  tokenId: string;
  username: string;
  hash: string;
  expiresAt: string | null;
  issuedAt: string;
  revoked: boolean;
}

export type TokenState = TokenRecord | null;


export type TokenCommand =
  | (CommandMeta & { kind: 'IssueToken'; tokenId: string; username: string; hash: string; expiresAt: string | null })
  | (CommandMeta & { kind: 'RevokeToken'; tokenId: string });

export function tokenStreamId(tokenId: string): string {
  return `token-${tokenId}`;
}

function decide(command: TokenCommand, state: TokenState): TokenEvent[] {
  const meta = { at: command.at, actor: command.actor };
  switch (command.kind) {
    case 'IssueToken':
      if (state) {
        if (state.hash === command.hash && state.username === command.username) return [];
        throw new ConflictError('A token with this id already exists.');
      }
      return [{ type: 'TokenIssued', data: { token_id: command.tokenId, username: command.username, hash: command.hash, expires_at: command.expiresAt }, ...meta }];
    case 'RevokeToken':
      if (!state) throw new NotFoundError(`No token with id ${command.tokenId}.`);
      return state.revoked ? [] : [{ type: 'TokenRevoked', data: {}, ...meta }];
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
        revoked: false,
      };
    case 'TokenRevoked':
      return state ? { ...state, revoked: true } : state;
  }
}

export const tokenDecider: Decider<TokenCommand, TokenEvent, TokenState> = { initialState: null, decide, evolve };

/** Why a token cannot be used now, or undefined when it can. */
export function tokenRefusal(state: TokenState, now: string): 'unknown' | 'revoked' | 'expired' | undefined {
  if (!state) return 'unknown';
  if (state.revoked) return 'revoked';
  if (state.expiresAt !== null && state.expiresAt <= now) return 'expired';
  return undefined;
}
