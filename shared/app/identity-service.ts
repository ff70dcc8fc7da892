/**
 * Users, groups and API tokens: authenticating a request, and the operations of
 * `POST /api/users`, `POST /api/users/{username}/tokens`, `GET /api/tokens` and
 * `DELETE /api/tokens/{id}`.
 */
import type { EventStore } from '../ports/event-store.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import { loadState, runCommand, type StreamModel } from './command-runner.ts';
import { principalDecider, principalStreamId, syncedUser, userKey, type PrincipalCommand, type PrincipalState, type User } from '../domain/identity/principal-decider.ts';
import {
  childExpiry,
  MAX_TOKEN_LINEAGE,
  tokenDecider,
  tokenRefusal,
  tokenStreamId,
  useIsDue,
  TOKEN_USE_RESOLUTION_MS,
  type TokenCommand,
  type TokenState,
} from '../domain/identity/token-decider.ts';
import type { TokenScope } from '../domain/identity/token-scope.ts';
import type { Caller, Credential } from '../domain/identity/credential.ts';
import type { TokenViews } from '../ports/token-views.ts';
import type { PrincipalPage, PrincipalViews } from '../ports/principal-views.ts';
import type { StreamStateCache } from './stream-state-cache.ts';
import { ResolvedCallers } from './resolved-callers.ts';
import { formatToken, TOKEN_BYTES, tokenHash, tokenId, tokenMatches } from '../domain/identity/api-token.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../domain/errors.ts';
import type { PrincipalEvent, TokenEvent } from '../../events/principal-events.ts';
import { isPrincipalEvent, isTokenEvent } from '../../events/event-versions.ts';

/** 2: users gained full_name and locked, and a deleted user's name a state of its own. */
const SNAPSHOT_SCHEMA = 2;
/** 2: token records gained scope, lineage, issuer and last use. */
const TOKEN_SNAPSHOT_SCHEMA = 2;
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
  return { streamId: principalStreamId(name), decider: principalDecider, snapshotSchema: SNAPSHOT_SCHEMA, isEvent: isPrincipalEvent };
}

export function tokenModel(id: string): StreamModel<TokenCommand, TokenEvent, TokenState> {
  return { streamId: tokenStreamId(id), decider: tokenDecider, snapshotSchema: TOKEN_SNAPSHOT_SCHEMA, isEvent: isTokenEvent };
}

export interface IssuedToken {
  token: string;
  token_id: string;
  expires_at: string | null;
}

/** One of a user's tokens as `GET /api/tokens` shows it: never the token or its hash. */
export interface TokenSummary {
  id: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  scope: TokenScope;
  origin: { issued_by: string; parent_token_id: string | null };
}

/** Who records the directory's users: the sign-in itself, not an admin. */
export const DIRECTORY_ACTOR = 'system:directory';

export class IdentityService {
  /** Tokens already resolved, where the cache sees every append; otherwise every request resolves its token. */
  readonly #resolved: ResolvedCallers | undefined;

  constructor(
    private readonly deps: {
      store: EventStore;
      clock: Clock;
      random: RandomSource;
      tokenViews?: TokenViews;
      principalViews?: PrincipalViews;
      /** What a user still owns (resources, catalog objects), named for a person: a user who owns anything is not deleted. */
      holdingsOf?: (username: string) => Promise<string[]>;
      /** Tokens and users held in memory (stream-state-cache.ts); `store` must then be `cache.watching(...)` of the process's store. */
      cache?: StreamStateCache;
    },
  ) {
    this.#resolved = deps.cache?.seesEveryAppend ? new ResolvedCallers(deps.cache) : undefined;
  }

  /**
   * Records a user who signed in through the directory (a verified Cognito token) as a platform
   * user, and their groups as groups: created at the first sign-in, then following the
   * directory's groups and admin role. Their platform user is what owns API tokens and what a
   * task's SATURN_TOKEN acts as. Each request reads the user once (an admin may have locked or
   * deleted them since, which refuses the request) and writes only what changed.
   */
  async syncDirectoryUser(user: User): Promise<void> {
    const loaded = await loadState(this.deps.store, principalModel(user.username));
    if (loaded.state.kind === 'deleted') throw new UnauthenticatedError('This user was deleted; ask an admin.');
    const recorded = loaded.state.kind === 'user' ? loaded.state.user : undefined;
    if (recorded?.locked) throw lockedError();
    if (recorded && userKey(syncedUser(recorded, user)) === userKey(recorded)) return;
    const meta = this.meta(DIRECTORY_ACTOR);
    for (const group of user.groups) await runCommand(this.deps.store, principalModel(group), { kind: 'EnsureGroup', name: group, ...meta });
    await runCommand(this.deps.store, principalModel(user.username), { kind: 'SyncUser', user, ...meta }, { loaded });
  }

  /**
   * Resolves a presented token to its caller, or says why it cannot be used. A token dies with
   * every token it was issued with, so each of those is read too (in parallel; at most
   * MAX_TOKEN_LINEAGE). A task token's caller has no admin powers, whatever its user has.
   */
  /** The caller a token seen before resolved to, while nothing it came from has changed (`ResolvedCallers`); no read, no await. */
  rememberedCaller(token: string): Caller | undefined {
    return this.#resolved?.get(token, this.deps.clock.now().getTime());
  }

  async authenticate(token: string): Promise<Caller> {
    const nowDate = this.deps.clock.now();
    const remembered = this.#resolved?.get(token, nowDate.getTime());
    if (remembered !== undefined) return remembered;
    const generation = this.deps.cache?.generation ?? 0;
    const id = tokenId(token);
    const state = await this.current(tokenModel(id));
    const now = nowDate.toISOString();
    const refusal = tokenRefusal(state, now);
    if (refusal === 'expired') throw new UnauthenticatedError('The API token has expired; ask for a new one.');
    if (refusal || !state || !tokenMatches(token, state.hash)) throw new UnauthenticatedError('The API token is not valid.');
    const [user, ancestors] = await Promise.all([
      this.findUser(state.username),
      Promise.all(state.lineage.map((ancestor) => this.current(tokenModel(ancestor)))),
    ]);
    if (ancestors.some((ancestor) => tokenRefusal(ancestor, now) !== undefined)) {
      throw new UnauthenticatedError('The API token is not valid: the token it was issued with was revoked or has expired.');
    }
    if (!user) throw new UnauthenticatedError('The API token is not valid.');
    if (user.locked) throw lockedError();
    const credential: Credential = { kind: 'token', tokenId: id, scope: state.scope, expiresAt: state.expiresAt, lineage: state.lineage, lastUsedAt: state.lastUsedAt };
    const caller = { user: state.scope === 'task' ? { ...user, admin: false } : user, credential };
    this.#resolved?.remember(token, caller, generation, recheckAtMs([state, ...ancestors], state.lastUsedAt));
    return caller;
  }

  /**
   * Records that a request with this token succeeded, at most once per TOKEN_USE_RESOLUTION_MS:
   * the credential says when the last use was recorded, so a use not yet due costs nothing. The
   * API calls it once a request has succeeded, so a refused request records nothing.
   */
  async recordTokenUse(credential: Credential): Promise<void> {
    if (credential.kind !== 'token') return;
    const at = this.deps.clock.now().toISOString();
    if (!useIsDue(credential.lastUsedAt, at)) return;
    const command: TokenCommand = { kind: 'RecordTokenUse', tokenId: credential.tokenId, at, actor: `token:${credential.tokenId}` };
    try {
      await runCommand(this.deps.store, tokenModel(credential.tokenId), command, { maxAttempts: 1 });
    } catch (error) {
      // Another request recorded a use (or a revocation) first: either way nothing is lost.
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  async findUser(username: string): Promise<User | undefined> {
    const state = await this.current(principalModel(username));
    return state.kind === 'user' ? state.user : undefined;
  }

  /** A stream's state, from the cache when there is one: what every request reads goes through here. */
  private async current<S>(model: StreamModel<unknown, PrincipalEvent | TokenEvent, S>): Promise<S> {
    return this.deps.cache ? this.deps.cache.load(this.deps.store, model) : (await loadState(this.deps.store, model)).state;
  }

  /** Whether a name is a known user or group: only those can own resources (a deleted user's name no longer can). */
  async principalExists(name: string): Promise<boolean> {
    const { state } = await loadState(this.deps.store, principalModel(name));
    return state.kind === 'user' || state.kind === 'group';
  }

  /** A page of users, or of groups, in name order (admin only). */
  async listPrincipals(actor: User, options: { after: string | null; limit: number; kind?: 'user' | 'group' }): Promise<PrincipalPage> {
    if (!actor.admin) throw new ForbiddenError('Only an admin can list users and groups.');
    if (!this.deps.principalViews) throw new Error('listing users needs the principal views');
    return this.deps.principalViews.list(options);
  }

  /** One user: an admin may read anyone, a user themselves; anyone else reads as missing. */
  async getUser(actor: User, username: string): Promise<User> {
    const user = actor.admin || actor.username === username ? await this.findUser(username) : undefined;
    if (!user) throw new NotFoundError(`No user named ${username}.`);
    return user;
  }

  /**
   * An admin's change to a user (`PATCH /api/users/{id}`): `change` gives the user as it is to
   * be from the user as it is. Locking takes effect at the user's next request, whatever token
   * or session it comes with; an admin cannot lock themselves out, nor drop their own admin role.
   */
  async updateUser(actor: User, username: string, change: (user: User) => User): Promise<User> {
    if (!actor.admin) throw new ForbiddenError('Only an admin can change users.');
    const loaded = await loadState(this.deps.store, principalModel(username));
    if (loaded.state.kind !== 'user') throw new NotFoundError(`No user named ${username}.`);
    const user = change(loaded.state.user);
    if (username === actor.username && (user.locked || !user.admin)) {
      throw new ConflictError('You cannot lock yourself or drop your own admin role; ask another admin.');
    }
    for (const group of user.groups) {
      await runCommand(this.deps.store, principalModel(group), { kind: 'EnsureGroup', name: group, ...this.meta(actor.username) });
    }
    const outcome = await runCommand(this.deps.store, principalModel(username), { kind: 'UpdateUser', user, ...this.meta(actor.username) }, { loaded });
    return (outcome.state as Extract<PrincipalState, { kind: 'user' }>).user;
  }

  /**
   * Deletes a user (admin only): refused with a conflict while the user owns anything, so that
   * nothing is stopped or orphaned silently; otherwise every token of theirs is revoked and the
   * name stays taken. An admin cannot delete themselves.
   */
  async deleteUser(actor: User, username: string): Promise<void> {
    if (!actor.admin) throw new ForbiddenError('Only an admin can delete users.');
    if (username === actor.username) throw new ConflictError('You cannot delete yourself; ask another admin.');
    const loaded = await loadState(this.deps.store, principalModel(username));
    if (loaded.state.kind === 'deleted') return;
    if (loaded.state.kind !== 'user') throw new NotFoundError(`No user named ${username}.`);
    const holdings = (await this.deps.holdingsOf?.(username)) ?? [];
    if (holdings.length > 0) {
      throw new ConflictError(`${username} still owns ${holdings.join(', ')}: delete those (or have an admin re-create them under another owner) first.`);
    }
    await runCommand(this.deps.store, principalModel(username), { kind: 'DeleteUser', name: username, ...this.meta(actor.username) }, { loaded });
    // A token of a deleted user no longer authenticates (its user is gone); revoking says so in each token's own audit log too.
    for (const token of (await this.deps.tokenViews?.list(username)) ?? []) {
      if (!token.revoked) await runCommand(this.deps.store, tokenModel(token.tokenId), { kind: 'RevokeToken', tokenId: token.tokenId, ...this.meta(actor.username) });
    }
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

  /**
   * Issues a new token for `username`; admins may do so for anyone, users for themselves. A
   * token issued by a request that presented a token (`credential`) descends from it: it
   * expires no later and dies with it; only a directory sign-in issues a root. Task tokens
   * never get here (token-scope.ts), and are refused again here.
   */
  async issueToken(actor: User, credential: Credential, username: string, expiresInDays: number | null = DEFAULT_TOKEN_DAYS): Promise<IssuedToken> {
    if (credential.kind === 'token' && credential.scope !== 'user') throw new ForbiddenError('A task token (token_scope "task") cannot issue tokens.');
    if (!actor.admin && actor.username !== username) throw new NotFoundError(`No user named ${username}.`);
    if (!(await this.findUser(username))) throw new NotFoundError(`No user named ${username}.`);
    const requested = this.expiryIn(expiresInDays);
    if (credential.kind === 'directory') return this.issue(actor.username, username, this.newToken(), { expiresAt: requested, scope: 'user', lineage: [] });
    const lineage = [...credential.lineage, credential.tokenId];
    if (lineage.length > MAX_TOKEN_LINEAGE) {
      throw new ForbiddenError(`A token may descend from at most ${MAX_TOKEN_LINEAGE} others; issue this one with an older token or after signing in.`);
    }
    return this.issue(actor.username, username, this.newToken(), { expiresAt: childExpiry(requested, credential.expiresAt), scope: 'user', lineage });
  }

  /**
   * The caller's own tokens that can still be used, newest first: none of them, nor any token
   * they descend from, is revoked or expired. Never the token or its hash.
   */
  async listTokens(actor: User): Promise<TokenSummary[]> {
    if (!this.deps.tokenViews) throw new Error('listing tokens needs the token views');
    const now = this.deps.clock.now().toISOString();
    const tokens = (await this.deps.tokenViews.list(actor.username)).filter((token) => tokenRefusal(token, now) === undefined);
    const ancestorIds = [...new Set(tokens.flatMap((token) => token.lineage))];
    const ancestors = new Map(await Promise.all(ancestorIds.map(async (id) => [id, (await loadState(this.deps.store, tokenModel(id))).state] as const)));
    return tokens
      .filter((token) => token.lineage.every((id) => tokenRefusal(ancestors.get(id) ?? null, now) === undefined))
      .sort((a, b) => b.issuedAt.localeCompare(a.issuedAt) || a.tokenId.localeCompare(b.tokenId))
      .map((token) => ({
        id: token.tokenId,
        created_at: token.issuedAt,
        expires_at: token.expiresAt,
        last_used_at: token.lastUsedAt,
        scope: token.scope,
        origin: { issued_by: token.issuedBy, parent_token_id: token.lineage.at(-1) ?? null },
      }));
  }

  /**
   * The system path behind a task's SATURN_TOKEN: a token for `username` issued with no admin
   * behind the request (the platform starts tasks on its own), recorded as issued by
   * `system:task:<taskId>` so the audit log says which task held it.
   */
  async issueTaskToken(username: string, taskId: string, expiresInDays = TASK_TOKEN_DAYS): Promise<IssuedToken> {
    if (!(await this.findUser(username))) throw new NotFoundError(`No user named ${username}: a task token acts as a user.`);
    return this.issue(`system:task:${taskId}`, username, this.newToken(), { expiresAt: this.expiryIn(expiresInDays), scope: 'task', lineage: [] });
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
    const issued = await this.issue('system:bootstrap', 'admin', token ?? this.newToken(), { expiresAt: null, scope: 'user', lineage: [] });
    return issued.token;
  }

  private async issue(actor: string, username: string, token: string, grant: { expiresAt: string | null; scope: TokenScope; lineage: string[] }): Promise<IssuedToken> {
    const id = tokenId(token);
    const outcome = await runCommand(this.deps.store, tokenModel(id), { kind: 'IssueToken', tokenId: id, username, hash: tokenHash(token), ...grant, ...this.meta(actor) });
    return { token, token_id: id, expires_at: outcome.state?.expiresAt ?? grant.expiresAt };
  }

  private newToken(): string {
    return formatToken(this.deps.random.bytes(TOKEN_BYTES));
  }

  private expiryIn(days: number | null): string | null {
    return days === null ? null : new Date(this.deps.clock.now().getTime() + days * DAY_MS).toISOString();
  }

  private meta(actor: string): { at: string; actor: string } {
    return { at: this.deps.clock.now().toISOString(), actor };
  }
}

/**
 * When a resolved token must be checked again: the first expiry among it and the tokens it
 * descends from, or when its next use is due to be recorded (`useIsDue`), whichever comes first.
 */
function recheckAtMs(lineage: Array<{ expiresAt: string | null } | null>, lastUsedAt: string | null): number {
  let untilMs = lastUsedAt === null ? Number.NEGATIVE_INFINITY : Date.parse(lastUsedAt) + TOKEN_USE_RESOLUTION_MS;
  for (const token of lineage) if (token?.expiresAt) untilMs = Math.min(untilMs, Date.parse(token.expiresAt));
  return untilMs;
}

function lockedError(): UnauthenticatedError {
  return new UnauthenticatedError('This user is locked; ask an admin to unlock it.');
}
