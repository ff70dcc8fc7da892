/**
 * The one place errors become HTTP: every failure is `{code, message, details?}` with the
 * status of API.md's error table. Anything unexpected is logged (never with the request
 * body, which may hold secrets) and answered as a 500 without internals.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { DomainError, ValidationError } from '../../../shared/domain/errors.ts';
import { InvalidCursorError } from '../../../shared/ports/recipe-views.ts';
import type { ApiEvent, ApiResult } from '../api-types.ts';
import { jsonConsole, type Log } from '../../observability.ts';

const STATUS_BY_CODE: Record<string, number> = {
  validation_error: 400,
  invalid_json: 400,
  unauthenticated: 401,
  forbidden: 403,
  limit_exceeded: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  throttled: 429,
};

/** An HTTP-level refusal raised by a middleware (malformed JSON, too large, ...). */
export class HttpError extends Error {
  constructor(
    readonly code: keyof typeof STATUS_BY_CODE,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorReply(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): ApiResult {
  return { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export interface ErrorContractOptions {
  logger?: Pick<Log, 'error'>;
}

export function errorContract(options: ErrorContractOptions = {}): MiddlewareObj<ApiEvent, ApiResult> {
  const logger = options.logger ?? jsonConsole;

  const errorContractOnError = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const error = request.error;
    if (error instanceof HttpError) {
      request.response = errorReply(STATUS_BY_CODE[error.code]!, { code: error.code, message: error.message }, error.headers);
    } else if (error instanceof InvalidCursorError) {
      request.response = errorReply(400, {
        code: 'validation_error',
        message: 'next_key is not one this server issued; start again without it.',
        details: [{ path: 'query.next_key', message: 'not a cursor this server issued' }],
      });
    } else if (error instanceof DomainError) {
      const body: Record<string, unknown> = { code: error.code, message: error.message };
      if (error instanceof ValidationError && error.details.length > 0) body.details = error.details;
      request.response = errorReply(STATUS_BY_CODE[error.code] ?? 400, body);
    } else {
      logger.error('unhandled error', {
        route: request.event.route?.definition.path,
        method: request.event.requestContext?.http?.method,
        error: error instanceof Error ? error : String(error),
      });
      request.response = errorReply(500, { code: 'internal_error', message: 'Something went wrong on our side; try again shortly.' });
    }
  };

  return { onError: errorContractOnError };
}
