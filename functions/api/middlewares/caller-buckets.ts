/**
 * One token bucket per caller (a username or a client address), for the API's rate limits. The
 * number of callers tracked is bounded, so a flood of addresses cannot grow memory without end:
 * past the bound the longest-tracked caller is forgotten (it starts again with a full bucket).
 */
import { TokenBucket } from '../../../shared/adapters/aws/token-bucket.ts';

export interface BucketOptions {
  /** Sustained rate per caller. */
  ratePerSecond: number;
  /** What a caller may use at once after being idle. */
  burst: number;
  now?: () => number;
}

const MAX_TRACKED_CALLERS = 10_000;

export class CallerBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly now: () => number;

  constructor(private readonly options: BucketOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /** The caller's bucket, a full one for a caller not tracked. */
  of(caller: string): TokenBucket {
    let bucket = this.buckets.get(caller);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED_CALLERS) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = new TokenBucket(this.options.ratePerSecond, this.options.burst, this.now);
      this.buckets.set(caller, bucket);
    }
    return bucket;
  }
}

/** `Retry-After` in whole seconds for a wait in milliseconds. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
