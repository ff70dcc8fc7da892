/**
 * Launches drained at the rate ECS accepts them. Fargate refills task launches at 20 per
 * second with a burst of 100; 1,000 runs due at midnight would otherwise hit that wall as
 * 900 throttling errors. The queue holds every launch, starts them as tokens come in, and
 * puts a throttled or failed-in-transit attempt back (at the front: it has waited longest)
 * after an exponential backoff with full jitter. An attempt is retried only when it says it
 * may be (`RetryableLaunchError`), and it must be idempotent — the launcher's clientToken
 * makes RunTask so — because a timed-out attempt may have started the task.
 *
 * The bucket is per process. ECS's limit is per account and Region, so several processes
 * launching at once should share the rate (e.g. `ratePerSecond: 20 / concurrency`); the
 * retries cover what sharing misses.
 */
import { TokenBucket } from '../token-bucket.ts';

/** An attempt that may succeed later: throttled, out of capacity for now, or lost in transit. */
export class RetryableLaunchError extends Error {
  /** The service said we are too fast: the queue also empties its bucket. */
  readonly throttled: boolean;

  constructor(message: string, options: { throttled: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'RetryableLaunchError';
    this.throttled = options.throttled;
  }
}

export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: RetryableLaunchError,
  ) {
    super(`${lastError.message} (gave up after ${attempts} attempts)`, { cause: lastError });
    this.name = 'RetriesExhaustedError';
  }
}

export interface QueueClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

// Read the globals at call time, so fake timers installed after construction still apply.
const systemClock: QueueClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface LaunchQueueOptions {
  /** Default 20: Fargate's documented launch refill rate. */
  ratePerSecond?: number;
  /** Default 100: Fargate's documented launch burst. */
  burst?: number;
  /** Attempts per launch, the first included; default 10. */
  maxAttempts?: number;
  /** The first retry waits up to this long; each further one up to twice as long. Default 500 ms. */
  baseDelayMs?: number;
  /** No retry waits longer than this; default 20 s. */
  maxDelayMs?: number;
  clock?: QueueClock;
  /** [0, 1), for jitter; injectable so a test is repeatable. */
  random?: () => number;
}

interface Entry {
  attempt: () => Promise<unknown>;
  attempts: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class LaunchQueue {
  private readonly bucket: TokenBucket;
  private readonly clock: QueueClock;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly ready: Entry[] = [];
  private pumping = false;

  constructor(options: LaunchQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.bucket = new TokenBucket(options.ratePerSecond ?? 20, options.burst ?? 100, () => this.clock.now());
  }

  /** Runs `attempt` when a token is free, again after a backoff while it throws `RetryableLaunchError`. */
  submit<T>(attempt: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ready.push({ attempt, attempts: 0, resolve: resolve as (value: unknown) => void, reject });
      this.pump();
    });
  }

  /** Launches waiting for a token (not those in flight or backing off). */
  get waiting(): number {
    return this.ready.length;
  }

  // One loop hands out tokens, so the rate holds however many launches wait.
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.ready.length > 0) {
        const waitMs = this.bucket.take();
        if (waitMs > 0) {
          await this.clock.sleep(waitMs);
          continue;
        }
        void this.dispatch(this.ready.shift()!);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async dispatch(entry: Entry): Promise<void> {
    entry.attempts += 1;
    try {
      entry.resolve(await entry.attempt());
      return;
    } catch (error) {
      if (!(error instanceof RetryableLaunchError)) return entry.reject(error);
      if (entry.attempts >= this.maxAttempts) return entry.reject(new RetriesExhaustedError(entry.attempts, error));
      if (error.throttled) this.bucket.drain();
    }
    await this.clock.sleep(this.backoffMs(entry.attempts));
    this.ready.unshift(entry);
    this.pump();
  }

  /** "Full jitter": uniformly up to the exponential cap, which spreads retries of a burst the most. */
  private backoffMs(attempts: number): number {
    return Math.round(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempts - 1)));
  }
}
