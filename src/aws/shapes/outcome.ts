// A verdict (src/core/decide.ts) as the policy API Gateway caches: a token-wide Allow or Deny over
// the stage (or API), or the route policy that gives every route the right answer for this token.
import type { Statement } from 'aws-lambda';
import type { Grant, Verdict } from '../../core/decide.js';
import type { Reason } from '../../core/reasons.js';
import { policyResource } from '../policy.js';
import { evaluatePolicy } from '../policy-eval.js';
import type { AuthRequest, Outcome } from './base.js';

export interface OutcomeOptions {
  /** HTTP API 2.0: simple responses carry no policy, so no route policy is built for them. */
  readonly v2Response: 'simple' | 'iam';
  /** What a token-wide Allow or Deny covers for this issuer's tokens: its stage, or the whole API. */
  readonly policyScope: (issuer: string | undefined) => 'stage' | 'api';
}

/** An Allow or Deny statement for execute-api:Invoke. */
export const statement = (effect: 'Allow' | 'Deny', resource: string | string[]): Statement => ({
  Action: 'execute-api:Invoke',
  Effect: effect,
  Resource: resource,
});

/**
 * The outcome to format for a verdict. An allow or deny carries `note` when no exact route policy
 * exists and the policy covers this request only (the caller logs it).
 */
export function outcomeOf(
  verdict: Verdict,
  request: AuthRequest,
  options: OutcomeOptions,
): Outcome {
  const { decision, grant } = verdict;
  if (grant === undefined)
    return decision.kind === 'failure'
      ? { kind: 'failure', code: decision.reason.code }
      : { kind: 'unauthorized' };
  if (grant.kind === 'routes')
    return routeOutcome(
      grant,
      request,
      options,
      decision.kind === 'deny' ? decision.reason : undefined,
    );
  const wide =
    request.shape === 'websocket'
      ? request.arn
      : policyResource(request.arnParts, options.policyScope(decision.issuer));
  return decision.kind === 'allow'
    ? {
        kind: 'allow',
        principalId: decision.principal,
        context: decision.context,
        statements: [statement('Allow', wide)],
      }
    : {
        kind: 'deny',
        principalId: decision.principal ?? 'unknown',
        context: { reason: decision.reason.code },
        statements: [statement('Deny', wide)],
      };
}

/**
 * The answer under route rules. The policy lists every route this identity may use and denies the
 * rest, so the cached answer is right on every route; the current route's own verdict is the
 * decision logged. When no exact policy exists, the policy covers this request only.
 */
function routeOutcome(
  grant: Extract<Grant, { kind: 'routes' }>,
  request: AuthRequest,
  options: OutcomeOptions,
  refusal: Reason | undefined,
): Outcome {
  const { identity, rules, satisfied } = grant;
  const simple = request.shape === 'http-v2' && options.v2Response === 'simple';
  const built =
    request.shape === 'websocket' || simple
      ? undefined
      : rules.engine.buildRoutePolicy(request.arnParts, rules.compiled, satisfied);
  if (built && 'statements' in built) {
    const verdict = evaluatePolicy({ Statement: built.statements }, request.arn);
    // Formatted as an allow even when this route is refused: the policy itself denies this ARN, and
    // its Allow statements keep the other routes right while cached. No per-route reason in the context.
    if (refusal ? verdict !== 'allow' : verdict === 'allow')
      return {
        kind: 'allow',
        principalId: identity.principal,
        context: identity.context,
        statements: built.statements,
      };
  }
  const note =
    built && 'fallback' in built
      ? `route policy covers this request only: ${built.fallback}`
      : undefined;
  const kind = refusal ? 'deny' : 'allow';
  return {
    kind,
    principalId: identity.principal,
    context: refusal ? { ...identity.context, reason: refusal.code } : identity.context,
    statements: [statement(refusal ? 'Deny' : 'Allow', request.arn)],
    note,
  };
}
