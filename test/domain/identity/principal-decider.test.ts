import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.ts';
import {
  principalDecider,
  principalStreamId,
  type PrincipalCommand,
  type User,
} from '../../../shared/domain/identity/principal-decider.ts';
import type { PrincipalEvent } from '../../../events/principal-events.ts';

const meta = { at: '2025-01-01T00:00:00.000Z', actor: 'admin' };
const ann: User = { username: 'ann', email: 'ann@example.com', groups: ['ml'], admin: false };

const createUser = (user: User): PrincipalCommand => ({ kind: 'CreateUser', user, ...meta });
const ensureGroup = (name: string): PrincipalCommand => ({ kind: 'EnsureGroup', name, ...meta });
const userCreated = (user: User): PrincipalEvent => ({ type: 'UserCreated', data: user, ...meta });
const groupCreated = (name: string): PrincipalEvent => ({ type: 'GroupCreated', data: { name }, ...meta });
const syncUser = (user: User): PrincipalCommand => ({ kind: 'SyncUser', user, ...meta });
const userUpdated = (user: User): PrincipalEvent => ({ type: 'UserUpdated', data: user, ...meta });

const given = deciderSpec(principalDecider);

describe('principal decider', () => {
  it('names one stream per user or group name, so both share a namespace', () => {
    expect(principalStreamId('ann')).toBe('principal-ann');
  });

  describe('CreateUser', () => {
    it('creates a user on a fresh name, and the same request again changes nothing', () => {
      const { state } = given([]).when(createUser(ann)).then([userCreated(ann)]);
      expect(state).toEqual({ kind: 'user', user: ann });
    });

    it('refuses a user with the same name but other details', () => {
      given([userCreated(ann)]).when(createUser({ ...ann, admin: true })).then(ConflictError);
      given([userCreated(ann)]).when(createUser({ ...ann, email: null })).then(ConflictError);
    });

    it('refuses a user whose name a group holds', () => {
      given([groupCreated('ann')]).when(createUser(ann)).then(ConflictError);
    });

    it('copies the user, so changing the command later does not change the event', () => {
      // Prepare
      const user = { ...ann, groups: [...ann.groups] };

      // Act
      const [event] = principalDecider.decide(createUser(user), principalDecider.initialState);
      user.admin = true;

      // Assess
      expect(event?.data).toEqual(ann);
    });
  });

  describe('EnsureGroup', () => {
    it('creates a group on a fresh name, and ensuring it again changes nothing', () => {
      const { state } = given([]).when(ensureGroup('ml')).then([groupCreated('ml')]);
      expect(state).toEqual({ kind: 'group', name: 'ml' });
    });

    it('decides nothing for an existing group', () => {
      given([groupCreated('ml')]).when(ensureGroup('ml')).then([]);
    });

    it('refuses a name a user holds', () => {
      given([userCreated(ann)]).when(ensureGroup('ann')).then(ConflictError);
    });
  });

  describe('SyncUser (a user the sign-in directory vouches for)', () => {
    it('creates the user at the first sign-in, groups sorted and without repeats', () => {
      const { state } = given([]).when(syncUser({ ...ann, groups: ['ml', 'analytics', 'ml'] })).then([userCreated({ ...ann, groups: ['analytics', 'ml'] })]);
      expect(state).toEqual({ kind: 'user', user: { ...ann, groups: ['analytics', 'ml'] } });
    });

    it('decides nothing when the directory says what is on record, whatever the order of the groups', () => {
      const recorded = { ...ann, groups: ['analytics', 'ml'] };
      given([userCreated(recorded)]).when(syncUser({ ...recorded, groups: ['ml', 'analytics'] })).then([]);
    });

    it("follows the directory's groups and admin role, as the whole user", () => {
      given([userCreated(ann)]).when(syncUser({ ...ann, groups: ['ml', 'ops'] })).then([userUpdated({ ...ann, groups: ['ml', 'ops'] })]);
      const { state } = given([userCreated(ann)]).when(syncUser({ ...ann, admin: true })).then([userUpdated({ ...ann, admin: true })]);
      expect(state).toEqual({ kind: 'user', user: { ...ann, admin: true } });
    });

    it('keeps the recorded e-mail when the directory gives none (access tokens carry no e-mail), and takes a new one', () => {
      given([userCreated(ann)]).when(syncUser({ ...ann, email: null })).then([]);
      given([userCreated(ann)]).when(syncUser({ ...ann, email: 'ann@new.example.com' })).then([userUpdated({ ...ann, email: 'ann@new.example.com' })]);
    });

    it("refuses a directory user whose name is a group's", () => {
      given([groupCreated('ann')]).when(syncUser(ann)).then(ConflictError);
    });
  });

  describe('UpdateUser and DeleteUser (an admin)', () => {
    const updateUser = (user: User): PrincipalCommand => ({ kind: 'UpdateUser', user, ...meta });
    const deleteUser = (name: string): PrincipalCommand => ({ kind: 'DeleteUser', name, ...meta });
    const userDeleted = (username: string): PrincipalEvent => ({ type: 'UserDeleted', data: { username }, ...meta });

    it('records the whole user as changed, and the same change again decides nothing', () => {
      given([userCreated(ann)]).when(updateUser({ ...ann, locked: true, full_name: 'Ann Lee' })).then([userUpdated({ ...ann, locked: true, full_name: 'Ann Lee' })]);
      given([userCreated(ann)]).when(updateUser({ ...ann, locked: false, full_name: null })).then([]);
    });

    it('refuses to change a name that is not a user', () => {
      given([]).when(updateUser(ann)).then(NotFoundError);
      given([groupCreated('ann')]).when(updateUser(ann)).then(NotFoundError);
    });

    it('keeps a lock and a full name when the directory describes the user again: signing in never unlocks', () => {
      const recorded = { ...ann, locked: true, full_name: 'Ann Lee' };
      given([userCreated(ann), userUpdated(recorded)]).when(syncUser(ann)).then([]);
      given([userCreated(ann), userUpdated(recorded)]).when(syncUser({ ...ann, admin: true })).then([userUpdated({ ...recorded, admin: true })]);
    });

    it('deletes a user, keeping the name taken: no user, group or sign-in can have it again', () => {
      const { state } = given([userCreated(ann)]).when(deleteUser('ann')).then([userDeleted('ann')]);
      expect(state).toEqual({ kind: 'deleted', name: 'ann' });
      given([userCreated(ann), userDeleted('ann')]).when(createUser(ann)).then(ConflictError);
      given([userCreated(ann), userDeleted('ann')]).when(ensureGroup('ann')).then(ConflictError);
      given([userCreated(ann), userDeleted('ann')]).when(syncUser(ann)).then(ConflictError);
      given([groupCreated('ml')]).when(deleteUser('ml')).then(NotFoundError);
    });
  });
});
