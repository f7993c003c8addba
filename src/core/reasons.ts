/**
 * Stable reason codes. Every decision the core makes carries exactly one of these; the
 * Lambda handler, the CLI and the README's table all key off them, so they never change meaning.
 */
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
} as const;

export type ReasonCode = keyof typeof REASONS;

export type DecisionKind = 'allow' | 'deny' | 'unauthorized' | 'failure';

/** Which decision each reason leads to. */
export const REASON_KIND: Record<ReasonCode, Exclude<DecisionKind, 'allow'>> = {
  TOKEN_MISSING: 'unauthorized',
  TOKEN_MALFORMED: 'unauthorized',
  TOKEN_TOO_LARGE: 'unauthorized',
  TOKEN_IS_JWE: 'unauthorized',
  ALG_NOT_ALLOWED: 'unauthorized',
  HEADER_UNSUPPORTED: 'unauthorized',
  KEY_NOT_FOUND: 'unauthorized',
  SIGNATURE_INVALID: 'unauthorized',
  CLAIM_INVALID: 'unauthorized',
  ISSUER_MISMATCH: 'unauthorized',
  AUDIENCE_MISMATCH: 'unauthorized',
  TOKEN_EXPIRED: 'unauthorized',
  TOKEN_NOT_YET_VALID: 'unauthorized',
  TOKEN_ISSUED_IN_FUTURE: 'unauthorized',
  SCOPE_INSUFFICIENT: 'deny',
  GROUP_INSUFFICIENT: 'deny',
  CLAIM_CONDITION_FAILED: 'deny',
  ROUTE_NOT_ALLOWED: 'deny',
  JWKS_UNAVAILABLE: 'failure',
  JWKS_INVALID: 'failure',
  DISCOVERY_FAILED: 'failure',
  EVENT_INVALID: 'failure',
  INTERNAL_ERROR: 'failure',
};

/** A reason: a stable code and a human message. Messages never contain the token. */
export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
  /** Structured detail (claim name, expected value); never the token or a secret. */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export function reason(code: ReasonCode, detail?: Reason['detail'], message?: string): Reason {
  return detail === undefined
    ? { code, message: message ?? REASONS[code] }
    : { code, message: message ?? REASONS[code], detail };
}

/** The context values every API Gateway authorizer shape accepts. */
export type ContextValue = string | number | boolean;

export interface JwtHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
  readonly [name: string]: unknown;
}

export type JwtPayload = Readonly<Record<string, unknown>>;

export interface Allow {
  readonly kind: 'allow';
  readonly principal: string;
  readonly claims: JwtPayload;
  readonly context: Readonly<Record<string, ContextValue>>;
  readonly kid: string | undefined;
  readonly issuer: string;
}

export interface Refusal<K extends 'deny' | 'unauthorized' | 'failure'> {
  readonly kind: K;
  readonly reason: Reason;
  /** What is known about the token when the refusal happened, for logs (never the token). */
  readonly principal?: string | undefined;
  readonly kid?: string | undefined;
  readonly issuer?: string | undefined;
}

export type Decision = Allow | Refusal<'deny'> | Refusal<'unauthorized'> | Refusal<'failure'>;

export function refuse(
  r: Reason,
  known: {
    principal?: string | undefined;
    kid?: string | undefined;
    issuer?: string | undefined;
  } = {},
): Exclude<Decision, Allow> {
  return { kind: REASON_KIND[r.code], reason: r, ...known } as Exclude<Decision, Allow>;
}
