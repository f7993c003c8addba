// Why a Lambda authorizer's answer gave the status it did, when that status is rarely what its
// author meant: a Deny policy for a bad token (403, where clients expect 401), and an HTTP-shaped
// answer such as `{"statusCode": 401}` (500: API Gateway reads only a policy or an error). Pure.
import type { AuthResult } from './authorize.js';

/** How to ask for a 401, in both languages Tollgate runs. */
const UNAUTHORIZED_HOW =
  "raise Exception('Unauthorized') (Python) or throw new Error('Unauthorized') (Node.js)";

/** Whether an answer looks like a Lambda proxy response rather than an authorizer's. */
export const looksLikeHttpResponse = (value: unknown): value is { statusCode: unknown } =>
  typeof value === 'object' &&
  value !== null &&
  'statusCode' in value &&
  !('policyDocument' in value) &&
  !('isAuthorized' in value);

/** The detail for an HTTP-shaped answer: what API Gateway does with it, and what to write instead. */
export const httpShapedAnswerDetail = (statusCode: unknown): string =>
  `the authorizer returned an HTTP response ({"statusCode": ${JSON.stringify(statusCode)}, ...}), not a policy: ` +
  `API Gateway reads only { principalId, policyDocument, context } (or an error) from a Lambda authorizer and answers anything else with 500 AuthorizerConfigurationException. ` +
  `To refuse with 401, ${UNAUTHORIZED_HOW}; to refuse with 403, return a Deny policy`;

/**
 * A log line's explanation for an answer the authorizer's author likely did not mean, or undefined.
 * Tollgate's own authorizer (it has a decision note) and cache hits are not explained.
 */
export function authorizerExplanation(
  name: string,
  auth: AuthResult,
): { event: string; explanation: string } | undefined {
  if (!auth.invoked || auth.note !== undefined || auth.output?.note !== undefined) return undefined;
  if (auth.reason === 'RESULT_INVALID' && looksLikeHttpResponse(auth.raw))
    return {
      event: 'authorizer_answer_invalid',
      explanation: `500, not ${String(auth.raw.statusCode)}: ${httpShapedAnswerDetail(auth.raw.statusCode).replace('the authorizer', `the authorizer "${name}"`)}.`,
    };
  if (auth.reason === 'EXPLICIT_DENY' && auth.output?.policyDocument !== undefined)
    return {
      event: 'authorizer_denied',
      explanation:
        `403, not 401: the authorizer "${name}" returned a Deny policy for this request, which API Gateway answers with 403 ` +
        `("User is not authorized to access this resource with an explicit deny") and caches for the authorizer's TTL. ` +
        `If the token was missing, malformed, expired or badly signed, ${UNAUTHORIZED_HOW} instead: API Gateway then answers 401 Unauthorized, which clients take as "sign in again".`,
    };
  return undefined;
}
