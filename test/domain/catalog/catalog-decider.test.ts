import { describe, expect, it } from 'vitest';
import { fold } from '../../../shared/domain/decider.ts';
import { NotFoundError } from '../../../shared/domain/errors.ts';
import { catalogDecider, type CatalogCommand, type CatalogState } from '../../../shared/domain/catalog/catalog-decider.ts';
import type { CatalogObjectEvent } from '../../../events/catalog-object-events.ts';
import { eventSchema } from '../../../events/event-schemas.ts';

const meta = { at: '2026-01-01T00:00:00.000Z', actor: 'ann' };
const later = { at: '2026-01-02T00:00:00.000Z', actor: 'ann' };

const putSecret = (attributes: { description: string | null; access: 'owner' | 'org' }, m = meta): CatalogCommand => ({
  kind: 'PutCatalogObject',
  object: { kind: 'secret', owner: 'ann', name: 'db-password', attributes },
  valueStored: true,
  ...m,
});
const putRole = (allowed: string[], m = meta): CatalogCommand => ({
  kind: 'PutCatalogObject',
  object: { kind: 'iam_role', owner: 'admin', name: 'reader', attributes: { role_arn: 'arn:aws:iam::123456789012:role/cassini-workloads/reader', allowed } },
  ...m,
});
const remove = (objectKind: 'secret' | 'iam_role', name: string, m = meta): CatalogCommand => ({ kind: 'DeleteCatalogObject', objectKind, owner: 'ann', name, ...m });

const secretCreated: CatalogObjectEvent = { type: 'SecretCreated', data: { owner: 'ann', name: 'db-password', description: null, access: 'owner' }, ...meta };

function given(events: CatalogObjectEvent[]) {
  const state = fold(catalogDecider, catalogDecider.initialState, events);
  return {
    when(command: CatalogCommand) {
      return {
        then(expected: CatalogObjectEvent[] | typeof NotFoundError): CatalogState {
          if (typeof expected === 'function') {
            expect(() => catalogDecider.decide(command, state)).toThrow(expected);
            return state;
          }
          const decided = catalogDecider.decide(command, state);
          expect(decided).toEqual(expected);
          for (const e of decided) expect(eventSchema(e.type)!.safeParse(e.data).success, e.type).toBe(true);
          return fold(catalogDecider, state, decided);
        },
      };
    },
  };
}

describe('catalogDecider', () => {
  it('creates a secret with its metadata only', () => {
    // Act / Assess
    const state = given([]).when(putSecret({ description: null, access: 'owner' })).then([secretCreated]);
    expect(state.object).toEqual({
      kind: 'secret',
      owner: 'ann',
      name: 'db-password',
      attributes: { description: null, access: 'owner' },
      created_at: meta.at,
      updated_at: meta.at,
    });
  });

  it('records a new value of an existing secret, and a change of its metadata when there is one', () => {
    given([secretCreated])
      .when(putSecret({ description: null, access: 'owner' }, later))
      .then([{ type: 'SecretValueSet', data: {}, ...later }]);
    const state = given([secretCreated])
      .when(putSecret({ description: 'production', access: 'org' }, later))
      .then([
        { type: 'SecretValueSet', data: {}, ...later },
        { type: 'SecretChanged', data: { description: 'production', access: 'org' }, ...later },
      ]);
    expect(state.object).toMatchObject({ attributes: { description: 'production', access: 'org' }, created_at: meta.at, updated_at: later.at });
  });

  it('decides nothing when an object without a value is put again unchanged', () => {
    // Prepare
    const created = catalogDecider.decide(putRole(['ml']), catalogDecider.initialState);

    // Act / Assess
    given(created).when(putRole(['ml'], later)).then([]);
    given(created)
      .when(putRole(['ml', 'ann'], later))
      .then([{ type: 'IamRoleChanged', data: { role_arn: 'arn:aws:iam::123456789012:role/cassini-workloads/reader', allowed: ['ml', 'ann'] }, ...later }]);
  });

  it('deletes an object, after which the name can be created again', () => {
    const deleted = given([secretCreated]).when(remove('secret', 'db-password', later)).then([{ type: 'SecretDeleted', data: {}, ...later }]);
    expect(deleted.object).toBeNull();
    given([secretCreated, { type: 'SecretDeleted', data: {}, ...later }])
      .when(putSecret({ description: null, access: 'owner' }))
      .then([secretCreated]);
  });

  it('refuses to delete what does not exist, or no longer does', () => {
    given([]).when(remove('iam_role', 'reader')).then(NotFoundError);
    given([secretCreated, { type: 'SecretDeleted', data: {}, ...later }]).when(remove('secret', 'db-password')).then(NotFoundError);
  });

  it('has strict event schemas: an event carrying a value does not fit', () => {
    expect(eventSchema('SecretCreated')!.safeParse({ ...secretCreated.data, value: 'hunter2' }).success).toBe(false);
    expect(eventSchema('SecretValueSet')!.safeParse({ value: 'hunter2' }).success).toBe(false);
  });
});
