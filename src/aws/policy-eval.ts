// How API Gateway evaluates an authorizer's policy: for the local gateway, the CLI and the general
// handler's route policies. Not in policy.ts, which every cold start loads for policyResource.
import { iamWildcard } from './iam-wildcard.js';

/** Each policy pattern compiled once (iam-wildcard.ts), as API Gateway matches it. */
// Built once per pattern: route policies are judged on every request, from a small set of patterns.
const IAM_PATTERNS = new Map<string, RegExp>();
function iamPattern(pattern: string): RegExp {
  let re = IAM_PATTERNS.get(pattern);
  if (re !== undefined) return re;
  // Bounded: an authorizer may answer with new resources on every call.
  if (IAM_PATTERNS.size >= 1000) IAM_PATTERNS.clear();
  IAM_PATTERNS.set(pattern, (re = iamWildcard(pattern)));
  return re;
}

const asList = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.filter((x): x is string => typeof x === 'string')
    : typeof v === 'string'
      ? [v]
      : [];

/** A statement's `Condition`: holds (`true`), does not (`false`), or a string naming why it cannot be evaluated. */
export type ConditionEvaluator = (condition: unknown) => boolean | string;

export type PolicyVerdict = 'allow' | 'explicit-deny' | 'implicit-deny';

/** Without an evaluator, no condition can be established (the gateway passes one; see src/gateway/policy-conditions.ts). */
const UNEVALUATED: ConditionEvaluator = () => 'conditions are not evaluated here';

/**
 * How API Gateway evaluates an authorizer's policy for one ARN (spec section 3): only statements
 * whose Action matches execute-api:Invoke; any matching Deny wins; otherwise a matching Allow.
 * A statement whose Condition cannot be evaluated fails closed: an Allow does not apply, a Deny
 * does; `unevaluated` names the condition for the log.
 */
export function judgePolicy(
  document: unknown,
  arn: string,
  conditions: ConditionEvaluator = UNEVALUATED,
): { verdict: PolicyVerdict; unevaluated: string | undefined } {
  const statements =
    typeof document === 'object' && document !== null
      ? (document as { Statement?: unknown }).Statement
      : undefined;
  let allowed = false;
  let unevaluated: string | undefined;
  for (const s of Array.isArray(statements) ? statements : []) {
    if (typeof s !== 'object' || s === null) continue;
    const { Effect, Action, Resource, Condition } = s as {
      Effect?: unknown;
      Action?: unknown;
      Resource?: unknown;
      Condition?: unknown;
    };
    if (!asList(Action).some((a) => iamPattern(a).test('execute-api:Invoke'))) continue;
    if (!asList(Resource).some((r) => iamPattern(r).test(arn))) continue;
    const holds = Condition === undefined ? true : conditions(Condition);
    if (typeof holds === 'string') unevaluated ??= `${String(Effect)} statement: ${holds}`;
    if (Effect === 'Deny' && holds !== false) return { verdict: 'explicit-deny', unevaluated };
    if (Effect === 'Allow' && holds === true) allowed = true;
  }
  return { verdict: allowed ? 'allow' : 'implicit-deny', unevaluated };
}

export function evaluatePolicy(
  document: unknown,
  arn: string,
  conditions?: ConditionEvaluator,
): PolicyVerdict {
  return judgePolicy(document, arn, conditions).verdict;
}
