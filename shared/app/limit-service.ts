/**
 * Usage limits: Saturn's `/api/limits` (admin), who has which (`limits_id` of a user, our
 * extension for a group), the limit that applies to an owner, and its enforcement — on apply and
 * start (limit-checks.ts) and over time (`enforce`, run every minute: a resource whose owner has
 * used up an hours window is stopped by `system:limits`, saying which limit).
 */
import type { EventStore } from '../ports/event-store.ts';
import type { UsageViews } from '../ports/usage-views.ts';
import type { RecipeViews } from '../ports/recipe-views.ts';
import type { Clock, RandomSource } from '../ports/platform-clock.ts';
import type { StreamModel } from './command-runner.ts';
import { loadState, runCommand } from './command-runner.ts';
import { resourceModel } from './resource-model.ts';
import { ForbiddenError, LimitExceededError, NotFoundError } from '../domain/errors.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import type { Organization } from '../domain/identity/organization.ts';
import type { LimitEvent } from '../../events/limit-events.ts';
import {
  effectiveLimit,
  USAGE_LIMITS_STREAM,
  usageLimitsDecider,
  type UsageLimit,
  type UsageLimitSettings,
  type UsageLimitsCommand,
  type UsageLimitsState,
} from '../domain/limits/usage-limits.ts';
import type { TypedSpec } from '../domain/recipe/spec-types.ts';
import { hoursRefusal, instancesOf, instancesRefusal, specRefusal, windowUsage, type WindowUsage } from '../domain/limits/limit-checks.ts';
import { isActive, type LiveResource } from '../domain/resource/resource-decider.ts';
import { addressOf } from '../domain/resource/resource-identity.ts';
import { IdentityService } from './identity-service.ts';
import { organizationNamed } from '../domain/identity/organization.ts';
import { isLimitEvent } from '../../events/event-versions.ts';
import type { StreamStateCache } from './stream-state-cache.ts';

/** Bump when UsageLimitsState changes shape. */
export const USAGE_LIMITS_SNAPSHOT_SCHEMA = 1;

/** The installation's one stream of usage limits. */
export function usageLimitsModel(): StreamModel<UsageLimitsCommand, LimitEvent, UsageLimitsState> {
  return { streamId: USAGE_LIMITS_STREAM, decider: usageLimitsDecider, snapshotSchema: USAGE_LIMITS_SNAPSHOT_SCHEMA, isEvent: isLimitEvent };
}

/** Who stops what a limit's hours no longer allow. */
export const LIMITS_ACTOR = 'system:limits';

const PAGE_SIZE = 100;

export interface LimitServiceDeps {
  store: EventStore;
  usageViews: UsageViews;
  views: Pick<RecipeViews, 'list'>;
  clock: Clock;
  random: RandomSource;
  organization: Organization;
  /** A user's groups; empty for a group or an unknown name. */
  groupsOf(name: string): Promise<string[]>;
  principalKind(name: string): Promise<'user' | 'group' | 'none'>;
  /** How long a limit's hour lasts (ms): an hour, unless a test platform makes it short. */
  hourMs?: number;
  /**
   * Holds the limits' stream in memory for what `GET /api/user` shows at every call; `store`
   * must then be `cache.watching(...)` of the process's store, so a change is seen at once.
   */
  cache?: StreamStateCache;
}

/** What `GET /api/user` shows of the caller's limit. */
export interface LimitOverview {
  limits: UsageLimit | null;
  /** Null without a limit: then nothing is counted (each count reads every usage fold). */
  usage: (WindowUsage & { instances_running: number }) | null;
}

function requireAdmin(user: User): void {
  if (!user.admin) throw new ForbiddenError('Only an admin may manage usage limits.');
}

export class LimitService {
  constructor(private readonly deps: LimitServiceDeps) {}

  private get hourMs(): number {
    return this.deps.hourMs ?? 3_600_000;
  }

  /** Every limit and assignment: one read of the limits' stream head, which a start may make beside its own. */
  async state(): Promise<UsageLimitsState> {
    return (await loadState(this.deps.store, usageLimitsModel())).state;
  }

  /**
   * The limits as the caller's own answers show them (`GET /api/user`), from memory when there
   * is a cache. Refusals and admin reads keep reading the store: on AWS the cache of one Lambda
   * instance may be AUTH_CACHE_SECONDS behind another's writes, which a display may be and a
   * decision must not.
   */
  private async shownState(): Promise<UsageLimitsState> {
    return this.deps.cache ? this.deps.cache.load(this.deps.store, usageLimitsModel()) : this.state();
  }

  private async command(command: UsageLimitsCommand): Promise<UsageLimitsState> {
    return (await runCommand(this.deps.store, usageLimitsModel(), command)).state;
  }

  private meta(actor: string) {
    return { at: this.deps.clock.now().toISOString(), actor };
  }

  private requireOrg(orgId: string | undefined): void {
    if (orgId !== undefined && orgId !== this.deps.organization.id) throw new NotFoundError(`No organization ${orgId}; this installation is ${this.deps.organization.id}.`);
  }

  async create(user: User, orgId: string, settings: UsageLimitSettings): Promise<UsageLimit> {
    requireAdmin(user);
    this.requireOrg(orgId);
    const id = Buffer.from(this.deps.random.bytes(16)).toString('hex');
    const state = await this.command({ kind: 'CreateUsageLimit', id, orgId, settings, ...this.meta(user.username) });
    return state.limits[id]!;
  }

  async list(user: User, orgId?: string): Promise<UsageLimit[]> {
    requireAdmin(user);
    this.requireOrg(orgId);
    return Object.values((await this.state()).limits).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async get(user: User, id: string): Promise<UsageLimit> {
    requireAdmin(user);
    const limit = (await this.state()).limits[id];
    if (!limit) throw new NotFoundError(`No usage limit with id ${id}.`);
    return limit;
  }

  async change(user: User, id: string, settings: UsageLimitSettings): Promise<UsageLimit> {
    requireAdmin(user);
    return (await this.command({ kind: 'ChangeUsageLimit', id, settings, ...this.meta(user.username) })).limits[id]!;
  }

  async delete(user: User, id: string): Promise<void> {
    requireAdmin(user);
    await this.command({ kind: 'DeleteUsageLimit', id, ...this.meta(user.username) });
  }

  /** Gives a user or group its own limit (`limits_id`), or takes it away (null). */
  async assign(user: User, principal: { kind: 'user' | 'group'; name: string }, limitsId: string | null): Promise<void> {
    requireAdmin(user);
    if ((await this.deps.principalKind(principal.name)) !== principal.kind) throw new NotFoundError(`No ${principal.kind} named ${principal.name}.`);
    await this.command({ kind: 'AssignUsageLimit', principal: principal.name, limitsId, ...this.meta(user.username) });
  }

  /** The limit id a user or group was given itself (not through a group or the default). */
  async assignedTo(principal: string): Promise<string | null> {
    return (await this.shownState()).assignments[principal] ?? null;
  }

  /** The limit that applies to what `owner` runs, or null. */
  async limitFor(owner: string, loaded?: UsageLimitsState): Promise<UsageLimit | null> {
    const state = loaded ?? (await this.state());
    if (Object.keys(state.limits).length === 0) return null;
    return effectiveLimit(state, owner, await this.deps.groupsOf(owner));
  }

  /**
   * Refuses a recipe its owner's limit does not allow (sizes, type, auto_shutoff, disk, folders),
   * or the limit of the user applying it: a member limited to small sizes gets no large one by
   * making it their group's.
   */
  async checkApply(owner: string, recipe: TypedSpec, actor?: string): Promise<void> {
    const state = await this.state();
    for (const principal of principalsOf(owner, actor)) {
      const limit = await this.limitFor(principal, state);
      const refusal = limit ? specRefusal(limit, recipe) : undefined;
      if (refusal) throw new LimitExceededError(refusal);
    }
  }

  /** Refuses a start (of a deployment or workspace, or a job's run) its owner's limit does not allow now. */
  async checkStart(resource: LiveResource, loaded?: UsageLimitsState, actor?: string): Promise<void> {
    const refusal = await this.startRefusal(resource, loaded, actor);
    if (refusal) throw new LimitExceededError(refusal);
  }

  /** Why a start of the resource is refused now by its owner's limit or by that of the user starting it (`actor`), or undefined. */
  async startRefusal(resource: LiveResource, loaded?: UsageLimitsState, actor?: string): Promise<string | undefined> {
    const state = loaded ?? (await this.state());
    for (const principal of principalsOf(resource.owner, actor)) {
      const refusal = await this.refusalFor(principal, resource, state);
      if (refusal) return refusal;
    }
    return undefined;
  }

  /** What `principal`'s limit refuses of a start of the resource: its spec, the instances `principal` would run, its hours. */
  private async refusalFor(principal: string, resource: LiveResource, state: UsageLimitsState): Promise<string | undefined> {
    const limit = await this.limitFor(principal, state);
    if (!limit) return undefined;
    const refused = specRefusal(limit, resource);
    if (refused) return refused;
    if (limit.num_instances !== null) {
      // A job's new run adds to its runs under way; a restarted service replaces its own.
      const others = await this.instancesRunning(principal, resource.type === 'job' ? undefined : resource.id);
      const refusedInstances = instancesRefusal(limit, others, instancesOf(resource, resource.daskScaledTo));
      if (refusedInstances) return refusedInstances;
    }
    if (limit.hours_per_day === null && limit.hours_per_month === null && limit.hours_forever === null) return undefined;
    return hoursRefusal(limit, principal, await this.windowsOf(principal));
  }

  /** The caller's limit and how much of each window it has used, for `GET /api/user`. */
  async overview(user: User): Promise<LimitOverview> {
    const limits = await this.limitFor(user.username, await this.shownState());
    if (!limits) return { limits, usage: null };
    const [windows, instances] = await Promise.all([this.windowsOf(user.username), this.instancesRunning(user.username)]);
    return { limits, usage: { ...windows, instances_running: instances } };
  }

  /**
   * Stops every started resource of each owner that has used up an hours window of its limit, as
   * `system:limits` with the limit in the reason. Returns the resources stopped.
   */
  async enforce(): Promise<string[]> {
    const state = await this.state();
    if (!Object.values(state.limits).some((l) => l.hours_per_day !== null || l.hours_per_month !== null || l.hours_forever !== null)) return [];
    const byOwner = new Map<string, LiveResource[]>();
    for (const resource of await this.liveResources()) {
      if (!runsNow(resource)) continue;
      byOwner.set(resource.owner, [...(byOwner.get(resource.owner) ?? []), resource]);
    }
    const folds = await this.deps.usageViews.all();
    const now = this.deps.clock.now().getTime();
    const stopped: string[] = [];
    for (const [owner, resources] of byOwner) {
      const limit = effectiveLimit(state, owner, await this.deps.groupsOf(owner));
      if (!limit) continue;
      const reason = hoursRefusal(limit, owner, windowUsage(folds.flatMap((f) => f.intervals.filter((i) => i.owner === owner)), now, this.hourMs));
      if (!reason) continue;
      for (const resource of resources) {
        const address = addressOf(resource.id);
        if (!address) continue;
        await runCommand(this.deps.store, resourceModel(address.streamId), { kind: 'StopResource', id: resource.id, reason: `stopped by the usage limit: ${reason}`, ...this.meta(LIMITS_ACTOR) });
        stopped.push(resource.id);
      }
    }
    return stopped;
  }

  private async windowsOf(owner: string): Promise<WindowUsage> {
    const folds = await this.deps.usageViews.all();
    return windowUsage(folds.flatMap((f) => f.intervals.filter((i) => i.owner === owner)), this.deps.clock.now().getTime(), this.hourMs);
  }

  /** Instances the owner's started resources run at once (a job's per active run), leaving out `except`. */
  private async instancesRunning(owner: string, except?: string): Promise<number> {
    let count = 0;
    for (const resource of await this.liveResources([owner])) {
      if (resource.id === except || !runsNow(resource)) continue;
      const runs = resource.type === 'job' ? (resource.runs?.active.length ?? 0) : 1;
      count += runs * instancesOf(resource, resource.daskScaledTo);
    }
    return count;
  }

  private async liveResources(owners: string[] | 'all' = 'all'): Promise<LiveResource[]> {
    const resources: LiveResource[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.views.list({ owners, pageSize: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      resources.push(...page.views.map((v) => v.resource));
      cursor = page.cursor ?? undefined;
    } while (cursor);
    return resources;
  }
}

/** The owner, and the user acting on its resource when that is someone else (not the platform itself). */
function principalsOf(owner: string, actor: string | undefined): string[] {
  return actor === undefined || actor === owner || actor.startsWith('system:') ? [owner] : [owner, actor];
}

/** Whether the resource runs something now: a started deployment or workspace, a job with a run under way. */
function runsNow(resource: LiveResource): boolean {
  return resource.type === 'job' ? (resource.runs?.active.length ?? 0) > 0 : isActive(resource);
}

/** What `limitService` builds a LimitService over. */
export interface LimitPorts {
  store: EventStore;
  views: Pick<RecipeViews, 'list'>;
  usageViews: UsageViews;
  clock: Clock;
  random: RandomSource;
  organization?: Organization;
  limitHourMs?: number;
  /** Tokens, users and the limits' stream in memory; `store` must then be `identityCache.watching(...)` of the process's store. */
  identityCache?: StreamStateCache;
}

/** The usage limits over the platform's ports, for the services that start what they limit. */
export function limitService(ports: LimitPorts): LimitService {
  const cache = ports.identityCache ? { cache: ports.identityCache } : {};
  const identity = new IdentityService({ ...ports, ...cache });
  return new LimitService({
    ...ports,
    ...cache,
    organization: ports.organization ?? organizationNamed(),
    groupsOf: async (name) => (await identity.findUser(name))?.groups ?? [],
    principalKind: async (name) => ((await identity.findUser(name)) ? 'user' : (await identity.principalExists(name)) ? 'group' : 'none'),
    ...(ports.limitHourMs === undefined ? {} : { hourMs: ports.limitHourMs }),
  });
}

