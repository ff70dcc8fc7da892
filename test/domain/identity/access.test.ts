import { describe, expect, it } from 'vitest';
import { mayAccess, visibleOwners } from '../../../shared/domain/identity/access.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

const ann: User = { username: 'ann', email: null, groups: ['ml', 'data'], admin: false };
const root: User = { username: 'root', email: null, groups: [], admin: true };

describe('mayAccess', () => {
  it('lets a user access what it owns', () => {
    expect(mayAccess(ann, 'ann')).toBe(true);
  });

  it('lets a member access what its groups own', () => {
    expect(mayAccess(ann, 'ml')).toBe(true);
    expect(mayAccess(ann, 'data')).toBe(true);
  });

  it('keeps a user out of what other users and groups own', () => {
    expect(mayAccess(ann, 'bob')).toBe(false);
    expect(mayAccess(ann, 'finance')).toBe(false);
    expect(mayAccess(ann, 'an')).toBe(false);
  });

  it('lets an admin access everything', () => {
    expect(mayAccess(root, 'bob')).toBe(true);
    expect(mayAccess(root, 'finance')).toBe(true);
  });
});

describe('visibleOwners', () => {
  it('lists the user itself and then its groups', () => {
    expect(visibleOwners(ann)).toEqual(['ann', 'ml', 'data']);
    expect(visibleOwners(root)).toEqual(['root']);
  });
});
