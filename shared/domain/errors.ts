/**
 * Typed domain errors. Each maps to one row of the API's error table in exactly one place
 * (functions/api/middlewares/error-contract.ts); the core never speaks HTTP.
 */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `spec.schedule`. */
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly code = 'validation_error';
  constructor(message: string, readonly details: FieldIssue[] = []) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

export class ConflictError extends DomainError {
  readonly code = 'conflict';
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}

/** A start or apply would break a usage limit; the message names the limit and the number. */
export class LimitExceededError extends DomainError {
  readonly code = 'limit_exceeded';
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated';
}

/** What was sent, or what it would store, is larger than the platform keeps. */
export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload_too_large';
}
