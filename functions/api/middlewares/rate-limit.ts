/**
 * A token bucket per caller, for local mode and as a second line behind API Gateway's own
 * throttling on AWS: a caller over its rate gets `429 throttled` with `Retry-After`.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ApiEvent, ApiResult } from '../api-types.ts';
import { HttpError } from './error-contract.ts';
import { CallerBuckets, retryAfterSeconds, type BucketOptions } from './caller-buckets.ts';

/** Requests per second per caller, and how many a caller may make at once after being idle. */
export type RateLimitOptions = BucketOptions;

export function rateLimit(options: RateLimitOptions): MiddlewareObj<ApiEvent, ApiResult> {
  const buckets = new CallerBuckets(options);

  const rateLimitBefore = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const event = request.event;
    const caller = event.user?.username ?? `ip:${event.requestContext.http.sourceIp}`;
    const wait = buckets.of(caller).take();
    if (wait > 0) {
      const seconds = retryAfterSeconds(wait);
      throw new HttpError('throttled', `Too many requests; slow down and retry after ${seconds} s.`, { 'retry-after': String(seconds) });
    }
  };
  return { before: rateLimitBefore };
}
