import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LaunchQueue, RetriesExhaustedError, RetryableLaunchError } from '../../../../shared/adapters/aws/tasks/launch-queue.ts';
import { TokenBucket } from '../../../../shared/adapters/aws/token-bucket.ts';

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/rate seconds', () => {
    // Prepare
    let now = 0;
    const bucket = new TokenBucket(20, 100, () => now);

    // Act
    const granted = Array.from({ length: 100 }, () => bucket.take());
    const waitWhenEmpty = bucket.take();
    now += 50;
    const afterOneRefill = bucket.take();

    // Assess
    expect(granted.every((wait) => wait === 0)).toBe(true);
    expect(waitWhenEmpty).toBe(50);
    expect(afterOneRefill).toBe(0);
  });

  it('refills no further than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket(20, 5, () => now);
    for (let i = 0; i < 5; i++) bucket.take();

    now += 60_000;
    const granted = Array.from({ length: 6 }, () => bucket.take());

    expect(granted.filter((wait) => wait === 0)).toHaveLength(5);
  });

  it('empties when drained, whatever it held', () => {
    const bucket = new TokenBucket(20, 100, () => 0);

    bucket.drain();

    expect(bucket.take()).toBe(50);
  });

  it('refuses a rate or burst that could never grant a token', () => {
    expect(() => new TokenBucket(0, 10, () => 0)).toThrow();
    expect(() => new TokenBucket(10, 0, () => 0)).toThrow();
  });
});

describe('LaunchQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts the burst at once and the rest at the refill rate, in order', async () => {
    // Prepare
    const queue = new LaunchQueue({ ratePerSecond: 20, burst: 100 });
    const startedAt: number[] = [];

    // Act
    const all = Promise.all(Array.from({ length: 150 }, (_, i) => queue.submit(async () => (startedAt.push(Date.now()), i))));
    await vi.advanceTimersByTimeAsync(0);
    const atOnce = startedAt.length;
    await vi.advanceTimersByTimeAsync(1_000);
    const afterOneSecond = startedAt.length;
    await vi.advanceTimersByTimeAsync(2_000);

    // Assess
    expect(await all).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(atOnce).toBe(100);
    expect(afterOneSecond).toBe(120);
    expect(startedAt.at(-1)).toBe(2_500);
  });

  it('retries what says it may succeed later, after a backoff', async () => {
    const queue = new LaunchQueue({ random: () => 1, baseDelayMs: 500 });
    const attemptsAt: number[] = [];
    const result = queue.submit(async () => {
      attemptsAt.push(Date.now());
      if (attemptsAt.length < 3) throw new RetryableLaunchError('capacity unavailable', { throttled: false });
      return 'started';
    });

    await vi.advanceTimersByTimeAsync(10_000);

    await expect(result).resolves.toBe('started');
    // Full jitter at its top: 500 ms, then 1,000 ms.
    expect(attemptsAt).toEqual([0, 500, 1_500]);
  });

  it('fails at once on an error that is not retryable', async () => {
    const queue = new LaunchQueue();
    const attempt = vi.fn(async () => {
      throw new Error('AccessDeniedException');
    });

    const assertion = expect(queue.submit(attempt)).rejects.toThrow('AccessDeniedException');
    await vi.advanceTimersByTimeAsync(0);

    await assertion;
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('gives up after the last attempt, saying why', async () => {
    const queue = new LaunchQueue({ maxAttempts: 3, random: () => 0.5 });
    const result = queue.submit(async () => {
      throw new RetryableLaunchError('Rate exceeded', { throttled: true });
    });
    const assertion = expect(result).rejects.toThrow(new RetriesExhaustedError(3, new RetryableLaunchError('Rate exceeded', { throttled: true })));

    await vi.advanceTimersByTimeAsync(60_000);

    await assertion;
  });

  it('waits for a refill after a throttle, even with tokens left', async () => {
    // Prepare: a bucket of 10; the first launch is throttled at once.
    const queue = new LaunchQueue({ ratePerSecond: 20, burst: 10, random: () => 0 });
    const startedAt: number[] = [];
    let first = true;
    const throttledOnce = queue.submit(async () => {
      if (first) {
        first = false;
        throw new RetryableLaunchError('Rate exceeded', { throttled: true });
      }
      startedAt.push(Date.now());
    });
    await vi.advanceTimersByTimeAsync(0);

    // Act: more launches arrive while the bucket would still hold 9 tokens.
    const others = Array.from({ length: 3 }, () => queue.submit(async () => void startedAt.push(Date.now())));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([throttledOnce, ...others]);

    // Assess: nothing went out before a token was earned again, then one per 50 ms.
    expect(startedAt).toEqual([50, 100, 150, 200]);
  });
});
