/**
 * Stable reason codes, by the decision each leads to. Every decision the core makes carries exactly
 * one of these; the Lambda handler, the CLI and the README's table all key off them, so they never
 * change meaning. Their messages are in reason-messages.ts: deciding never needs them, so a cold
 * start does not load them.
 */
const CODES_BY_KIND = {
  // Unauthorized (401): the token itself is missing, malformed or not trustworthy.
  unauthorized: [
    'TOKEN_MISSING',
    'TOKEN_MALFORMED',
    'TOKEN_TOO_LARGE',
    'TOKEN_IS_JWE',
    'ALG_NOT_ALLOWED',
    'HEADER_UNSUPPORTED',
    'KEY_NOT_FOUND',
    'SIGNATURE_INVALID',
    'CLAIM_INVALID',
    'ISSUER_MISMATCH',
    'AUDIENCE_MISMATCH',
    'TOKEN_EXPIRED',
    'TOKEN_NOT_YET_VALID',
    'TOKEN_ISSUED_IN_FUTURE',
  ],
  // Deny (403): the token is valid, the caller lacks permission.
  deny: ['SCOPE_INSUFFICIENT', 'GROUP_INSUFFICIENT', 'CLAIM_CONDITION_FAILED', 'ROUTE_NOT_ALLOWED'],
  // Failure (500): Tollgate cannot decide; the caller's token is not at fault.
  failure: [
    'JWKS_UNAVAILABLE',
    'JWKS_INVALID',
    'DISCOVERY_FAILED',
    'EVENT_INVALID',
    'INTERNAL_ERROR',
  ],
} as const;

export type ReasonCode = (typeof CODES_BY_KIND)[keyof typeof CODES_BY_KIND][number];

export type DecisionKind = 'allow' | 'deny' | 'unauthorized' | 'failure';

/** Which decision each reason leads to. */
export const REASON_KIND = Object.fromEntries(
  Object.entries(CODES_BY_KIND).flatMap(([kind, codes]) => codes.map((code) => [code, kind])),
) as Readonly<Record<ReasonCode, Exclude<DecisionKind, 'allow'>>>;

/**
 * A reason: a stable code, and a message of its own when the decision gave one (a JWKS error, the
 * missing scopes); reasonMessage (reason-messages.ts) gives either. Messages never contain the token.
 */
export interface Reason {
  readonly code: ReasonCode;
  readonly message?: string;
  /** Structured detail (claim name, expected value); never the token or a secret. */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export function reason(code: ReasonCode, detail?: Reason['detail'], message?: string): Reason {
  const r: { code: ReasonCode; message?: string; detail?: Reason['detail'] } = { code };
  if (message !== undefined) r.message = message;
  if (detail !== undefined) r.detail = detail;
  return r;
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
