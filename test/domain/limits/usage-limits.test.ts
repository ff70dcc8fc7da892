import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { limitSettings } from '../support/usage-limit-settings.ts';
import { effectiveLimit, usageLimitsDecider, type UsageLimitSettings } from '../../../shared/domain/limits/usage-limits.ts';
import { ConflictError, NotFoundError } from '../../../shared/domain/errors.ts';
import type { LimitEvent } from '../../../events/limit-events.ts';
import { fold } from '../../../shared/domain/decider.ts';

const given = deciderSpec(usageLimitsDecider);
const meta = { at: '2026-12-06T00:00:00.000Z', actor: 'admin' };

const settings = limitSettings;

function created(id: string, fields: Partial<UsageLimitSettings> = {}): LimitEvent {
  return { type: 'UsageLimitCreated', data: { ...settings(fields), id, org_id: 'cassini' }, ...meta };
}

const assigned = (principal: string, id: string | null): LimitEvent => ({ type: 'UsageLimitAssigned', data: { principal, limits_id: id }, ...meta });

describe('usageLimitsDecider', () => {
  it('creates a limit once: the same id again decides nothing', () => {
    given([]).when({ kind: 'CreateUsageLimit', id: 'l1', orgId: 'cassini', settings: settings(), ...meta }).then([created('l1')]);
  });

  it('keeps names unique and the default single, naming the limit in the way', () => {
    given([created('l1', { is_default: true })]).when({ kind: 'CreateUsageLimit', id: 'l2', orgId: 'cassini', settings: settings(), ...meta }).then(ConflictError);
    given([created('l1', { name: 'a', is_default: true })])
      .when({ kind: 'CreateUsageLimit', id: 'l2', orgId: 'cassini', settings: settings({ name: 'b', is_default: true }), ...meta })
      .then(ConflictError);
    given([created('l1', { name: 'a', is_default: true }), created('l2', { name: 'b' })])
      .when({ kind: 'ChangeUsageLimit', id: 'l2', settings: settings({ name: 'b', is_default: true }), ...meta })
      .then(ConflictError);
  });

  it('changes a limit to the settings given, and a change to the same settings decides nothing', () => {
    const changed = settings({ hours_per_day: 8 });
    given([created('l1')]).when({ kind: 'ChangeUsageLimit', id: 'l1', settings: changed, ...meta }).then([{ type: 'UsageLimitChanged', data: { ...changed, id: 'l1' }, ...meta }]);
    given([created('l1')]).when({ kind: 'ChangeUsageLimit', id: 'l1', settings: settings(), ...meta }).then([]);
  });

  it('refuses to change, delete or assign a limit that does not exist', () => {
    given([]).when({ kind: 'ChangeUsageLimit', id: 'nope', settings: settings(), ...meta }).then(NotFoundError);
    given([]).when({ kind: 'DeleteUsageLimit', id: 'nope', ...meta }).then(NotFoundError);
    given([]).when({ kind: 'AssignUsageLimit', principal: 'ann', limitsId: 'nope', ...meta }).then(NotFoundError);
  });

  it('assigns and unassigns; deleting a limit takes it from those it was given to', () => {
    given([created('l1')]).when({ kind: 'AssignUsageLimit', principal: 'ann', limitsId: 'l1', ...meta }).then([assigned('ann', 'l1')]);
    given([created('l1'), assigned('ann', 'l1')]).when({ kind: 'AssignUsageLimit', principal: 'ann', limitsId: null, ...meta }).then([assigned('ann', null)]);
    const { state } = given([created('l1'), assigned('ann', 'l1')]).when({ kind: 'DeleteUsageLimit', id: 'l1', ...meta }).then([{ type: 'UsageLimitDeleted', data: { id: 'l1' }, ...meta }], { replayDecidesNothing: false });
    expect(state).toEqual({ limits: {}, assignments: {} });
  });
});

describe('effectiveLimit', () => {
  const state = fold(usageLimitsDecider, usageLimitsDecider.initialState, [
    created('default', { name: 'default', is_default: true }),
    created('ml', { name: 'ml' }),
    created('data', { name: 'data' }),
    created('ann', { name: 'ann' }),
    assigned('ml', 'ml'),
    assigned('data', 'data'),
    assigned('ann', 'ann'),
  ]);

  it('takes the owner\'s own, else its first group\'s by name, else the default', () => {
    expect(effectiveLimit(state, 'ann', ['ml'])?.id).toBe('ann');
    expect(effectiveLimit(state, 'bob', ['ml', 'data'])?.id).toBe('data');
    expect(effectiveLimit(state, 'cid', [])?.id).toBe('default');
    expect(effectiveLimit(state, 'ml', [])?.id).toBe('ml');
    expect(effectiveLimit({ limits: {}, assignments: {} }, 'cid', [])).toBeNull();
  });
});
