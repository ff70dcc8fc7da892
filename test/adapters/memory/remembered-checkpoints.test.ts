import { describe, expect, it } from 'vitest';
import { RememberedCheckpoints } from '../../../shared/adapters/memory/remembered-checkpoints.ts';
import type { Checkpoints } from '../../../shared/ports/checkpoints.ts';

/** Durable checkpoints in a map, counting the reads that reach them; `hold` keeps the next read pending. */
function durable() {
  const stored = new Map<string, number>();
  let reads = 0;
  let held: { release: () => void } | undefined;
  const checkpoints: Checkpoints = {
    async get(consumer, streamId) {
      reads++;
      const value = stored.get(`${consumer}/${streamId}`) ?? 0;
      if (held) await new Promise<void>((resolve) => (held!.release = resolve));
      return value;
    },
    async advance(consumer, streamId, version) {
      const key = `${consumer}/${streamId}`;
      stored.set(key, Math.max(version, stored.get(key) ?? 0));
    },
  };
  return { checkpoints, stored, reads: () => reads, hold: () => (held = { release: () => undefined }), release: () => held!.release() };
}

describe('RememberedCheckpoints', () => {
  it('reads each checkpoint from the store once, and answers an advance from memory after storing it', async () => {
    // Prepare
    const store = durable();
    store.stored.set('projector/run-1', 4);
    const checkpoints = new RememberedCheckpoints(store.checkpoints);

    // Act
    const first = await checkpoints.get('projector', 'run-1');
    await checkpoints.advance('projector', 'run-1', 6);
    const second = await checkpoints.get('projector', 'run-1');

    // Assess
    expect([first, second]).toEqual([4, 6]);
    expect(store.reads()).toBe(1);
    expect(store.stored.get('projector/run-1')).toBe(6);
  });

  it('never takes a checkpoint back: a read that returns after an advance keeps the advance', async () => {
    // Prepare
    const store = durable();
    const checkpoints = new RememberedCheckpoints(store.checkpoints);
    store.hold();

    // Act: a read of 0 is under way while the checkpoint advances to 3
    const reading = checkpoints.get('reactor', 'job-1');
    await checkpoints.advance('reactor', 'job-1', 3);
    store.release();

    // Assess
    expect(await reading).toBe(3);
    expect(await checkpoints.get('reactor', 'job-1')).toBe(3);
  });

  it('forgets the least recently used beyond its capacity, and reads a forgotten one again', async () => {
    // Prepare
    const store = durable();
    const checkpoints = new RememberedCheckpoints(store.checkpoints, 2);
    await checkpoints.advance('c', 'a', 1);
    await checkpoints.advance('c', 'b', 2);
    await checkpoints.get('c', 'a'); // a is now the most recently used

    // Act
    await checkpoints.advance('c', 'd', 4);
    const before = store.reads();
    const answers = [await checkpoints.get('c', 'a'), await checkpoints.get('c', 'b')];

    // Assess: a was remembered, b had to be read again
    expect(answers).toEqual([1, 2]);
    expect(store.reads() - before).toBe(1);
  });

  it('answers 0 without a read for every consumer of a stream this process has just created, and advances from there', async () => {
    // Prepare
    const store = durable();
    const checkpoints = new RememberedCheckpoints(store.checkpoints);

    // Act
    checkpoints.streamCreated('run-new');
    const first = [await checkpoints.get('projector', 'run-new'), await checkpoints.get('reactor', 'run-new')];
    await checkpoints.advance('projector', 'run-new', 1);

    // Assess
    expect(first).toEqual([0, 0]);
    expect(await checkpoints.get('projector', 'run-new')).toBe(1);
    expect(store.reads()).toBe(0);
    expect(await checkpoints.get('projector', 'run-old')).toBe(0);
    expect(store.reads()).toBe(1);
  });

  it('keeps consumers apart: one consumer\'s checkpoint on a stream is not another\'s', async () => {
    // Prepare
    const checkpoints = new RememberedCheckpoints(durable().checkpoints);

    // Act
    await checkpoints.advance('projector', 'run-1', 5);

    // Assess
    expect(await checkpoints.get('reactor', 'run-1')).toBe(0);
  });
});
