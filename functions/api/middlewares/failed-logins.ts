/**
 * Failed logins, limited per client address: each request whose token is refused (unknown,
 * revoked, expired, malformed) takes from its address's bucket, and once the bucket is empty the
 * address gets `429 throttled` with `Retry-After` before its token is even looked up — so
 * guessing and floods of bad tokens cost one bucket check, not a read of the store.
 *
 * A token that authenticated from anywhere recently is let through even then: callers sharing an
 * address (locally every task and user is 127.0.0.1; on AWS, a NAT) keep working while one of them
 * keeps failing, and what the guard slows down is only tokens it has never seen succeed.
 */
import { HttpError } from './error-contract.ts';
import { CallerBuckets, retryAfterSeconds, type BucketOptions } from './caller-buckets.ts';

/** How many failed logins an address may have at once, and how fast it earns more. */
export type FailedLoginOptions = BucketOptions;

/** 10 failures at once, then one every 6 seconds: far above a person mistyping, far below guessing. */
export const DEFAULT_FAILED_LOGINS: FailedLoginOptions = { ratePerSecond: 1 / 6, burst: 10 };

const MAX_KNOWN_GOOD = 10_000;

export class FailedLoginGuard {
  private readonly buckets: CallerBuckets;
  /** Ids (not the tokens) of tokens that authenticated recently, oldest first. */
  private readonly knownGood = new Set<string>();

  constructor(options: FailedLoginOptions) {
    this.buckets = new CallerBuckets(options);
  }

  /** Throws `429 throttled` when the address has used up its failures, unless the token is known good. */
  admit(address: string, presentedTokenId: string | undefined): void {
    if (presentedTokenId !== undefined && this.knownGood.has(presentedTokenId)) return;
    const wait = this.buckets.of(address).peek();
    if (wait === 0) return;
    const seconds = retryAfterSeconds(wait);
    throw new HttpError('throttled', `Too many failed logins from this address; check the token and retry after ${seconds} s.`, { 'retry-after': String(seconds) });
  }

  /** Counts a refused token against its address; a token once good and now refused (revoked, expired) is good no more. */
  failed(address: string, presentedTokenId: string | undefined): void {
    if (presentedTokenId !== undefined) this.knownGood.delete(presentedTokenId);
    this.buckets.of(address).take();
  }

  succeeded(tokenId: string): void {
    this.knownGood.delete(tokenId);
    if (this.knownGood.size >= MAX_KNOWN_GOOD) this.knownGood.delete(this.knownGood.values().next().value!);
    this.knownGood.add(tokenId);
  }
}
