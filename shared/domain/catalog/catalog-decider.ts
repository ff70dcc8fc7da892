/**
 * One decider for every catalog object: put (create, or change its attributes) and delete.
 * The kinds differ only in their attributes and event names; secrets add one fact, that a new
 * value was stored. The value itself never reaches the decider: the service writes it to the
 * secret store and tells the decider only that it did (`valueStored`).
 */
import { eventsOf, type CommandMeta, type Decider } from '../decider.ts';
import { NotFoundError } from '../errors.ts';
import type { CatalogObjectEvent } from '../../../events/catalog-object-events.ts';
import type { CatalogAttributes, CatalogKind, CatalogObject } from './catalog-object.ts';

export type CatalogCommand =
  | (CommandMeta & {
      kind: 'PutCatalogObject';
      object: PutObject;
      /** Secrets only: a new value was written to the secret store for this command. */
      valueStored?: boolean;
    })
  | (CommandMeta & { kind: 'DeleteCatalogObject'; objectKind: CatalogKind; owner: string; name: string });

export interface CatalogState {
  /** The object while it exists; null before it is created and after it is deleted. */
  object: CatalogObject | null;
}

/** One kind's object as a put command carries it: `attributes` are that kind's own. */
type PutObject<K extends CatalogKind = CatalogKind> = { [P in K]: { kind: P; owner: string; name: string; attributes: CatalogAttributes[P] } }[K];

/** How a kind's facts become its events: the one place each kind's event names are written. */
interface KindEvents<K extends CatalogKind> {
  created(object: PutObject<K>, meta: CommandMeta): CatalogObjectEvent;
  changed(attributes: CatalogAttributes[K], meta: CommandMeta): CatalogObjectEvent;
  deleted(meta: CommandMeta): CatalogObjectEvent;
}

const event = eventsOf<CatalogObjectEvent>();

const EVENTS_OF: { [K in CatalogKind]: KindEvents<K> } = {
  secret: {
    created: ({ owner, name, attributes }, meta) => event('SecretCreated', { owner, name, ...attributes }, meta),
    changed: (attributes, meta) => event('SecretChanged', { ...attributes }, meta),
    deleted: (meta) => event('SecretDeleted', {}, meta),
  },
  shared_folder: {
    created: ({ owner, name, attributes }, meta) => event('SharedFolderCreated', { owner, name, ...attributes }, meta),
    changed: (attributes, meta) => event('SharedFolderChanged', { ...attributes }, meta),
    deleted: (meta) => event('SharedFolderDeleted', {}, meta),
  },
  image: {
    created: ({ owner, name, attributes }, meta) => event('ImageCreated', { owner, name, ...attributes }, meta),
    changed: (attributes, meta) => event('ImageChanged', { ...attributes }, meta),
    deleted: (meta) => event('ImageDeleted', {}, meta),
  },
  iam_role: {
    created: ({ owner, name, attributes }, meta) => event('IamRoleCreated', { owner, name, ...attributes }, meta),
    changed: (attributes, meta) => event('IamRoleChanged', { ...attributes }, meta),
    deleted: (meta) => event('IamRoleDeleted', {}, meta),
  },
};

function sameAttributes(a: object, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A put of an object of kind `K`: generic so that its attributes and its kind's events stay paired. */
function put<K extends CatalogKind>(object: PutObject<K>, existing: CatalogObject | null, meta: CommandMeta): CatalogObjectEvent[] {
  const events: KindEvents<K> = EVENTS_OF[object.kind];
  if (!existing) return [events.created(object, meta)];
  return sameAttributes(existing.attributes, object.attributes) ? [] : [events.changed(object.attributes, meta)];
}

function decide(command: CatalogCommand, state: CatalogState): CatalogObjectEvent[] {
  const meta = { at: command.at, actor: command.actor };
  switch (command.kind) {
    case 'PutCatalogObject': {
      const { object } = command;
      const valueSet: CatalogObjectEvent[] = object.kind === 'secret' && command.valueStored && state.object ? [event('SecretValueSet', {}, meta)] : [];
      return [...valueSet, ...put(object, state.object, meta)];
    }
    case 'DeleteCatalogObject':
      if (!state.object) throw new NotFoundError(`No ${command.objectKind.replace('_', ' ')} named ${command.name}.`);
      return [EVENTS_OF[command.objectKind].deleted(meta)];
  }
}

/** The object an event creates: its identity out of the event's data, the rest its attributes. */
function created<K extends CatalogKind>(object: PutObject<K>, at: string): CatalogState {
  return { object: { ...object, created_at: at, updated_at: at } };
}

function evolve(state: CatalogState, e: CatalogObjectEvent): CatalogState {
  switch (e.type) {
    case 'SecretCreated': {
      const { owner, name, ...attributes } = e.data;
      return created({ kind: 'secret', owner, name, attributes }, e.at);
    }
    case 'SharedFolderCreated': {
      const { owner, name, ...attributes } = e.data;
      return created({ kind: 'shared_folder', owner, name, attributes }, e.at);
    }
    case 'ImageCreated': {
      const { owner, name, ...attributes } = e.data;
      return created({ kind: 'image', owner, name, attributes }, e.at);
    }
    case 'IamRoleCreated': {
      const { owner, name, ...attributes } = e.data;
      return created({ kind: 'iam_role', owner, name, attributes }, e.at);
    }
    case 'SecretChanged':
    case 'SharedFolderChanged':
    case 'ImageChanged':
    case 'IamRoleChanged':
      return state.object ? { object: { ...state.object, attributes: { ...e.data }, updated_at: e.at } } : state;
    case 'SecretValueSet':
      return state.object ? { object: { ...state.object, updated_at: e.at } } : state;
    case 'SecretDeleted':
    case 'SharedFolderDeleted':
    case 'ImageDeleted':
    case 'IamRoleDeleted':
      return { object: null };
  }
}

export const catalogDecider: Decider<CatalogCommand, CatalogObjectEvent, CatalogState> = {
  initialState: { object: null },
  decide,
  evolve,
};
