// A module of its own so the Lambda's cold start does not load the list: only an authorizer
// failure (aws/authorizer-failure.ts) needs it at run time.

/** The reason codes an authorizer failure (500) carries; each is also an error code. */
export const FAILURE_CODES = [
  'JWKS_UNAVAILABLE',
  'JWKS_INVALID',
  'DISCOVERY_FAILED',
  'EVENT_INVALID',
  'RESULT_INVALID',
  'INTERNAL_ERROR',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];
