// Tollgate's errors: one base class with a stable code from a closed union, as panva/jose's
// JOSEError does. Callers switch on `code`; each surface (the Lambda handler, the local gateway,
// the CLI) maps codes to its answer in one place. What each code means, and the HTTP status and
// CLI exit code it leads to, is the table in error-codes.ts (kept out of the Lambda's cold start).
import type { DecisionKind } from './reasons.js';
import type { FailureCode } from './failure-codes.js';

/** Exit codes, one per outcome, documented in the README. */
export const EXIT = {
  allow: 0,
  internal: 1,
  usage: 2,
  deny: 3,
  unauthorized: 4,
  failure: 5,
} as const satisfies Record<DecisionKind | 'internal' | 'usage', number>;

export type ExitKind = keyof typeof EXIT;

/** Every error code, grouped by the folder that raises it. Stable: callers and logs key off them. */
export type TollgateErrorCode =
  // core
  | 'USAGE'
  | 'PATTERN_REFUSED'
  | FailureCode
  // aws
  | 'EVENT_SHAPE_MISMATCH'
  | 'RESULT_TOO_LARGE'
  | 'RESOURCE_TOO_LONG'
  | 'NO_STATEMENTS'
  | 'DENY_WITH_ALLOW'
  | 'TOKEN_SOURCE_INVALID'
  // keys
  | 'HTTP_TIMEOUT'
  | 'HTTP_RESPONSE_TOO_LARGE'
  | 'HTTP_REDIRECT_REFUSED'
  | 'HTTP_NETWORK'
  // settings
  | 'CONFIG_INVALID'
  // idp
  | 'IDP_OPTIONS_INVALID'
  | 'FORM_TOO_LARGE'
  // gateway
  | 'API_DOCUMENT_INVALID'
  | 'USAGE_PLANS_INVALID'
  | 'WEBSOCKET_CONFIG_INVALID'
  | 'JSONPATH_UNSUPPORTED'
  | 'RUNTIME_INIT_FAILED'
  | 'FUNCTION_ERROR'
  | 'BODY_TOO_LARGE'
  | 'BODY_BUDGET_EXCEEDED'
  | 'BODY_IDLE_TIMEOUT'
  | 'BODY_ABORTED'
  | 'BODY_NOT_JSON'
  | 'FUNCTION_NOT_IN_DOCUMENT'
  | 'LOGICAL_ID_INVALID'
  | 'LOGICAL_ID_CONFLICT'
  | 'URI_NOT_TEMPLATABLE'
  | 'EXPORT_INVALID'
  // template
  | 'TEMPLATE_INVALID'
  // web
  | 'PAGE_CONFIG_INVALID'
  // cli
  | 'SERVE_CONFIG_INVALID';

/**
 * The base of every error Tollgate throws. The message is fixed per failure and never holds a
 * token or a secret; structured fields on the subclasses carry the detail. The class name is left
 * to each subclass (messages printed as `name: message` stay as they were).
 */
export class TollgateError<C extends TollgateErrorCode = TollgateErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Whether `error` is a TollgateError, with one of `codes` when given. */
export function isTollgateError<C extends TollgateErrorCode>(
  error: unknown,
  ...codes: C[]
): error is TollgateError<C> {
  return error instanceof TollgateError && (codes.length === 0 || codes.includes(error.code as C));
}

/** Bad arguments or configuration: printed as one line, exit 2. */
export class UsageError extends TollgateError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}
