// `x-tollgate-authorizer`: the authorizer's side of a response, added by `tollgate serve` only (the
// deployed API never has it): what was decided and why, the policy in short, and whether the answer
// came from the result cache. Compact JSON that the sign-in page shows beside status and body.
// Never the token: only codes, messages without the token, routes and the principal.
import { reasonMessage } from '../core/reason-messages.js';
import type { Decision } from '../core/reasons.js';
import type { AuthReason, AuthResult } from './authorize.js';

export const AUTHORIZER_HEADER = 'x-tollgate-authorizer';

/** What Tollgate's own authorizer decided for one request (from its decision, not from its answer). */
export interface DecisionNote {
  readonly decision: 'allow' | 'deny' | 'unauthorized' | 'failure';
  readonly reason: string;
  readonly message?: string | undefined;
  /** SCOPE_INSUFFICIENT, GROUP_INSUFFICIENT: the scopes or groups the token lacks, space-separated. */
  readonly missing?: string | undefined;
}

export interface AuthorizerReport {
  readonly authorizer: string;
  readonly decision: 'Allow' | 'Deny' | 'Unauthorized' | 'Error';
  /** Why: Tollgate's reason code when its own authorizer decided, else the gateway's. */
  readonly reason: string;
  readonly missing?: string;
  readonly message?: string;
  /** How API Gateway read the answer: `allowed by the policy`, `explicit deny`, `no matching allow`, `isAuthorized: false`. */
  readonly evaluation?: string;
  readonly principalId?: string;
  /** The policy's statements as routes (`GET /pets/*`), Allow and Deny. */
  readonly policy?: { readonly allow: string[]; readonly deny: string[] };
  /** `hit`: from the result cache, not invoked; `miss`: invoked and cached; `off`: TTL 0. */
  readonly cache?: 'hit' | 'miss' | 'off';
  /** Seconds the cached answer has left. */
  readonly ttl?: number;
  /** On a hit: the route whose request the cached answer was made for, when it is another. */
  readonly cachedFor?: string;
}

const DECISIONS: Record<AuthReason, AuthorizerReport['decision']> = {
  ALLOW: 'Allow',
  EXPLICIT_DENY: 'Deny',
  IMPLICIT_DENY: 'Deny',
  IDENTITY_MISSING: 'Unauthorized',
  IDENTITY_INVALID: 'Unauthorized',
  UNAUTHORIZED: 'Unauthorized',
  AUTHORIZER_ERROR: 'Error',
  AUTHORIZER_TIMEOUT: 'Error',
  RESULT_INVALID: 'Error',
  CONTEXT_INVALID: 'Error',
};

/** At most this many routes of each effect: the header stays small whatever the policy. */
const MAX_ROUTES = 20;

/** `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/GET/pets/*` as `GET /pets/*`. */
export function routeOfArn(arn: string): string {
  const parts = arn.split(':').slice(5).join(':').split('/');
  return parts.length >= 3 ? `${parts[2]} /${parts.slice(3).join('/')}` : arn;
}

function policySummary(document: unknown): AuthorizerReport['policy'] {
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  if (!Array.isArray(statements)) return undefined;
  const summary = { allow: [] as string[], deny: [] as string[] };
  for (const st of statements as { Effect?: unknown; Resource?: unknown }[]) {
    const list =
      st?.Effect === 'Allow' ? summary.allow : st?.Effect === 'Deny' ? summary.deny : undefined;
    const resources = Array.isArray(st?.Resource) ? st.Resource : [st?.Resource];
    for (const r of resources)
      if (list && typeof r === 'string' && list.length < MAX_ROUTES) list.push(routeOfArn(r));
  }
  return summary;
}

function evaluation(auth: AuthResult): string | undefined {
  if (auth.output?.isAuthorized !== undefined) return `isAuthorized: ${auth.output.isAuthorized}`;
  if (!auth.output) return undefined;
  return auth.reason === 'ALLOW'
    ? 'allowed by the policy'
    : auth.reason === 'EXPLICIT_DENY'
      ? 'explicit deny'
      : auth.reason === 'IMPLICIT_DENY'
        ? 'no matching allow'
        : undefined;
}

/**
 * The report for one request a Lambda authorizer decided. `note` is what Tollgate's own
 * authorizer said when invoked for this identity; it is trusted only when it was for this route.
 */
export function authorizerReport(
  name: string,
  auth: AuthResult,
  arn: string,
  nowMs: number,
  redact: (text: string) => string = (text) => text,
): AuthorizerReport {
  const cached = auth.cacheEntry;
  const note = auth.note ?? (cached?.issuedFor === arn ? auth.output?.note : undefined);
  const report: Record<string, unknown> = {
    authorizer: name,
    decision: DECISIONS[auth.reason],
    reason: note && note.decision !== 'allow' ? note.reason : auth.reason,
    missing: note?.missing,
    // The gateway's detail may quote what the authorizer said, which could echo the token.
    message:
      note && note.decision !== 'allow'
        ? note.message
        : auth.detail === undefined
          ? undefined
          : redact(auth.detail),
    evaluation: evaluation(auth),
    principalId: auth.output?.principalId,
    policy: auth.output ? policySummary(auth.output.policyDocument) : undefined,
    cache: auth.cache,
    ttl: cached ? Math.max(0, Math.ceil((cached.expiresAt - nowMs) / 1000)) : undefined,
    cachedFor: cached && cached.issuedFor !== arn ? routeOfArn(cached.issuedFor) : undefined,
  };
  for (const key of Object.keys(report)) if (report[key] === undefined) delete report[key];
  return report as unknown as AuthorizerReport;
}

/** An HTTP API JWT authorizer's outcome, which API Gateway itself decides (no function, no cache). */
export function jwtAuthorizerReport(
  name: string,
  ok: boolean,
  status: number | undefined,
  reason: string,
  detail: string | undefined,
): AuthorizerReport {
  const decision = ok
    ? 'Allow'
    : status === 401
      ? 'Unauthorized'
      : status === 403
        ? 'Deny'
        : 'Error';
  return {
    authorizer: name,
    decision,
    reason,
    ...(detail ? { message: detail } : {}),
    cache: 'off',
  };
}

/** A decision as the note the header shows: the reason code and message, and what was missing. */
export function noteOf(decision: Decision): DecisionNote {
  if (decision.kind === 'allow') return { decision: 'allow', reason: 'OK' };
  const missing = decision.reason.detail?.missing;
  return {
    decision: decision.kind,
    reason: decision.reason.code,
    message: reasonMessage(decision.reason),
    ...(typeof missing === 'string' ? { missing } : {}),
  };
}

/** Notes by the request id the authorizer was invoked with, each taken once; the oldest dropped past `max`. */
export function createDecisionNotes(max = 1000): {
  record: (decision: Decision, requestId: string | undefined) => void;
  take: (requestId: string) => DecisionNote | undefined;
} {
  const notes = new Map<string, DecisionNote>();
  return {
    record(decision, requestId) {
      if (requestId === undefined) return;
      notes.set(requestId, noteOf(decision));
      while (notes.size > max) notes.delete(notes.keys().next().value!);
    },
    take(requestId) {
      const note = notes.get(requestId);
      notes.delete(requestId);
      return note;
    },
  };
}
