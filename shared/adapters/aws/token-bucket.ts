/**
 * A token bucket: up to `burst` calls at once, then `ratePerSecond` on average — the shape in
 * which AWS documents (and enforces) its API and launch rates, and the one the API's own rate
 * limits use (functions/api/middlewares/caller-buckets.ts). Time comes from the caller, so a
 * test can drive it with fake time.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new Error(`token bucket needs a positive rate and a burst of at least 1 (got ${ratePerSecond}/s, ${burst})`);
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes a token and returns 0, or returns the milliseconds until one will be there. */
  take(): number {
    const wait = this.peek();
    if (wait === 0) this.tokens -= 1;
    return wait;
  }

  /** The milliseconds until a token will be there (0: one is there now), taking none. */
  peek(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
  }

  /**
   * Empties the bucket. When the service throttles us, its bucket is empty whatever ours says
   * (other processes share the account's rate), so we wait for a refill before the next call.
   */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.now();
    const elapsedMs = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
    this.refilledAt = now;
  }
}
