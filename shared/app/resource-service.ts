/**
 * The use cases of recipes and resources, each one read and one conditional write on the
 * resource's stream: apply, look up, list, start/stop/restart/delete, schedules, the audit log.
 */
import type { EventStore } from '../ports/event-store.ts';
import type { RecipePage, RecipeView, RecipeViews } from '../ports/recipe-views.ts';
import type { Clock } from '../ports/platform-clock.ts';
import { loadState, type LoadedStream } from './command-runner.ts';
import { GroupCommit } from './group-commit.ts';
import { resourceModel } from './resource-model.ts';
import { SubdomainClaims, subdomainsOf } from './subdomain-claims.ts';
import { renderRecipe, type RecipeResponse, type ShellAccess } from './recipe-rendering.ts';
import { RecipeJsonCache } from './recipe-json-cache.ts';
import { loadVisibleResource } from './visible-resource.ts';
import { parseRecipe } from '../domain/recipe/recipe.ts';
import type { ResourceType } from '../domain/recipe/spec-schemas.ts';
import { addressOf, resourceStreamId } from '../domain/resource/resource-identity.ts';
import { isActive, resourceVersion, serviceOf, type ConcurrencyPolicy, type LiveResource, type ResourceCommand, type ResourceState } from '../domain/resource/resource-decider.ts';
import { mayAccess, visibleOwners } from '../domain/identity/access.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts';
import type { Pod } from '../domain/resource/service-replicas.ts';
import { ownerSuffixes, reservationIssue, subdomainField } from '../domain/resource/reserved-subdomains.ts';
import type { UsageLimitsState } from '../domain/limits/usage-limits.ts';
import type { ResourceSpec, TypedSpec } from '../domain/recipe/spec-types.ts';

export const KIND_TYPES = { workspaces: 'workspace', deployments: 'deployment', jobs: 'job' } as const satisfies Record<string, ResourceType>;
export type Kind = keyof typeof KIND_TYPES;

export type LifecycleAction = 'start' | 'stop' | 'restart';
const ACTION_COMMANDS = { start: 'StartResource', stop: 'StopResource', restart: 'RestartResource' } as const;

export interface ResourceServiceDeps {
  store: EventStore;
  /** The queue per stream this process's commands go through; share it with JobRunService, whose dispatches write the same job streams. */
  commits?: GroupCommit;
  views: RecipeViews;
  clock: Clock;
  routeUrl(subdomain: string): string;
  shellAccess?: ShellAccess;
  /** Whether a name is a user or group (admins may apply for any existing one). */
  principalExists(name: string): Promise<boolean>;
  dindEnabled?: boolean;
  /** Catalog attachments (issue 5): checks the recipe's secrets, shared folders, IAM role and catalog image before it is recorded. */
  attachments?: { check(owner: string, spec: ResourceSpec): Promise<void> };
  /** Usage limits (issue 15): refuse a recipe or a start the owner's limit does not allow, with 403 limit_exceeded. */
  limits?: {
    /** `actor`: the user applying, held to their own limit too. */
    checkApply(owner: string, recipe: TypedSpec, actor: string): Promise<void>;
    /** The limits, read beside the resource's stream so a start stays one round trip of reads. */
    state(): Promise<UsageLimitsState>;
    checkStart(resource: LiveResource, loaded: UsageLimitsState, actor: string): Promise<void>;
  };
}

export interface ApplyOptions {
  createOnly: boolean;
  expectedVersion?: number;
  /** Drop fields the type does not know, naming them in `warnings`, instead of refusing them (Saturn's `enforce_unknown=false`). */
  dropUnknownFields?: boolean;
}

export interface AuditEvent {
  version: number;
  type: string;
  at: string;
  actor: string;
  data: unknown;
}

/** What a listing asks for: `owner` narrows to one owner the caller may see. */
export interface RecipeListQuery {
  type?: ResourceType;
  owner?: string;
  namePrefix?: string;
  pageSize: number;
  cursor?: string;
}

export class ResourceService {
  private readonly claims: SubdomainClaims;
  /**
   * Applies, starts, stops, restarts, deletes and schedule changes of one resource queue in this
   * process and are decided in groups (group-commit.ts): a burst of them is all answered, each
   * decided once on the state the previous one left, and only a real conflict (If-Match, state) is 409.
   */
  private readonly commits: GroupCommit;
  private readonly listedJson = new RecipeJsonCache();

  constructor(private readonly deps: ResourceServiceDeps) {
    this.claims = new SubdomainClaims(deps.store);
    this.commits = deps.commits ?? new GroupCommit(deps.store);
  }

  async apply(user: User, body: unknown, options: ApplyOptions): Promise<{ recipe: RecipeResponse; created: boolean; dropped: string[] }> {
    const recipe = parseRecipe(body, { caller: user.username, dindEnabled: this.deps.dindEnabled, unknownFields: options.dropUnknownFields ? 'drop' : 'refuse' });
    const { owner } = recipe.spec;
    if (!mayAccess(user, owner)) throw new ForbiddenError(`You may only apply recipes owned by yourself or one of your groups, not by ${owner}.`);
    if (owner !== user.username && !(await this.deps.principalExists(owner))) {
      throw new ValidationError(`There is no user or group named ${owner}.`, [{ path: 'spec.owner', message: 'no such user or group' }]);
    }
    // Catalog attachments hook (issue 5): refuses references the owner cannot use, before anything is appended.
    await this.deps.attachments?.check(owner, recipe.spec);
    await this.deps.limits?.checkApply(owner, recipe, user.username);
    const model = resourceModel(resourceStreamId(recipe.type, owner, recipe.spec.name));
    const after = subdomainsOf({ ...recipe, name: recipe.spec.name, owner });
    const meta = this.meta(user);
    const command: ResourceCommand = { kind: 'ApplyRecipe', ...recipe, createOnly: options.createOnly, expectedVersion: options.expectedVersion, ...meta };
    const claimant = { holder: model.streamId, resource: `${recipe.type} ${owner}/${recipe.spec.name}` };
    // What to claim is decided on the state each attempt reads: a retry after a lost race claims anew.
    const outcome = await this.commits.run(model, async ({ head, state }) => {
      // Decided once before claiming, so a recipe refused for its name or version claims nothing.
      model.decider.decide(command, state);
      const before = subdomainsOf(state.live);
      const fresh = after.filter((s) => !before.includes(s));
      if (fresh.length > 0) {
        // Only subdomains the resource does not hold yet: one it holds stays its own if a user or group named like its suffix appears later.
        await this.refuseReservedSubdomains(owner, recipe.spec, fresh);
        await this.claims.claim(fresh, { ...claimant, holderVersion: head.version }, meta);
      }
      return command;
    });
    const unused = subdomainsOf(outcome.before.live).filter((s) => !after.includes(s));
    if (unused.length > 0 && outcome.events.length > 0) await this.claims.release(unused, model.streamId, outcome.version, meta);
    const created = outcome.events.some((e) => e.type === 'ResourceCreated');
    return { recipe: this.render(outcome.state), created, dropped: recipe.dropped };
  }

  /** Refuses subdomains reserved for another user's or group's defaults (reserved-subdomains.ts), naming each field. */
  private async refuseReservedSubdomains(owner: string, spec: Record<string, unknown>, subdomains: string[]): Promise<void> {
    const suffixes = [...new Set(subdomains.flatMap(ownerSuffixes))];
    const named = await Promise.all(suffixes.map((suffix) => this.deps.principalExists(suffix)));
    const principals = new Set(suffixes.filter((_, i) => named[i]));
    const issues = subdomains.flatMap((s) => reservationIssue(s, subdomainField(spec, s), owner, (name) => principals.has(name)) ?? []);
    if (issues.length > 0) throw new ValidationError(`The spec uses subdomains reserved for others; fix these fields: ${issues.map((i) => i.path).join(', ')}.`, issues);
  }

  async getByName(user: User, type: ResourceType, name: string, owner = user.username): Promise<RecipeResponse> {
    const notFound = new NotFoundError(`No ${type} named ${name} owned by ${owner}.`);
    if (!mayAccess(user, owner)) throw notFound;
    const { state } = await loadState(this.deps.store, resourceModel(resourceStreamId(type, owner, name)));
    if (!state.live) throw notFound;
    return this.render(state);
  }

  async getById(user: User, kind: Kind, id: string): Promise<RecipeResponse> {
    const { state } = await this.visibleStream(user, kind, id);
    if (!state.live || state.live.id !== id) throw new NotFoundError(`No ${KIND_TYPES[kind]} with id ${id}.`);
    return this.render(state);
  }

  async list(user: User, query: RecipeListQuery): Promise<{ recipes: RecipeResponse[]; nextKey: string | null }> {
    const page = await this.visibleViews(user, query);
    const now = this.deps.clock.now();
    return { recipes: page.views.map((v) => renderRecipe(v.resource, v.version, { now, routeUrl: this.deps.routeUrl, shellAccess: this.deps.shellAccess })), nextKey: page.cursor };
  }

  /** `list`, each recipe as its JSON text (recipe-json-cache.ts): what a listing's answer is made of. */
  async listAsJson(user: User, query: RecipeListQuery): Promise<{ recipes: string[]; nextKey: string | null }> {
    const page = await this.visibleViews(user, query);
    const now = this.deps.clock.now();
    const render = (v: RecipeView) => renderRecipe(v.resource, v.version, { now, routeUrl: this.deps.routeUrl, shellAccess: this.deps.shellAccess });
    return { recipes: page.views.map((v) => this.listedJson.text(v, render)), nextKey: page.cursor };
  }

  private visibleViews(user: User, query: RecipeListQuery): Promise<RecipePage> {
    let owners: string[] | 'all';
    if (query.owner !== undefined) owners = mayAccess(user, query.owner) ? [query.owner] : [];
    else owners = user.admin ? 'all' : visibleOwners(user);
    return this.deps.views.list({ owners, type: query.type, namePrefix: query.namePrefix, pageSize: query.pageSize, cursor: query.cursor });
  }

  async act(user: User, kind: Kind, id: string, action: LifecycleAction): Promise<RecipeResponse> {
    const [loaded, limits] = await Promise.all([this.visibleStream(user, kind, id), action === 'stop' ? undefined : this.deps.limits?.state()]);
    const live = loaded.state.live;
    // Starting what already runs changes nothing, so no limit can refuse it; a restart starts anew.
    if (limits && live?.id === id && (action === 'restart' || (action === 'start' && !isActive(live)))) await this.deps.limits?.checkStart(live, limits, user.username);
    const command: ResourceCommand = { kind: ACTION_COMMANDS[action], id, ...this.meta(user) };
    return this.render((await this.commits.run(resourceModel(loaded.state.streamId), command, { loaded })).state);
  }

  async delete(user: User, kind: Kind, id: string): Promise<void> {
    const loaded = await this.visibleStream(user, kind, id);
    const meta = this.meta(user);
    const outcome = await this.commits.run(resourceModel(loaded.state.streamId), { kind: 'DeleteResource', id, ...meta }, { loaded });
    if (outcome.events.length > 0) await this.claims.release(subdomainsOf(outcome.before.live), loaded.state.streamId, outcome.version, meta);
  }

  async setSchedule(user: User, id: string, schedule: string | null, concurrencyPolicy?: ConcurrencyPolicy): Promise<RecipeResponse> {
    return this.render(await this.command(user, 'jobs', id, { kind: 'SetJobSchedule', id, schedule, concurrencyPolicy, ...this.meta(user) }));
  }

  async setScheduleSuspended(user: User, id: string, suspended: boolean): Promise<RecipeResponse> {
    const kind = suspended ? 'SuspendJobSchedule' : 'ResumeJobSchedule';
    return this.render(await this.command(user, 'jobs', id, { kind, id, ...this.meta(user) }));
  }

  /** A deployment's or workspace's pods (replicas) as its runtime reported them, newest first. */
  async pods(user: User, kind: Kind, id: string): Promise<Pod[]> {
    const { state } = await this.visibleStream(user, kind, id);
    if (!state.live || state.live.id !== id) throw new NotFoundError(`No ${KIND_TYPES[kind]} with id ${id}.`);
    return serviceOf(state.live)?.pods ?? [];
  }

  /** The resource's domain events, oldest first, with versions as its clients count them. */
  async events(user: User, kind: Kind, id: string, afterVersion: number, limit: number): Promise<{ events: AuditEvent[]; nextAfter: number | null }> {
    const { state } = await this.visibleStream(user, kind, id);
    const incarnation = addressOf(id)!.incarnation;
    const start = state.incarnationStarts[incarnation - 1]!;
    const end = state.incarnationStarts[incarnation] ?? Number.POSITIVE_INFINITY;
    const page = await this.deps.store.read(state.streamId, start - 1 + afterVersion, limit);
    const events = page.events
      .filter((e) => e.version < end)
      .map((e) => ({ version: e.version - start + 1, type: e.type, at: e.at, actor: e.actor, data: e.data }));
    const more = page.nextAfterVersion !== undefined && page.nextAfterVersion + 1 < end;
    return { events, nextAfter: more && events.length > 0 ? events[events.length - 1]!.version : null };
  }

  private visibleStream(user: User, kind: Kind, id: string): Promise<LoadedStream<ResourceState>> {
    return loadVisibleResource(this.deps.store, user, KIND_TYPES[kind], id);
  }

  /** One read (which also checks access) and one conditional write. */
  private async command(user: User, kind: Kind, id: string, command: ResourceCommand): Promise<ResourceState> {
    const loaded = await this.visibleStream(user, kind, id);
    return (await this.commits.run(resourceModel(loaded.state.streamId), command, { loaded })).state;
  }

  private render(state: ResourceState): RecipeResponse {
    if (!state.live) throw new NotFoundError('The resource no longer exists.');
    return renderRecipe(state.live, resourceVersion(state), { now: this.deps.clock.now(), routeUrl: this.deps.routeUrl, shellAccess: this.deps.shellAccess });
  }

  private meta(user: User): { at: string; actor: string } {
    return { at: this.deps.clock.now().toISOString(), actor: user.username };
  }
}
