import { describe, expect, it } from 'vitest';
import { DeferredTimers } from '../../../shared/adapters/aws/deferred-timers.ts';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const clock = { now: () => NOW };

describe('DeferredTimers', () => {
  it('runs an action due now or in the past at once, and settle waits for it', async () => {
    const timers = new DeferredTimers(clock);
    const ran: string[] = [];
    timers.at('launch:a', NOW, async () => void ran.push('a'));
    timers.at('launch:b', new Date(NOW.getTime() - 1000), async () => void ran.push('b'));
    await timers.settle();
    expect(ran.sort()).toEqual(['a', 'b']);
  });

  it('leaves a later action to the reconciler: it never runs here', async () => {
    const timers = new DeferredTimers(clock);
    let ran = false;
    timers.at('timeout:a', new Date(NOW.getTime() + 60_000), async () => void (ran = true));
    await timers.settle();
    expect(ran).toBe(false);
    expect([...timers.deferred]).toEqual(['timeout:a']);
    timers.cancel('timeout:a');
    expect([...timers.deferred]).toEqual([]);
  });

  it('rejects settle with the failure of an action, once', async () => {
    const timers = new DeferredTimers(clock);
    timers.at('launch:a', NOW, async () => {
      throw new Error('ECS throttled');
    });
    await expect(timers.settle()).rejects.toThrow('ECS throttled');
    await expect(timers.settle()).resolves.toBeUndefined();
  });
});
