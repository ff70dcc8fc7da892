import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../support/decider-spec.ts';
import { NotFoundError } from '../../../shared/domain/errors.ts';
import { catalogDecider, type CatalogCommand } from '../../../shared/domain/catalog/catalog-decider.ts';
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

const given = deciderSpec(catalogDecider);

describe('catalogDecider', () => {
  it('creates a secret with its metadata only', () => {
    // Act / Assess
    const { state } = given([]).when(putSecret({ description: null, access: 'owner' })).then([secretCreated], { replayDecidesNothing: false });
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
      .then([{ type: 'SecretValueSet', data: {}, ...later }], { replayDecidesNothing: false });
    const { state } = given([secretCreated])
      .when(putSecret({ description: 'production', access: 'org' }, later))
      .then([
        { type: 'SecretValueSet', data: {}, ...later },
        { type: 'SecretChanged', data: { description: 'production', access: 'org' }, ...later },
      ], { replayDecidesNothing: false });
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
    const { state: deleted } = given([secretCreated]).when(remove('secret', 'db-password', later)).then([{ type: 'SecretDeleted', data: {}, ...later }], { replayDecidesNothing: false });
    expect(deleted.object).toBeNull();
    given([secretCreated, { type: 'SecretDeleted', data: {}, ...later }])
      .when(putSecret({ description: null, access: 'owner' }))
      .then([secretCreated], { replayDecidesNothing: false });
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
