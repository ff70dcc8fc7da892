/**
 * What an AWS SDK error means to an adapter deciding whether to try again. Not the SDK's own
 * classifier (`isThrottlingError`/`isTransientError` in `@smithy/core/retry`, which
 * `@smithy/service-error-classification` now only re-exports), on purpose: it counts
 * `LimitExceededException` as throttling, which from ECS, Scheduler or EFS is a quota (too many
 * services, schedules or access points) that no retry fixes, and it treats any error carrying a
 * `$retryable` trait as transient whatever the call. These rules cover what the ECS and
 * Scheduler adapters meet. Errors are matched by `name`, not `instanceof`: a service may answer
 * with an error its client has no class for (ECS's `ThrottlingException`), and a mocked or
 * bundled client may carry another copy of the class.
 */

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: { throttling?: boolean } | undefined;
  $metadata?: { httpStatusCode?: number } | undefined;
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServerException',
  'InternalServerException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

// Connection-level failures: the request may or may not have reached the service.
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

export function errorName(error: unknown): string {
  const name = shape(error).name;
  return typeof name === 'string' ? name : '';
}

export function isNamed(error: unknown, ...names: string[]): boolean {
  return names.includes(errorName(error));
}

/** The service refused the call because of its request rate: slow down, then try again. */
export function isThrottling(error: unknown): boolean {
  const e = shape(error);
  return THROTTLING_NAMES.has(errorName(error)) || e.$retryable?.throttling === true || e.$metadata?.httpStatusCode === 429;
}

/**
 * The call may succeed if repeated unchanged: throttling, a server fault, a timeout or a lost
 * connection. Only safe to act on for idempotent calls — the call may have taken effect.
 */
export function isTransient(error: unknown): boolean {
  const e = shape(error);
  if (isThrottling(error) || TRANSIENT_NAMES.has(errorName(error))) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
