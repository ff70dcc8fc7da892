/**
 * The usage limits aggregate: every limit of the installation and who has which. A user's or
 * group's own limit (`limits_id`) is the most specific; a user without one takes the first of
 * their groups (by name) that has one; everyone else the default limit (`is_default`), which
 * there is at most one of. Deleting a limit takes it from those it was given to.
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { LimitEvent } from '../../../events/limit-events.ts';
import type * as z from 'zod';
import type { usageLimitSettingsSchema } from '../../../events/limit-events.ts';

export type UsageLimitSettings = z.infer<typeof usageLimitSettingsSchema>;

export interface UsageLimit extends UsageLimitSettings {
  id: string;
  org_id: string;
  created_at: string;
}

export interface UsageLimitsState {
  limits: Record<string, UsageLimit>;
  /** Principal (user or group name) to limit id. */
  assignments: Record<string, string>;
}

export const USAGE_LIMITS_STREAM = 'usage-limits';

export type UsageLimitsCommand =
  | (CommandMeta & { kind: 'CreateUsageLimit'; id: string; orgId: string; settings: UsageLimitSettings })
  | (CommandMeta & { kind: 'ChangeUsageLimit'; id: string; settings: UsageLimitSettings })
  | (CommandMeta & { kind: 'DeleteUsageLimit'; id: string })
  | (CommandMeta & { kind: 'AssignUsageLimit'; principal: string; limitsId: string | null });

function requireLimit(state: UsageLimitsState, id: string): UsageLimit {
  const limit = state.limits[id];
  if (!limit) throw new NotFoundError(`No usage limit with id ${id}.`);
  return limit;
}

/** Refuses a second limit of the same name or a second default. */
function requireUnique(state: UsageLimitsState, id: string, settings: UsageLimitSettings): void {
  for (const other of Object.values(state.limits)) {
    if (other.id === id) continue;
    if (other.name === settings.name) throw new ConflictError(`A usage limit named ${settings.name} exists already (id ${other.id}); choose another name.`);
    if (settings.is_default && other.is_default) {
      throw new ConflictError(`Usage limit ${other.name} (id ${other.id}) is the default already; set its is_default to false first.`);
    }
  }
}

const settingsOf = (limit: UsageLimit): UsageLimitSettings => {
  const { id: _id, org_id: _org, created_at: _created, ...settings } = limit;
  return settings;
};

function decide(command: UsageLimitsCommand, state: UsageLimitsState): LimitEvent[] {
  const meta = { at: command.at, actor: command.actor };
  switch (command.kind) {
    case 'CreateUsageLimit':
      if (state.limits[command.id]) return [];
      requireUnique(state, command.id, command.settings);
      return [{ type: 'UsageLimitCreated', data: { ...command.settings, id: command.id, org_id: command.orgId }, ...meta }];
    case 'ChangeUsageLimit': {
      const limit = requireLimit(state, command.id);
      requireUnique(state, command.id, command.settings);
      if (JSON.stringify(settingsOf(limit)) === JSON.stringify(command.settings)) return [];
      return [{ type: 'UsageLimitChanged', data: { ...command.settings, id: command.id }, ...meta }];
    }
    case 'DeleteUsageLimit':
      requireLimit(state, command.id);
      return [{ type: 'UsageLimitDeleted', data: { id: command.id }, ...meta }];
    case 'AssignUsageLimit':
      if (command.limitsId !== null) requireLimit(state, command.limitsId);
      if ((state.assignments[command.principal] ?? null) === command.limitsId) return [];
      return [{ type: 'UsageLimitAssigned', data: { principal: command.principal, limits_id: command.limitsId }, ...meta }];
  }
}

function evolve(state: UsageLimitsState, event: LimitEvent): UsageLimitsState {
  switch (event.type) {
    case 'UsageLimitCreated':
      return { ...state, limits: { ...state.limits, [event.data.id]: { ...event.data, created_at: event.at } } };
    case 'UsageLimitChanged': {
      const limit = state.limits[event.data.id];
      if (!limit) return state;
      return { ...state, limits: { ...state.limits, [event.data.id]: { ...limit, ...event.data } } };
    }
    case 'UsageLimitDeleted': {
      const { [event.data.id]: _gone, ...limits } = state.limits;
      const assignments = Object.fromEntries(Object.entries(state.assignments).filter(([, id]) => id !== event.data.id));
      return { limits, assignments };
    }
    case 'UsageLimitAssigned': {
      const { [event.data.principal]: _previous, ...assignments } = state.assignments;
      return { ...state, assignments: event.data.limits_id === null ? assignments : { ...assignments, [event.data.principal]: event.data.limits_id } };
    }
  }
}

export const usageLimitsDecider: Decider<UsageLimitsCommand, LimitEvent, UsageLimitsState> = {
  initialState: { limits: {}, assignments: {} },
  decide,
  evolve,
};

/** The limit that applies to an owner: its own, else its first group's with one (by name), else the default; null when none. */
export function effectiveLimit(state: UsageLimitsState, owner: string, groups: readonly string[]): UsageLimit | null {
  const own = state.assignments[owner];
  if (own && state.limits[own]) return state.limits[own];
  for (const group of [...groups].sort()) {
    const id = state.assignments[group];
    if (id && state.limits[id]) return state.limits[id];
  }
  return Object.values(state.limits).find((l) => l.is_default) ?? null;
}
