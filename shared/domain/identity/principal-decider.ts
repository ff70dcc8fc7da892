/**
 * Users and groups. They share one namespace because a resource's owner may be either, so
 * each name is one `principal-<name>` stream: creating a user whose name a group holds (or
 * the reverse) is a conflict on that stream.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError } from '../errors.ts';
import type { PrincipalEvent } from '../../../events/principal-events.ts';

export interface User {
  username: string;
  email: string | null;
  groups: string[];
  admin: boolean;
}

export type PrincipalState = { kind: 'none' } | { kind: 'group'; name: string } | { kind: 'user'; user: User };


export type PrincipalCommand =
  | (CommandMeta & { kind: 'CreateUser'; user: User })
  | (CommandMeta & { kind: 'EnsureGroup'; name: string })
  /**
   * The sign-in directory's view of a user who signed in (Cognito on AWS): creates the user the
   * first time, and afterwards follows the directory's groups and admin role. An unknown e-mail
   * (null: access tokens carry none) keeps the one on record.
   */
  | (CommandMeta & { kind: 'SyncUser'; user: User });

/** The user as the directory now describes them, given what is on record. */
export function syncedUser(recorded: User | undefined, directory: User): User {
  return { username: directory.username, email: directory.email ?? recorded?.email ?? null, groups: [...new Set(directory.groups)].sort(), admin: directory.admin };
}

/** A user's description as one string, the same whatever the order of its groups. */
export function userKey(u: User): string {
  return JSON.stringify({ username: u.username, email: u.email, groups: [...u.groups].sort(), admin: u.admin });
}

export function principalStreamId(name: string): string {
  return `principal-${name}`;
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
      return [{ type: 'UserCreated', data: { ...command.user }, ...meta }];
    case 'SyncUser': {
      if (state.kind === 'group') throw new ConflictError(`${command.user.username} signed in, but that name is a group's in Cassini; users and groups share one namespace.`);
      const recorded = state.kind === 'user' ? state.user : undefined;
      const user = syncedUser(recorded, command.user);
      if (!recorded) return [{ type: 'UserCreated', data: user, ...meta }];
      return userKey(recorded) === userKey(user) ? [] : [{ type: 'UserUpdated', data: user, ...meta }];
    }
    case 'EnsureGroup':
      if (state.kind === 'group') return [];
      if (state.kind === 'user') throw new ConflictError(`${command.name} is a user, so it cannot be used as a group.`);
      return [{ type: 'GroupCreated', data: { name: command.name }, ...meta }];
  }
}

function evolve(_state: PrincipalState, event: PrincipalEvent): PrincipalState {
  switch (event.type) {
    case 'UserCreated':
    case 'UserUpdated':
      return { kind: 'user', user: { ...event.data } };
    case 'GroupCreated':
      return { kind: 'group', name: event.data.name };
  }
}

export const principalDecider: Decider<PrincipalCommand, PrincipalEvent, PrincipalState> = {
  initialState: { kind: 'none' },
  decide,
  evolve,
};
