/**
 * Users and groups. They share one namespace because a resource's owner may be either, so
 * each name is one `principal-<name>` stream: creating a user whose name a group holds (or
 * the reverse) is a conflict on that stream.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { PrincipalEvent } from '../../../events/principal-events.ts';

export interface User {
  username: string;
  email: string | null;
  groups: string[];
  admin: boolean;
  /** Saturn's `full_name`; absent on users recorded before it existed. */
  full_name?: string | null;
  /** A locked user's tokens and sessions are refused until an admin unlocks them (`PATCH /api/users/{id}`). */
  locked?: boolean;
}

/**
 * `deleted` keeps the name taken: a new user of the same name would otherwise inherit whatever
 * still names the old one (group memberships on record, the audit log's actor, IAM role grants).
 */
export type PrincipalState = { kind: 'none' } | { kind: 'group'; name: string } | { kind: 'user'; user: User } | { kind: 'deleted'; name: string };


export type PrincipalCommand =
  | (CommandMeta & { kind: 'CreateUser'; user: User })
  | (CommandMeta & { kind: 'EnsureGroup'; name: string })
  /**
   * The sign-in directory's view of a user who signed in (Cognito on AWS): creates the user the
   * first time, and afterwards follows the directory's groups and admin role. An unknown e-mail
   * (null: access tokens carry none) keeps the one on record.
   */
  | (CommandMeta & { kind: 'SyncUser'; user: User })
  /** An admin's change to a user (`PATCH /api/users/{id}`): the whole user as it is to be. */
  | (CommandMeta & { kind: 'UpdateUser'; user: User })
  | (CommandMeta & { kind: 'DeleteUser'; name: string });

/**
 * The user as the directory now describes them, given what is on record. The directory knows
 * nothing of the platform's own fields (a lock, the full name): those stay as recorded, so
 * signing in again never unlocks a locked user.
 */
export function syncedUser(recorded: User | undefined, directory: User): User {
  return {
    username: directory.username,
    email: directory.email ?? recorded?.email ?? null,
    groups: [...new Set(directory.groups)].sort(),
    admin: directory.admin,
    ...(recorded?.full_name !== undefined && recorded.full_name !== null ? { full_name: recorded.full_name } : {}),
    ...(recorded?.locked ? { locked: true } : {}),
  };
}

/** A user's description as one string, the same whatever the order of its groups. */
export function userKey(u: User): string {
  return JSON.stringify({ username: u.username, email: u.email, groups: [...u.groups].sort(), admin: u.admin, full_name: u.full_name ?? null, locked: u.locked ?? false });
}

export const PRINCIPAL_STREAM_PREFIX = 'principal-';

export function principalStreamId(name: string): string {
  return `${PRINCIPAL_STREAM_PREFIX}${name}`;
}

function decide(command: PrincipalCommand, state: PrincipalState): PrincipalEvent[] {
  const meta = { at: command.at, actor: command.actor };
  switch (command.kind) {
    case 'CreateUser':
      if (state.kind === 'user') {
        const { user } = state;
        // The same request again (a client retry) changes nothing.
        if (JSON.stringify(user) === JSON.stringify(command.user)) return [];
        throw new ConflictError(`User ${command.user.username} already exists.`);
      }
      if (state.kind === 'group') throw new ConflictError(`${command.user.username} is a group name; users and groups share one namespace.`);
      if (state.kind === 'deleted') throw new ConflictError(deletedName(command.user.username));
      return [{ type: 'UserCreated', data: { ...command.user }, ...meta }];
    case 'SyncUser': {
      if (state.kind === 'group') throw new ConflictError(`${command.user.username} signed in, but that name is a group's in Cassini; users and groups share one namespace.`);
      if (state.kind === 'deleted') throw new ConflictError(deletedName(command.user.username));
      const recorded = state.kind === 'user' ? state.user : undefined;
      const user = syncedUser(recorded, command.user);
      if (!recorded) return [{ type: 'UserCreated', data: user, ...meta }];
      return userKey(recorded) === userKey(user) ? [] : [{ type: 'UserUpdated', data: user, ...meta }];
    }
    case 'EnsureGroup':
      if (state.kind === 'group') return [];
      if (state.kind === 'user') throw new ConflictError(`${command.name} is a user, so it cannot be used as a group.`);
      if (state.kind === 'deleted') throw new ConflictError(deletedName(command.name));
      return [{ type: 'GroupCreated', data: { name: command.name }, ...meta }];
    case 'UpdateUser': {
      if (state.kind !== 'user') throw new NotFoundError(`No user named ${command.user.username}.`);
      const user = { ...command.user, groups: [...new Set(command.user.groups)].sort() };
      return userKey(state.user) === userKey(user) ? [] : [{ type: 'UserUpdated', data: user, ...meta }];
    }
    case 'DeleteUser':
      if (state.kind === 'deleted') return [];
      if (state.kind !== 'user') throw new NotFoundError(`No user named ${command.name}.`);
      return [{ type: 'UserDeleted', data: { username: command.name }, ...meta }];
  }
}

function deletedName(name: string): string {
  return `${name} belonged to a deleted user; names are not reused, so nothing of theirs passes to someone new.`;
}

function evolve(_state: PrincipalState, event: PrincipalEvent): PrincipalState {
  switch (event.type) {
    case 'UserCreated':
    case 'UserUpdated':
      return { kind: 'user', user: { ...event.data } };
    case 'GroupCreated':
      return { kind: 'group', name: event.data.name };
    case 'UserDeleted':
      return { kind: 'deleted', name: event.data.username };
  }
}

export const principalDecider: Decider<PrincipalCommand, PrincipalEvent, PrincipalState> = {
  initialState: { kind: 'none' },
  decide,
  evolve,
};
