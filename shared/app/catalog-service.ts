/**
 * The use cases of the catalog: register, change, look up, list and delete secrets, shared
 * folders, images and IAM roles. Each command is one read and one conditional write on the
 * object's stream; listings read the catalog views.
 *
 * Who may do what:
 * - secrets and shared folders belong to a user or group; its members (and admins) may change
 *   them, and see them; others see them only when `access` is `org`.
 * - images are named platform-wide and readable by everyone; their owner (and admins) may
 *   change them.
 * - IAM roles only admins register, change and delete; others see the roles they may attach.
 * Someone who may see an object but not change it gets ForbiddenError; someone who may not
 * see it, NotFoundError, so names do not leak.
 *
 * A secret's value goes to the secret store, never into an event, a view or an error.
 */
import type { EventStore } from '../ports/event-store.ts';
import type { CatalogViews } from '../ports/catalog-views.ts';
import type { SecretWriter } from '../ports/secret-store.ts';
import type { Clock } from '../ports/platform-clock.ts';
import { loadState, runCommand, type LoadedStream } from './command-runner.ts';
import { catalogModel } from './catalog-model.ts';
import { PLATFORM_WIDE_KINDS, mayAttach, type CatalogAttributes, type CatalogKind, type CatalogObject } from '../domain/catalog/catalog-object.ts';
import type { CatalogCommand, CatalogState } from '../domain/catalog/catalog-decider.ts';
import { mayAccess } from '../domain/identity/access.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import { resolveOwnerName } from '../domain/recipe/owner-name.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { KIND_LABELS } from '../domain/catalog/attachment-access.ts';

export interface CatalogServiceDeps {
  store: EventStore;
  catalogViews: CatalogViews;
  secrets: SecretWriter;
  clock: Clock;
  /** Whether a name is a user or group. */
  principalExists(name: string): Promise<boolean>;
}

/** What the API returns for a catalog object: its names, attributes and times. Never a secret's value. */
export type CatalogObjectView = { name: string; owner: string; created_at: string; updated_at: string } & Record<string, unknown>;

export interface PutInput<K extends CatalogKind> {
  name: string;
  /** Per-owner kinds and images: defaults to the caller; `<org>/<name>` is read as `<name>`. */
  owner?: string;
  attributes: CatalogAttributes[K];
  /** Refuse with a conflict when the object exists (Saturn's `POST` creates, it does not change). */
  createOnly?: boolean;
}

export interface PutOutcome {
  object: CatalogObjectView;
  created: boolean;
}

export function renderCatalogObject(object: CatalogObject): CatalogObjectView {
  return { name: object.name, owner: object.owner, ...object.attributes, created_at: object.created_at, updated_at: object.updated_at };
}

export class CatalogService {
  constructor(private readonly deps: CatalogServiceDeps) {}

  /**
   * Stores the value, then records the secret. The value is written first so that no event
   * ever names a secret whose value is missing: a task realized right after the event must
   * find it. If the append then fails, the value is stored without its event, which the
   * client's retry of the same PUT records (an orphan value of a never-created secret is
   * overwritten by the next create and readable by no one meanwhile).
   */
  async putSecret(user: User, input: PutInput<'secret'>, value: string): Promise<PutOutcome> {
    const owner = await this.writableOwner(user, input.owner);
    const loaded = await this.load('secret', owner, input.name);
    await this.deps.secrets.put({ owner, name: input.name }, value);
    return this.put(user, { kind: 'secret', owner, name: input.name, attributes: input.attributes }, loaded, true);
  }

  async putSharedFolder(user: User, input: PutInput<'shared_folder'>): Promise<PutOutcome> {
    const owner = await this.writableOwner(user, input.owner);
    return this.put(user, { kind: 'shared_folder', owner, name: input.name, attributes: input.attributes }, await this.load('shared_folder', owner, input.name), false, input.createOnly);
  }

  async putImage(user: User, input: PutInput<'image'>): Promise<PutOutcome> {
    const loaded = await this.load('image', '', input.name);
    const existing = loaded.state.object;
    if (existing && !mayAccess(user, existing.owner)) throw new ForbiddenError(`The image ${input.name} belongs to ${existing.owner}; only its owner or an admin may change it.`);
    // An existing image keeps its owner; a new one gets the requested owner or the caller.
    const owner = existing ? existing.owner : await this.writableOwner(user, input.owner);
    return this.put(user, { kind: 'image', owner, name: input.name, attributes: input.attributes }, loaded);
  }

  async putIamRole(user: User, input: PutInput<'iam_role'>): Promise<PutOutcome> {
    if (!user.admin) throw new ForbiddenError('Only an admin can register IAM roles.');
    const unknown = await this.unknownPrincipals(input.attributes.allowed);
    if (unknown.length > 0) {
      throw new ValidationError(`There is no user or group named ${unknown.map((u) => u.name).join(', ')}.`, unknown.map((u) => ({ path: `allowed[${u.index}]`, message: 'no such user or group' })));
    }
    const loaded = await this.load('iam_role', '', input.name);
    const owner = loaded.state.object?.owner ?? user.username;
    return this.put(user, { kind: 'iam_role', owner, name: input.name, attributes: input.attributes }, loaded, false, input.createOnly);
  }

  async get(user: User, kind: CatalogKind, name: string, owner = user.username): Promise<CatalogObjectView> {
    const object = (await this.load(kind, resolveOwnerName(owner), name)).state.object;
    if (!object || !this.visible(user, object)) throw this.notFound(kind, name);
    return renderCatalogObject(object);
  }

  /** The objects of a kind the caller may see, by owner and name; `owner` narrows them to one owner. */
  async list(user: User, kind: CatalogKind, owner?: string): Promise<CatalogObjectView[]> {
    const wanted = owner === undefined ? undefined : resolveOwnerName(owner);
    const objects = await this.deps.catalogViews.list(kind);
    return objects
      .filter((o) => this.visible(user, o) && (wanted === undefined || o.owner === wanted))
      .sort((a, b) => a.owner.localeCompare(b.owner) || a.name.localeCompare(b.name))
      .map(renderCatalogObject);
  }

  /**
   * Deletes the object. For a secret, the event comes first and the value after: once the
   * event is recorded nothing may use the secret, and a failure to remove the value leaves
   * an orphan nobody can reach rather than a live secret without a value.
   */
  async delete(user: User, kind: CatalogKind, name: string, owner = user.username): Promise<void> {
    const resolvedOwner = PLATFORM_WIDE_KINDS.has(kind) ? '' : resolveOwnerName(owner);
    const loaded = await this.load(kind, resolvedOwner, name);
    const object = loaded.state.object;
    if (!object || !this.visible(user, object)) throw this.notFound(kind, name);
    if (kind === 'iam_role' ? !user.admin : !mayAccess(user, object.owner)) {
      throw new ForbiddenError(kind === 'iam_role' ? 'Only an admin can delete IAM roles.' : `Only members of ${object.owner} or an admin may delete this ${KIND_LABELS[kind]}.`);
    }
    await runCommand(this.deps.store, catalogModel({ kind, owner: resolvedOwner, name }), { kind: 'DeleteCatalogObject', objectKind: kind, owner: resolvedOwner, name, ...this.meta(user) }, { loaded });
    if (kind === 'secret') await this.deps.secrets.delete({ owner: object.owner, name });
  }

  /** The object as its stream says, for attachment checks: no access rules applied. */
  async find(kind: CatalogKind, owner: string, name: string): Promise<CatalogObject | undefined> {
    return (await this.load(kind, owner, name)).state.object ?? undefined;
  }

  private async put(user: User, object: Extract<CatalogCommand, { kind: 'PutCatalogObject' }>['object'], loaded: LoadedStream<CatalogState>, valueStored = false, createOnly = false): Promise<PutOutcome> {
    if (createOnly && loaded.state.object) throw new ConflictError(`There is already a ${KIND_LABELS[object.kind]} named ${object.name}${PLATFORM_WIDE_KINDS.has(object.kind) ? '' : ` owned by ${object.owner}`}.`);
    const outcome = await runCommand(this.deps.store, catalogModel(object), { kind: 'PutCatalogObject', object, valueStored, ...this.meta(user) }, { loaded });
    const created = outcome.events.some((e) => e.type.endsWith('Created'));
    return { object: renderCatalogObject(outcome.state.object!), created };
  }

  private load(kind: CatalogKind, owner: string, name: string): Promise<LoadedStream<CatalogState>> {
    return loadState(this.deps.store, catalogModel({ kind, owner: PLATFORM_WIDE_KINDS.has(kind) ? '' : owner, name }));
  }

  /** The owner a new or changed object gets, when the caller may act for it. */
  private async writableOwner(user: User, requested: string | undefined): Promise<string> {
    const owner = resolveOwnerName(requested ?? user.username);
    if (!mayAccess(user, owner)) throw new ForbiddenError(`You may only register objects owned by yourself or one of your groups, not by ${owner}.`);
    if (owner !== user.username && !(await this.deps.principalExists(owner))) {
      throw new ValidationError(`There is no user or group named ${owner}.`, [{ path: 'owner', message: 'no such user or group' }]);
    }
    return owner;
  }

  private async unknownPrincipals(names: readonly string[]): Promise<Array<{ name: string; index: number }>> {
    const exists = await Promise.all(names.map((name) => this.deps.principalExists(name)));
    return names.map((name, index) => ({ name, index })).filter((_, i) => !exists[i]);
  }

  private visible(user: User, object: CatalogObject): boolean {
    switch (object.kind) {
      case 'image':
        return true;
      case 'iam_role':
        return user.admin || mayAttach(object, { name: user.username, groups: user.groups });
      default:
        return mayAccess(user, object.owner) || mayAttach(object, { name: user.username, groups: user.groups });
    }
  }

  private notFound(kind: CatalogKind, name: string): NotFoundError {
    return new NotFoundError(`No ${KIND_LABELS[kind]} named ${name} that you may see.`);
  }

  private meta(user: User): { at: string; actor: string } {
    return { at: this.deps.clock.now().toISOString(), actor: user.username };
  }
}
