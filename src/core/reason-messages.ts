// The human message of each reason code: for logs, the CLI and the README, never for deciding, so
// a module of its own that the deployed handler loads only with the general handler.
import type { Reason, ReasonCode } from './reasons.js';

/** The message of each reason code. */
export const REASONS = {
  // Unauthorized (401): the token itself is missing, malformed or not trustworthy.
  TOKEN_MISSING: 'No bearer token was presented',
  TOKEN_MALFORMED:
    'The token is not a well-formed compact JWS (three base64url segments of JSON objects)',
  TOKEN_TOO_LARGE: 'The token exceeds the maximum accepted size',
  TOKEN_IS_JWE: 'The token is an encrypted JWE; only signed JWTs are accepted',
  ALG_NOT_ALLOWED: 'The token header names an algorithm that is not on the allow-list',
  HEADER_UNSUPPORTED: 'The token header has a crit parameter, which Tollgate refuses',
  KEY_NOT_FOUND: "No key in the issuer's JWKS matches the token's kid and algorithm",
  SIGNATURE_INVALID: 'The token signature does not verify',
  CLAIM_INVALID: 'A registered claim is missing or has the wrong type',
  ISSUER_MISMATCH: 'The iss claim does not exactly match the configured issuer',
  AUDIENCE_MISMATCH: 'The aud claim does not include any configured audience',
  TOKEN_EXPIRED: 'The token has expired (exp)',
  TOKEN_NOT_YET_VALID: 'The token is not valid yet (nbf)',
  TOKEN_ISSUED_IN_FUTURE: 'The token was issued in the future (iat)',
  // Deny (403): the token is valid, the caller lacks permission.
  SCOPE_INSUFFICIENT: 'The token lacks the required scopes',
  GROUP_INSUFFICIENT: 'The token lacks the groups the route requires',
  CLAIM_CONDITION_FAILED: 'A claim does not meet a condition of the route',
  ROUTE_NOT_ALLOWED: 'No rule allows this route',
  // Failure (500): Tollgate cannot decide; the caller's token is not at fault.
  JWKS_UNAVAILABLE: "The issuer's keys could not be fetched and none are cached",
  JWKS_INVALID: "The issuer's JWKS response is not a usable key set",
  DISCOVERY_FAILED: "The issuer's OpenID discovery document could not be used",
  EVENT_INVALID: 'The Lambda event is not an API Gateway authorizer event this handler understands',
  INTERNAL_ERROR: 'An unexpected error occurred while deciding',
} as const satisfies Readonly<Record<ReasonCode, string>>;

/** The reason's own message, or its code's. */
export function reasonMessage(reason: Reason): string {
  return reason.message ?? REASONS[reason.code];
}
