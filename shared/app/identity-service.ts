/**
 * Users, groups and API tokens: authenticating a request, and the admin operations of
 * `POST /api/users`, `POST /api/users/{username}/tokens` and `DELETE /api/tokens/{id}`.
 */
import type { EventStore } from '../ports/event-store.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import { loadState, runCommand, type StreamModel } from './command-runner.ts';
import { principalDecider, principalStreamId, userKey, type PrincipalCommand, type PrincipalState, type User } from '../domain/identity/principal-decider.ts';
import { tokenDecider, tokenRefusal, tokenStreamId, type TokenCommand, type TokenState } from '../domain/identity/token-decider.ts';
import { formatToken, TOKEN_BYTES, tokenHash, tokenId, tokenMatches } from '../domain/identity/api-token.ts';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../domain/errors.ts';
import type { PrincipalEvent, TokenEvent } from '../../events/principal-events.ts';

const SNAPSHOT_SCHEMA = 1;
const DAY_MS = 86_400_000;
/** Tokens expire after this many days unless the request says otherwise. */
export const DEFAULT_TOKEN_DAYS = 90;
/**
 * A task's SATURN_TOKEN is revoked when the task ends (and, for a task lost in a crash, at
 * recovery); this expiry only bounds a token whose revocation was lost, e.g. a crash between
 * issuing it and recording its id. A task running longer than this sees its token expire.
 */
export const TASK_TOKEN_DAYS = 30;

export function principalModel(name: string): StreamModel<PrincipalCommand, PrincipalEvent, PrincipalState> {
  return { streamId: principalStreamId(name), decider: principalDecider, snapshotSchema: SNAPSHOT_SCHEMA };
}

function tokenModel(id: string): StreamModel<TokenCommand, TokenEvent, TokenState> {
  return { streamId: tokenStreamId(id), decider: tokenDecider, snapshotSchema: SNAPSHOT_SCHEMA };
}

export interface IssuedToken {
  token: string;
  token_id: string;
  expires_at: string | null;
}

/** Who records the directory's users: the sign-in itself, not an admin. */
export const DIRECTORY_ACTOR = 'system:directory';

export class IdentityService {
  /** What this process last recorded per directory user, so a signed-in user's requests read nothing more. */
  private readonly synced = new Map<string, string>();

  constructor(private readonly deps: { store: EventStore; clock: Clock; random: RandomSource }) {}

  /**
   * Records a user who signed in through the directory (a verified Cognito token) as a platform
   * user, and their groups as groups: created at the first sign-in, then following the
   * directory's groups and admin role. Their platform user is what owns API tokens and what a
   * task's SATURN_TOKEN acts as. Once recorded, the same description costs no read or write in
   * this process.
   */
  async syncDirectoryUser(user: User): Promise<void> {
    const key = userKey(user);
    if (this.synced.get(user.username) === key) return;
    const meta = this.meta(DIRECTORY_ACTOR);
    for (const group of user.groups) await runCommand(this.deps.store, principalModel(group), { kind: 'EnsureGroup', name: group, ...meta });
    await runCommand(this.deps.store, principalModel(user.username), { kind: 'SyncUser', user, ...meta });
    this.synced.set(user.username, key);
  }

  /** Resolves a presented token to its user, or says why it cannot be used. */
  async authenticate(token: string): Promise<User> {
    const id = tokenId(token);
    const { state } = await loadState(this.deps.store, tokenModel(id));
    const refusal = tokenRefusal(state, this.deps.clock.now().toISOString());
    if (refusal === 'expired') throw new UnauthenticatedError('The API token has expired; ask for a new one.');
    if (refusal || !state || !tokenMatches(token, state.hash)) throw new UnauthenticatedError('The API token is not valid.');
    const user = await this.findUser(state.username);
    if (!user) throw new UnauthenticatedError('The API token is not valid.');
    return user;
  }

  async findUser(username: string): Promise<User | undefined> {
    const { state } = await loadState(this.deps.store, principalModel(username));
    return state.kind === 'user' ? state.user : undefined;
  }

  /** Whether a name is a known user or group: only those can own resources. */
  async principalExists(name: string): Promise<boolean> {
    const { state } = await loadState(this.deps.store, principalModel(name));
    return state.kind !== 'none';
  }

  async createUser(actor: User, user: User): Promise<User> {
    if (!actor.admin) throw new ForbiddenError('Only an admin can create users.');
    const meta = this.meta(actor.username);
    // Refuse before writing anything, so a refused request leaves no group behind.
    const existing = await loadState(this.deps.store, principalModel(user.username));
    principalDecider.decide({ kind: 'CreateUser', user, ...meta }, existing.state);
    for (const group of user.groups) {
      const { state } = await loadState(this.deps.store, principalModel(group));
      principalDecider.decide({ kind: 'EnsureGroup', name: group, ...meta }, state);
    }
    for (const group of user.groups) {
      await runCommand(this.deps.store, principalModel(group), { kind: 'EnsureGroup', name: group, ...meta });
    }
    const outcome = await runCommand(this.deps.store, principalModel(user.username), { kind: 'CreateUser', user, ...meta });
    return (outcome.state as Extract<PrincipalState, { kind: 'user' }>).user;
  }

  /** Issues a new token for `username`; admins may do so for anyone, users for themselves. */
  async issueToken(actor: User, username: string, expiresInDays: number | null = DEFAULT_TOKEN_DAYS): Promise<IssuedToken> {
    if (!actor.admin && actor.username !== username) throw new NotFoundError(`No user named ${username}.`);
    if (!(await this.findUser(username))) throw new NotFoundError(`No user named ${username}.`);
    return this.issue(actor.username, username, formatToken(this.deps.random.bytes(TOKEN_BYTES)), expiresInDays);
  }

  /**
   * The system path behind a task's SATURN_TOKEN: a token for `username` issued with no admin
   * behind the request (the platform starts tasks on its own), recorded as issued by
   * `system:task:<taskId>` so the audit log says which task held it.
   */
  async issueTaskToken(username: string, taskId: string, expiresInDays = TASK_TOKEN_DAYS): Promise<IssuedToken> {
    if (!(await this.findUser(username))) throw new NotFoundError(`No user named ${username}: a task token acts as a user.`);
    return this.issue(`system:task:${taskId}`, username, formatToken(this.deps.random.bytes(TOKEN_BYTES)), expiresInDays);
  }

  /** Revokes a task's token when the task ends; an unknown or revoked one is left as it is. */
  async revokeTaskToken(id: string): Promise<void> {
    const { state } = await loadState(this.deps.store, tokenModel(id));
    if (!state || state.revoked) return;
    await runCommand(this.deps.store, tokenModel(id), { kind: 'RevokeToken', tokenId: id, ...this.meta('system:tasks') });
  }

  async revokeToken(actor: User, id: string): Promise<void> {
    const { state } = await loadState(this.deps.store, tokenModel(id));
    // Someone else's token is reported missing, so token ids do not leak.
    if (!state || (!actor.admin && state.username !== actor.username)) throw new NotFoundError(`No token with id ${id}.`);
    await runCommand(this.deps.store, tokenModel(id), { kind: 'RevokeToken', tokenId: id, ...this.meta(actor.username) });
  }

  /**
   * Makes sure the `admin` user exists and holds `token` (a new random one when none is
   * given), which is returned. Safe to repeat: a crash before the caller stored the token
   * just means the next start issues another.
   */
  async bootstrapAdmin(token?: string): Promise<string> {
    const admin: User = { username: 'admin', email: null, groups: [], admin: true };
    if (!(await this.findUser('admin'))) {
      await runCommand(this.deps.store, principalModel('admin'), { kind: 'CreateUser', user: admin, ...this.meta('system:bootstrap') });
    }
    const issued = await this.issue('system:bootstrap', 'admin', token ?? formatToken(this.deps.random.bytes(TOKEN_BYTES)), null);
    return issued.token;
  }

  private async issue(actor: string, username: string, token: string, expiresInDays: number | null): Promise<IssuedToken> {
    const id = tokenId(token);
    const expiresAt = expiresInDays === null ? null : new Date(this.deps.clock.now().getTime() + expiresInDays * DAY_MS).toISOString();
    const outcome = await runCommand(this.deps.store, tokenModel(id), {
      kind: 'IssueToken',
      tokenId: id,
      username,
      hash: tokenHash(token),
      expiresAt,
      ...this.meta(actor),
    });
    return { token, token_id: id, expires_at: outcome.state?.expiresAt ?? expiresAt };
  }

  private meta(actor: string): { at: string; actor: string } {
    return { at: this.deps.clock.now().toISOString(), actor };
  }
}
