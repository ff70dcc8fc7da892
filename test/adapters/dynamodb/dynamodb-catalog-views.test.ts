import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoCatalogViews } from '../../../shared/adapters/dynamodb/dynamodb-catalog-views.ts';
import type { CatalogObject } from '../../../shared/domain/catalog/catalog-object.ts';

let dynamo: EmbeddedDynamo;
let views: DynamoCatalogViews;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  views = new DynamoCatalogViews(dynamo.client, dynamo.tables.views);
});

afterAll(async () => {
  await dynamo?.close();
});

const times = { created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
const secret = (owner: string, name: string, description: string | null = null): CatalogObject => ({ kind: 'secret', owner, name, attributes: { description, access: 'owner' }, ...times });
const image: CatalogObject = { kind: 'image', owner: 'ann', name: 'torch', attributes: { uri: 'ghcr.io/acme/torch', tags: [], ide: null }, ...times };

describe('DynamoCatalogViews', () => {
  it('lists one kind by owner and name, never going back to an older version, and keeps deletions', async () => {
    // Prepare
    await views.put(secret('ml', 'b', 'v2'), 2);
    await views.put(secret('ann', 'a'), 1);
    await views.put(image, 1);

    // Act: a late, older batch; a deletion; a redelivered batch from before the deletion.
    await views.put(secret('ml', 'b', 'v1'), 1);
    await views.remove({ kind: 'secret', owner: 'ann', name: 'a' }, 2);
    await views.put(secret('ann', 'a'), 1);

    // Assess
    expect(await views.list('secret')).toEqual([secret('ml', 'b', 'v2')]);
    expect(await views.list('image')).toEqual([image]);
    expect(await views.list('shared_folder')).toEqual([]);
  });

  it('clears every view for a rebuild', async () => {
    await views.clear();
    expect(await views.list('secret')).toEqual([]);
    expect(await views.list('image')).toEqual([]);
  });
});
