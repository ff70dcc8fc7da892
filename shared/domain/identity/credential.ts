/** How a request proved who it is, beside the user it resolved to. */
import type { User } from './principal-decider.ts';
import type { TokenScope } from './token-scope.ts';

export type Credential =
  /** A platform API token: a token it issues descends from it (expires no later, dies with it). */
  | { kind: 'token'; tokenId: string; scope: TokenScope; expiresAt: string | null; lineage: string[]; lastUsedAt: string | null }
  /** A Cognito JWT the directory signed: a full sign-in, with no platform token behind it. */
  | { kind: 'directory' };

export interface Caller {
  /** Who the request acts as; a task token's user never has admin powers, whatever the user has. */
  user: User;
  credential: Credential;
}

export function scopeOf(credential: Credential): TokenScope {
  return credential.kind === 'token' ? credential.scope : 'user';
}
