import { describe, expect, it } from 'vitest';
import { mayUseRoute, type RouteAccessRule } from '../../../shared/domain/identity/route-access.ts';
import type { User } from '../../../shared/domain/identity/principal-decider.ts';

const ann: User = { username: 'ann', email: null, groups: ['ml'], admin: false };
const bob: User = { username: 'bob', email: null, groups: ['finance'], admin: false };
const root: User = { username: 'root', email: null, groups: [], admin: true };

function ownerRoute(owner: string, viewers: RouteAccessRule['viewers'] = []): RouteAccessRule {
  return { owner, visibility: 'owner', viewers };
}

describe('mayUseRoute', () => {
  describe('given an unauthenticated route', () => {
    const rule: RouteAccessRule = { owner: 'ann', visibility: 'unauthenticated', viewers: [] };

    it('admits anonymous callers and every user', () => {
      expect(mayUseRoute(null, rule)).toBe(true);
      expect(mayUseRoute(bob, rule)).toBe(true);
    });
  });

  describe('given an org route', () => {
    const rule: RouteAccessRule = { owner: 'ann', visibility: 'org', viewers: [] };

    it('admits any signed-in user', () => {
      expect(mayUseRoute(bob, rule)).toBe(true);
      expect(mayUseRoute(ann, rule)).toBe(true);
    });

    it('refuses anonymous callers', () => {
      expect(mayUseRoute(null, rule)).toBe(false);
    });
  });

  describe('given an owner route', () => {
    it('admits the owner', () => {
      expect(mayUseRoute(ann, ownerRoute('ann'))).toBe(true);
    });

    it('admits members of an owning group', () => {
      expect(mayUseRoute(ann, ownerRoute('ml'))).toBe(true);
    });

    it('admits admins', () => {
      expect(mayUseRoute(root, ownerRoute('ann'))).toBe(true);
    });

    it('refuses anonymous callers and other users', () => {
      expect(mayUseRoute(null, ownerRoute('ann'))).toBe(false);
      expect(mayUseRoute(bob, ownerRoute('ann'))).toBe(false);
    });

    it('admits a viewer named as a user', () => {
      expect(mayUseRoute(bob, ownerRoute('ann', [{ name: 'bob', type: 'user' }]))).toBe(true);
    });

    it('admits members of a viewer group', () => {
      expect(mayUseRoute(bob, ownerRoute('ann', [{ name: 'finance', type: 'group' }]))).toBe(true);
    });

    it('matches a viewer without a type against the user name and the user groups', () => {
      expect(mayUseRoute(bob, ownerRoute('ann', [{ name: 'bob' }]))).toBe(true);
      expect(mayUseRoute(bob, ownerRoute('ann', [{ name: 'finance' }]))).toBe(true);
      expect(mayUseRoute(bob, ownerRoute('ann', [{ name: 'ml' }]))).toBe(false);
    });

    it('does not take a user viewer for a group of the same name, nor the reverse', () => {
      const finance: User = { username: 'finance-bot', email: null, groups: ['bob'], admin: false };
      expect(mayUseRoute(finance, ownerRoute('ann', [{ name: 'bob', type: 'user' }]))).toBe(false);
      expect(mayUseRoute(bob, ownerRoute('ann', [{ name: 'bob', type: 'group' }]))).toBe(false);
    });

    it('refuses anonymous callers even when viewers are listed', () => {
      expect(mayUseRoute(null, ownerRoute('ann', [{ name: 'bob' }]))).toBe(false);
    });
  });
});
