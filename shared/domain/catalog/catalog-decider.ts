/**
 * One decider for every catalog object: put (create, or change its attributes) and delete.
 * The kinds differ only in their attributes and event names; secrets add one fact, that a new
 * value was stored. The value itself never reaches the decider: the service writes it to the
 * secret store and tells the decider only that it did (`valueStored`).
 */
import type { CommandMeta, Decider } from '../decider.ts';
import { NotFoundError } from '../errors.ts';
import type { CatalogObjectEvent } from '../../../events/catalog-object-events.ts';
import type { CatalogAttributes, CatalogKind, CatalogObject } from './catalog-object.ts';

export type CatalogCommand =
  | (CommandMeta & {
      kind: 'PutCatalogObject';
      object: { [K in CatalogKind]: { kind: K; owner: string; name: string; attributes: CatalogAttributes[K] } }[CatalogKind];
      /** Secrets only: a new value was written to the secret store for this command. */
      valueStored?: boolean;
    })
  | (CommandMeta & { kind: 'DeleteCatalogObject'; objectKind: CatalogKind; owner: string; name: string });

export interface CatalogState {
  /** The object while it exists; null before it is created and after it is deleted. */
  object: CatalogObject | null;
}

const EVENT_PREFIX = { secret: 'Secret', shared_folder: 'SharedFolder', image: 'Image', iam_role: 'IamRole' } as const satisfies Record<CatalogKind, string>;
const KIND_OF_PREFIX = Object.fromEntries(Object.entries(EVENT_PREFIX).map(([kind, prefix]) => [prefix, kind as CatalogKind]));

function event(kind: CatalogKind, fact: 'Created' | 'Changed' | 'Deleted', data: object, meta: CommandMeta): CatalogObjectEvent {
  return { type: `${EVENT_PREFIX[kind]}${fact}`, data, at: meta.at, actor: meta.actor } as CatalogObjectEvent;
}

function sameAttributes(a: object, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function decide(command: CatalogCommand, state: CatalogState): CatalogObjectEvent[] {
  const meta = { at: command.at, actor: command.actor };
  switch (command.kind) {
    case 'PutCatalogObject': {
      const { object } = command;
      const valueSet: CatalogObjectEvent[] = object.kind === 'secret' && command.valueStored ? [{ type: 'SecretValueSet', data: {}, ...meta }] : [];
      if (!state.object) return [event(object.kind, 'Created', { owner: object.owner, name: object.name, ...object.attributes }, meta)];
      const changed = sameAttributes(state.object.attributes, object.attributes) ? [] : [event(object.kind, 'Changed', { ...object.attributes }, meta)];
      return [...valueSet, ...changed];
    }
    case 'DeleteCatalogObject':
      if (!state.object) throw new NotFoundError(`No ${command.objectKind.replace('_', ' ')} named ${command.name}.`);
      return [event(command.objectKind, 'Deleted', {}, meta)];
  }
}

function evolve(state: CatalogState, e: CatalogObjectEvent): CatalogState {
  const fact = /(Created|Changed|Deleted|ValueSet)$/.exec(e.type)![1]!;
  const kind = KIND_OF_PREFIX[e.type.slice(0, -fact.length)]!;
  switch (fact) {
    case 'Created': {
      const { owner, name, ...attributes } = e.data as { owner: string; name: string };
      return { object: { kind, owner, name, attributes, created_at: e.at, updated_at: e.at } as CatalogObject };
    }
    case 'Changed':
      return state.object ? { object: { ...state.object, attributes: { ...(e.data as object) } as CatalogObject['attributes'], updated_at: e.at } } : state;
    case 'ValueSet':
      return state.object ? { object: { ...state.object, updated_at: e.at } } : state;
    default:
      return { object: null };
  }
}

export const catalogDecider: Decider<CatalogCommand, CatalogObjectEvent, CatalogState> = {
  initialState: { object: null },
  decide,
  evolve,
};
