import { TollgateError } from '../core/errors.js';
import { FAILURE_CODES, type FailureCode } from '../core/failure-codes.js';

/** Thrown when Tollgate cannot decide (identity provider down, bad event): API Gateway answers 500. */
export class AuthorizerFailure extends TollgateError<FailureCode> {
  /** `reason` is the failure's reason code; one that is not a FailureCode is reported as INTERNAL_ERROR. */
  constructor(reason: string) {
    super(
      (FAILURE_CODES as readonly string[]).includes(reason)
        ? (reason as FailureCode)
        : 'INTERNAL_ERROR',
      `Authorizer failure: ${reason}`,
    );
    this.name = 'AuthorizerFailure';
  }
}
// The minified bundle renames the class; the runtime's JSON logger reports a thrown error's type
// from its constructor's name (errorType), so the name is set where minifying cannot reach it.
Object.defineProperty(AuthorizerFailure, 'name', { value: 'AuthorizerFailure' });
