/**
 * A token bucket per caller, for local mode and as a second line behind API Gateway's own
 * throttling on AWS: a caller over its rate gets `429 throttled` with `Retry-After`.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ApiEvent, ApiResult } from '../api-types.ts';
import { HttpError } from './error-contract.ts';

export interface RateLimitOptions {
  /** Sustained requests per second per caller. */
  ratePerSecond: number;
  /** Requests a caller may make at once after being idle. */
  burst: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_TRACKED_CALLERS = 10_000;

export function rateLimit(options: RateLimitOptions): MiddlewareObj<ApiEvent, ApiResult> {
  const now = options.now ?? (() => Date.now());
  const buckets = new Map<string, Bucket>();

  const rateLimitBefore = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const event = request.event;
    const caller = event.user?.username ?? `ip:${event.requestContext.http.sourceIp}`;
    const t = now();
    const previous = buckets.get(caller) ?? { tokens: options.burst, at: t };
    const tokens = Math.min(options.burst, previous.tokens + ((t - previous.at) / 1000) * options.ratePerSecond);
    if (tokens < 1) {
      const wait = Math.ceil((1 - tokens) / options.ratePerSecond);
      throw new HttpError('throttled', `Too many requests; slow down and retry after ${wait} s.`, { 'retry-after': String(wait) });
    }
    if (!buckets.has(caller) && buckets.size >= MAX_TRACKED_CALLERS) buckets.delete(buckets.keys().next().value!);
    buckets.set(caller, { tokens: tokens - 1, at: t });
  };
  return { before: rateLimitBefore };
}
