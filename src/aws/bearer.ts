// The pieces every shape shares: reading a bearer token, and the two errors API Gateway tells apart.
import { FAILURE_CODES, TollgateError, type FailureCode } from '../core/errors.js';

/** API Gateway answers 401 only for this exact message; any other error message gives 500. */
export const UNAUTHORIZED = 'Unauthorized';

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

/**
 * The token in an Authorization value: `Bearer <token>` (scheme case-insensitive) or a bare token.
 * Empty when there is none; undefined when the value uses another scheme or has extra words.
 */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return '';
  // The common shape, without scanning the token: the parser refuses any whitespace left in it.
  if (
    value.startsWith('Bearer ') &&
    value.charCodeAt(7) > 32 &&
    value.charCodeAt(value.length - 1) > 32
  )
    return value.slice(7);
  const v = value.trim();
  const space = v.search(/\s/);
  if (space < 0) return v.toLowerCase() === 'bearer' ? '' : v;
  if (v.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = v.slice(space + 1).trim();
  return /\s/.test(token) ? undefined : token;
}
