/**
 * The recipe views' contract, held by both adapters: the views table (DynamoRecipeViews) and
 * the in-memory views in front of it that local mode lists from (MemoryRecipeViews); then what
 * only the in-memory ones promise.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoRecipeViews } from '../../../shared/adapters/dynamodb/dynamodb-recipe-views.ts';
import { MemoryRecipeViews } from '../../../shared/adapters/memory/memory-recipe-views.ts';
import { InvalidCursorError, type RecipeKey, type RecipeQuery, type RecipeView, type RecipeViews } from '../../../shared/ports/recipe-views.ts';
import type { ResourceType } from '../../../shared/domain/recipe/spec-schemas.ts';
import type { LiveResource } from '../../../shared/domain/resource/resource-decider.ts';
import { NO_RUNS } from '../../../shared/domain/resource/job-runs.ts';
import { NO_SERVICE } from '../../../shared/domain/resource/service-replicas.ts';

let dynamo: EmbeddedDynamo;
let views: RecipeViews;

const durable = () => new DynamoRecipeViews(dynamo.client, dynamo.tables.views);
const ADAPTERS: Array<[string, () => Promise<RecipeViews>]> = [
  ['DynamoRecipeViews', async () => durable()],
  ['MemoryRecipeViews', () => MemoryRecipeViews.load(durable())],
];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  await views.clear();
});

function viewOf(key: RecipeKey, version = 1): RecipeView {
  const at = '2025-01-01T00:00:00.000Z';
  const common = { id: `${key.owner}-${key.type}-${key.name}`, owner: key.owner, name: key.name, status: 'stopped' as const, reason: null, createdAt: at, updatedAt: at, firstStreamVersion: 1 };
  const spec = { name: key.name, owner: key.owner, image: 'python:3.12', instance_type: 'medium', description: `version ${version}` };
  const resource: LiveResource =
    key.type === 'job'
      ? { ...common, type: 'job', spec: { ...spec, command: 'run', scale: 1, concurrency_policy: 'Allow', retries: 0, schedule_timezone: 'UTC' }, scheduleSuspended: false, runs: NO_RUNS }
      : key.type === 'deployment'
        ? { ...common, type: 'deployment', spec: { ...spec, command: 'serve', scale: 1, healthcheck: '/', subdomain: key.name }, service: NO_SERVICE }
        : { ...common, type: 'workspace', spec: { ...spec, ide: 'jupyter', auto_shutoff: '1 hour', disk_space: '10Gi' }, service: NO_SERVICE };
  return { version, resource };
}

const key = (owner: string, type: ResourceType, name: string): RecipeKey => ({ owner, type, name });

async function putAll(keys: RecipeKey[]): Promise<void> {
  await Promise.all(keys.map((k) => views.put(k, viewOf(k), 1)));
}

/** Names as `owner/type/name`, the way listings are compared below. */
function labels(list: RecipeView[]): string[] {
  return list.map((v) => `${v.resource.owner}/${v.resource.type}/${v.resource.name}`);
}

/** Every page of a listing, following cursors to the end. */
async function pages(query: Omit<RecipeQuery, 'cursor'>): Promise<string[][]> {
  const out: string[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await views.list({ ...query, cursor });
    out.push(labels(page.views));
    if (page.cursor === null) return out;
    cursor = page.cursor;
  }
  throw new Error('the listing never ended');
}

// Three owners with mixed types; 'an' is a prefix of 'ann' and must not leak into her listing.
const population = [
  key('ann', 'job', 'etl'),
  key('ann', 'job', 'train'),
  key('ann', 'workspace', 'lab'),
  key('ann', 'deployment', 'api'),
  key('an', 'job', 'train'),
  key('bob', 'job', 'train-2'),
  key('bob', 'workspace', 'lab'),
  key('ml', 'job', 'tune'),
  key('ml', 'deployment', 'serve'),
];

describe.each(ADAPTERS)('%s', (_name, make) => {
  beforeAll(async () => {
    views = await make();
  });

  describe('put and remove', () => {
    it('stores a view and lists it back', async () => {
      const k = key('ann', 'job', 'train');
      await views.put(k, viewOf(k, 3), 5);
      expect((await views.list({ owners: ['ann'], pageSize: 10 })).views).toEqual([viewOf(k, 3)]);
    });

    it('keeps the newer view when an older one arrives late', async () => {
      const k = key('ann', 'job', 'train');
      await views.put(k, viewOf(k, 2), 2);
      await views.put(k, viewOf(k, 1), 1);
      await views.put(k, viewOf(k, 9), 2);
      expect((await views.list({ owners: ['ann'], pageSize: 10 })).views).toEqual([viewOf(k, 2)]);
    });

    it('does not resurrect a removed view from an older version', async () => {
      const k = key('ann', 'job', 'train');
      await views.put(k, viewOf(k, 1), 1);
      await views.remove(k, 2);
      await views.put(k, viewOf(k, 1), 1);
      expect((await views.list({ owners: ['ann'], pageSize: 10 })).views).toEqual([]);
    });

    it('ignores a removal older than the view', async () => {
      const k = key('ann', 'job', 'train');
      await views.put(k, viewOf(k, 3), 3);
      await views.remove(k, 2);
      expect(labels((await views.list({ owners: ['ann'], pageSize: 10 })).views)).toEqual(['ann/job/train']);
    });

    it('shows a view again once a newer version re-creates it', async () => {
      const k = key('ann', 'job', 'train');
      await views.put(k, viewOf(k, 1), 1);
      await views.remove(k, 2);
      await views.put(k, viewOf(k, 1), 3);
      expect((await views.list({ owners: ['ann'], pageSize: 10 })).views).toEqual([viewOf(k, 1)]);
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await putAll(population);
    });

    it("lists the given owners' views by owner, type and name, and no one else's", async () => {
      expect(await pages({ owners: ['bob', 'ann'], pageSize: 100 })).toEqual([
        ['ann/deployment/api', 'ann/job/etl', 'ann/job/train', 'ann/workspace/lab', 'bob/job/train-2', 'bob/workspace/lab'],
      ]);
    });

    it('lists everything for all', async () => {
      const [all] = await pages({ owners: 'all', pageSize: 100 });
      expect(all).toHaveLength(population.length);
      expect(new Set(all)).toEqual(new Set(population.map((k) => `${k.owner}/${k.type}/${k.name}`)));
    });

    it('lists nothing for no owners', async () => {
      expect(await views.list({ owners: [], pageSize: 10 })).toEqual({ views: [], cursor: null });
    });

    it('filters by type, for owners and for all', async () => {
      expect((await pages({ owners: ['ann', 'ml'], type: 'job', pageSize: 100 })).flat()).toEqual(['ann/job/etl', 'ann/job/train', 'ml/job/tune']);
      expect(new Set((await pages({ owners: 'all', type: 'workspace', pageSize: 100 })).flat())).toEqual(new Set(['ann/workspace/lab', 'bob/workspace/lab']));
    });

    it('filters by name prefix, with and without a type, for owners and for all', async () => {
      expect((await pages({ owners: ['ann'], type: 'job', namePrefix: 'tr', pageSize: 100 })).flat()).toEqual(['ann/job/train']);
      expect((await pages({ owners: ['ann', 'bob'], namePrefix: 'la', pageSize: 100 })).flat()).toEqual(['ann/workspace/lab', 'bob/workspace/lab']);
      expect(new Set((await pages({ owners: 'all', namePrefix: 'train', pageSize: 100 })).flat())).toEqual(
        new Set(['ann/job/train', 'an/job/train', 'bob/job/train-2']),
      );
      expect(new Set((await pages({ owners: 'all', type: 'job', namePrefix: 't', pageSize: 100 })).flat())).toEqual(
        new Set(['ann/job/train', 'an/job/train', 'bob/job/train-2', 'ml/job/tune']),
      );
    });

    it.each([[1], [2], [3], [4], [5]])('pages through owners with page size %i, each view once and in order', async (pageSize) => {
      // Act
      const listed = await pages({ owners: ['ml', 'bob', 'ann'], pageSize });

      // Assess
      for (const page of listed) expect(page.length).toBeLessThanOrEqual(pageSize);
      expect(listed.flat()).toEqual([
        'ann/deployment/api',
        'ann/job/etl',
        'ann/job/train',
        'ann/workspace/lab',
        'bob/job/train-2',
        'bob/workspace/lab',
        'ml/deployment/serve',
        'ml/job/tune',
      ]);
      expect(listed[0]).toHaveLength(pageSize);
    });

    it.each([[1], [2], [4]])('pages through all with page size %i, each view once', async (pageSize) => {
      const listed = (await pages({ owners: 'all', pageSize })).flat();
      expect(listed).toHaveLength(population.length);
      expect(new Set(listed).size).toBe(population.length);
    });

    it('pages through a filtered listing past removed views', async () => {
      // Prepare: tombstones between the live views
      await views.remove(key('ann', 'job', 'etl'), 5);
      await views.remove(key('ann', 'deployment', 'api'), 5);

      // Act
      const listed = await pages({ owners: ['ann', 'bob'], pageSize: 2 });

      // Assess
      expect(listed.flat()).toEqual(['ann/job/train', 'ann/workspace/lab', 'bob/job/train-2', 'bob/workspace/lab']);
    });

    it('refuses a cursor it did not issue', async () => {
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      for (const cursor of ['not a cursor', forged(null), forged({ o: -1, k: null }), forged({ o: 0.5, k: null }), forged({ o: 0, k: 5 }), forged('x')]) {
        await expect(views.list({ owners: ['ann'], pageSize: 2, cursor })).rejects.toThrow(InvalidCursorError);
      }
    });

    it('refuses a cursor of another listing, and a well-formed one pointing outside the listing', async () => {
      // Prepare
      await putAll([key('ann', 'job', 'a'), key('ann', 'job', 'b'), key('ann', 'job', 'c')]);
      const first = await views.list({ owners: ['ann'], type: 'job', pageSize: 1 });
      const fields = JSON.parse(Buffer.from(first.cursor!, 'base64url').toString('utf8')) as Record<string, unknown>;
      const outside = Buffer.from(JSON.stringify({ ...fields, k: 'zzz' })).toString('base64url');

      // Act / Assess
      await expect(views.list({ owners: ['ann'], type: 'workspace', pageSize: 1, cursor: first.cursor! })).rejects.toThrow(InvalidCursorError);
      await expect(views.list({ owners: ['ann'], type: 'job', pageSize: 1, cursor: outside })).rejects.toThrow(InvalidCursorError);
      expect(labels((await views.list({ owners: ['ann'], type: 'job', pageSize: 1, cursor: first.cursor! })).views)).toEqual(['ann/job/b']);
    });
  });

  describe('clear', () => {
    it('empties the listing, however many views there are', async () => {
      // Prepare: more than one page of the clearing query
      await putAll(Array.from({ length: 60 }, (_, i) => key(`user${i % 3}`, 'job', `job-${i}`)));
      await views.remove(key('user0', 'job', 'job-0'), 2);

      // Act
      await views.clear();

      // Assess
      expect(await views.list({ owners: 'all', pageSize: 1000 })).toEqual({ views: [], cursor: null });
      // A cleared view can be written again from its first version.
      await views.put(key('user0', 'job', 'job-0'), viewOf(key('user0', 'job', 'job-0')), 1);
      expect(labels((await views.list({ owners: ['user0'], pageSize: 100 })).views)).toEqual(['user0/job/job-0']);
    });
  });
});

describe('MemoryRecipeViews, beyond the contract', () => {
  it('starts from what the durable views hold, tombstones included: a restart lists what was written', async () => {
    // Prepare: written through one in-memory copy
    const before = await MemoryRecipeViews.load(durable());
    await before.clear();
    await Promise.all(population.map((k) => before.put(k, viewOf(k), 1)));
    await before.remove(key('ann', 'job', 'etl'), 2);

    // Act
    const after = await MemoryRecipeViews.load(durable());
    await after.put(key('ann', 'job', 'etl'), viewOf(key('ann', 'job', 'etl')), 1);

    // Assess: the same answers, and the tombstone still stops an older view
    views = before;
    const listedBefore = await pages({ owners: 'all', pageSize: 3 });
    views = after;
    expect(await pages({ owners: 'all', pageSize: 3 })).toEqual(listedBefore);
    expect(listedBefore.flat()).not.toContain('ann/job/etl');
  });

  it('gives the same pages as the durable views for every kind of query', async () => {
    // Prepare
    const memory = await MemoryRecipeViews.load(durable());
    await memory.clear();
    await Promise.all(population.map((k) => memory.put(k, viewOf(k), 1)));
    await memory.remove(key('bob', 'workspace', 'lab'), 2);
    const queries: Array<Omit<RecipeQuery, 'cursor'>> = [
      { owners: 'all', pageSize: 2 },
      { owners: 'all', type: 'job', pageSize: 2 },
      { owners: 'all', namePrefix: 'tr', pageSize: 1 },
      { owners: ['ann', 'bob', 'ml'], pageSize: 3 },
      { owners: ['ann', 'an'], type: 'job', namePrefix: 'tr', pageSize: 1 },
      { owners: ['bob'], namePrefix: 'lab', pageSize: 5 },
    ];

    for (const query of queries) {
      // Act
      views = memory;
      const fromMemory = await pages(query);
      views = durable();
      const fromTable = await pages(query);

      // Assess
      expect(fromMemory, JSON.stringify(query)).toEqual(fromTable);
    }
  });

  it('hands out views no caller can change', async () => {
    // Prepare
    const memory = await MemoryRecipeViews.load(durable());
    const k = key('ann', 'job', 'frozen');
    await memory.put(k, viewOf(k), 1);

    // Act
    const [listed] = (await memory.list({ owners: ['ann'], type: 'job', namePrefix: 'frozen', pageSize: 1 })).views;

    // Assess
    expect(() => ((listed!.resource as { status: string }).status = 'running')).toThrow(TypeError);
    expect((await memory.list({ owners: ['ann'], type: 'job', namePrefix: 'frozen', pageSize: 1 })).views[0]!.resource.status).toBe('stopped');
  });
});
