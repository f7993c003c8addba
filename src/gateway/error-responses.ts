// The local gateway's one error boundary: the gateway response (status, body, headers) each error
// a request meets leads to. The API's gateway responses may customise each type (gateway-responses.ts);
// the README's errors table gives the default statuses, and test/errors.test.ts checks they agree.
import { isTollgateError, type TollgateErrorCode } from '../core/errors.js';
import type { GatewayResponseType } from './responses.js';

export const ERROR_RESPONSES = {
  BODY_TOO_LARGE: 'REQUEST_TOO_LARGE',
  BODY_BUDGET_EXCEEDED: 'BODY_BUDGET_EXCEEDED',
  BODY_IDLE_TIMEOUT: 'REQUEST_TIMEOUT',
  BODY_ABORTED: 'BAD_REQUEST',
  BODY_NOT_JSON: 'BAD_REQUEST_BODY',
} as const satisfies Partial<Record<TollgateErrorCode, GatewayResponseType>>;

export type AnsweredCode = keyof typeof ERROR_RESPONSES;

/** What answers an error no request should meet (a bug): logged, then API Gateway's 500. */
export const UNEXPECTED_ERROR_RESPONSE: GatewayResponseType = 'INTERNAL_ERROR';

/** The response for an error a request met, with its code for the log line; undefined when the code has none. */
export function errorResponse(
  error: unknown,
): { readonly type: GatewayResponseType; readonly reason: AnsweredCode } | undefined {
  if (!isTollgateError(error) || !(error.code in ERROR_RESPONSES)) return undefined;
  const reason = error.code as AnsweredCode;
  return { type: ERROR_RESPONSES[reason], reason };
}
