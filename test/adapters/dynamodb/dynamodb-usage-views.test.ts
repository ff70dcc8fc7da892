/**
 * The usage views' contract, held by both adapters: the views table (DynamoUsageViews) and the
 * in-memory folds in front of it that local mode reads from (MemoryUsageViews); then what only
 * the in-memory ones promise.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import { DynamoUsageViews } from '../../../shared/adapters/dynamodb/dynamodb-usage-views.ts';
import { MemoryUsageViews, type DurableUsageViews } from '../../../shared/adapters/memory/memory-usage-views.ts';
import type { UsageViews } from '../../../shared/ports/usage-views.ts';
import type { UsageStreamState } from '../../../shared/domain/usage/usage-intervals.ts';

let dynamo: EmbeddedDynamo;
let views: UsageViews;

const durable = () => new DynamoUsageViews(dynamo.client, dynamo.tables.views);
const ADAPTERS: Array<[string, () => Promise<UsageViews>]> = [
  ['DynamoUsageViews', async () => durable()],
  ['MemoryUsageViews', () => MemoryUsageViews.load(durable())],
  [
    'MemoryUsageViews read in the background',
    async () => {
      const views = MemoryUsageViews.readInBackground(durable(), (error) => {
        throw error;
      });
      await views.loaded;
      return views;
    },
  ],
];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

/** A deployment's fold at `version`, one interval per version so versions differ in content too. */
function foldAt(owner: string, version: number): UsageStreamState {
  const intervals = Array.from({ length: version }, (_, i) => ({
    key: `pod-${i}`,
    kind: 'replica' as const,
    resourceId: `${owner}-api`,
    resourceType: 'deployment' as const,
    owner,
    size: 'medium',
    instances: 1,
    start: `2026-12-0${i + 1}T00:00:00.000Z`,
    end: null,
  }));
  return { version, intervals, resource: null, run: null, names: { [`${owner}-api`]: 'api' } };
}

describe.each(ADAPTERS)('%s', (_name, make) => {
  beforeEach(async () => {
    views = await make();
    await views.clear();
  });

  it('stores a fold and reads it back, alone and among all', async () => {
    // Act
    await views.put('resource#deployment#ann#api', foldAt('ann', 2));

    // Assess
    expect(await views.get('resource#deployment#ann#api')).toEqual(foldAt('ann', 2));
    expect(await views.get('resource#deployment#bob#api')).toBeUndefined();
    expect(await views.all()).toEqual([foldAt('ann', 2)]);
  });

  it('keeps the newer fold when an older one arrives late, or the same version again', async () => {
    // Prepare
    await views.put('resource#deployment#ann#api', foldAt('ann', 3));

    // Act
    await views.put('resource#deployment#ann#api', foldAt('ann', 2));
    await views.put('resource#deployment#ann#api', { ...foldAt('ann', 3), names: {} });

    // Assess
    expect(await views.get('resource#deployment#ann#api')).toEqual(foldAt('ann', 3));
  });

  it('replaces a fold by a newer one', async () => {
    // Prepare
    await views.put('resource#deployment#ann#api', foldAt('ann', 1));

    // Act
    await views.put('resource#deployment#ann#api', foldAt('ann', 4));

    // Assess
    expect(await views.get('resource#deployment#ann#api')).toEqual(foldAt('ann', 4));
    expect(await views.all()).toEqual([foldAt('ann', 4)]);
  });

  it('gives every fold in stream id order, whatever order they were written in', async () => {
    // Act
    for (const owner of ['carol', 'ann', 'bob']) await views.put(`resource#deployment#${owner}#api`, foldAt(owner, 1));

    // Assess
    expect((await views.all()).map((fold) => fold.intervals[0]!.owner)).toEqual(['ann', 'bob', 'carol']);
  });

  it('empties on clear', async () => {
    // Prepare
    await views.put('resource#deployment#ann#api', foldAt('ann', 1));

    // Act
    await views.clear();

    // Assess
    expect(await views.all()).toEqual([]);
    expect(await views.get('resource#deployment#ann#api')).toBeUndefined();
  });
});

describe('MemoryUsageViews, beyond the contract', () => {
  beforeEach(async () => {
    await durable().clear();
  });

  it('starts from what the durable views hold: a restart reads what was written', async () => {
    // Prepare
    const before = await MemoryUsageViews.load(durable());
    await before.put('resource#deployment#ann#api', foldAt('ann', 2));
    await before.put('resource#deployment#bob#api', foldAt('bob', 1));

    // Act
    const after = await MemoryUsageViews.load(durable());

    // Assess
    expect(await after.all()).toEqual([foldAt('ann', 2), foldAt('bob', 1)]);
    expect(await durable().all()).toEqual(await after.all());
  });

  it('hands out folds no caller can change', async () => {
    // Prepare
    const views = await MemoryUsageViews.load(durable());
    await views.put('resource#deployment#ann#api', foldAt('ann', 1));
    const [fold] = await views.all();

    // Act + Assess
    expect(() => fold!.intervals.push(foldAt('ann', 1).intervals[0]!)).toThrow(TypeError);
    expect(() => (fold!.version = 9)).toThrow(TypeError);
    await expect(views.all().then((all) => all.pop())).rejects.toThrow(TypeError);
    expect(await views.get('resource#deployment#ann#api')).toEqual(foldAt('ann', 1));
  });

  it('keeps no reference to what a writer passed: changing it afterwards changes nothing held', async () => {
    // Prepare
    const views = await MemoryUsageViews.load(durable());
    const written = foldAt('ann', 1);

    // Act
    await views.put('resource#deployment#ann#api', written);
    written.names = {};

    // Assess
    expect(await views.get('resource#deployment#ann#api')).toEqual(foldAt('ann', 1));
  });

  it('read in the background: answers before the history is read, each fold on its own meanwhile, and what needs them all after', async () => {
    // Prepare: two folds on disk, and durable views whose full read is held until released
    await durable().put('resource#deployment#ann#api', foldAt('ann', 2));
    await durable().put('resource#deployment#bob#api', foldAt('bob', 1));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const real = durable();
    // What the read will find: the table as it was when the read began.
    const found: Array<{ streamId: string; usage: UsageStreamState }> = [];
    for await (const entry of real.entries()) found.push(entry);
    const slow: DurableUsageViews = {
      get: (streamId) => real.get(streamId),
      put: (streamId, usage) => real.put(streamId, usage),
      all: () => real.all(),
      clear: () => real.clear(),
      async *entries() {
        await held;
        yield* found;
      },
    };

    // Act
    const views = MemoryUsageViews.readInBackground(slow, (error) => {
      throw error;
    });
    const one = await views.get('resource#deployment#ann#api');
    await views.put('resource#deployment#bob#api', foldAt('bob', 3));
    let everything: UsageStreamState[] | undefined;
    const all = views.all().then((folds) => (everything = folds));
    await Promise.resolve();
    const beforeTheRead = everything;
    release();
    await all;

    // Assess: the write made meanwhile is not taken back by the older fold the read found
    expect(one).toEqual(foldAt('ann', 2));
    expect(beforeTheRead).toBeUndefined();
    expect(everything).toEqual([foldAt('ann', 2), foldAt('bob', 3)]);
  });
});
