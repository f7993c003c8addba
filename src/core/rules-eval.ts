// Does a verified token meet a route's requirements?
import { reason, type JwtPayload, type Reason } from './reasons.js';
import { UNROUTABLE } from './rules-match.js';
import { MAX_PATTERN_INPUT, patternMatches } from './rules-pattern.js';
import type { ClaimCondition, RouteRule, SetRequirement } from './rules-types.js';

/**
 * What the token grants, worked out by the caller: which claims hold scopes and groups differs by
 * identity provider (`scope`/`scp`/`permissions`, `groups`/`cognito:groups`/`roles`).
 */
export interface RuleIdentity {
  readonly scopes: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
}

/**
 * Undefined when the rule is satisfied, or the reason it is not: SCOPE_INSUFFICIENT,
 * GROUP_INSUFFICIENT, CLAIM_CONDITION_FAILED or ROUTE_NOT_ALLOWED (all Deny). Scopes are checked
 * first, then groups, then each claim condition in order; the first failure is the reason.
 * `public` and `authenticated` rules are satisfied by any verified token (a public route needs no
 * token at all, which the caller handles before it has claims).
 */
export function evaluateRule(
  rule: RouteRule,
  claims: JwtPayload,
  identity: RuleIdentity,
): Reason | undefined {
  return ruleEvaluator(claims, identity)(rule);
}

/**
 * evaluateRule for one request's token, remembering each rule's answer and each condition's: the
 * cache-safe policy asks about every route, and routes share conditions (validation gives equal
 * conditions one object), so a pattern runs at most once per request whatever the rule count.
 */
export function ruleEvaluator(
  claims: JwtPayload,
  identity: RuleIdentity,
): (rule: RouteRule) => Reason | undefined {
  const rules = new Map<RouteRule, Reason | undefined>();
  const conditions = new Map<ClaimCondition, string | undefined>();
  const failure = (condition: ClaimCondition): string | undefined => {
    if (conditions.has(condition)) return conditions.get(condition);
    const why = conditionFailure(
      condition,
      Object.prototype.hasOwnProperty.call(claims, condition.claim)
        ? claims[condition.claim]
        : undefined,
    );
    conditions.set(condition, why);
    return why;
  };
  return (rule) => {
    if (rules.has(rule)) return rules.get(rule);
    const answer = decide(rule, identity, failure);
    rules.set(rule, answer);
    return answer;
  };
}

function decide(
  rule: RouteRule,
  identity: RuleIdentity,
  failure: (condition: ClaimCondition) => string | undefined,
): Reason | undefined {
  switch (rule.access) {
    case 'public':
    case 'authenticated':
      return undefined;
    case 'deny':
      return notAllowed(rule);
    case 'conditions':
      return (
        checkSet(rule, rule.scopes, identity.scopes, 'scopes') ??
        checkSet(rule, rule.groups, identity.groups, 'groups') ??
        checkConditions(rule, failure)
      );
  }
}

function notAllowed(rule: RouteRule): Reason {
  const message =
    rule === UNROUTABLE
      ? 'The request path has an empty segment or its method is not one API Gateway has'
      : rule.index < 0
        ? 'No rule lists this route, and the default is deny'
        : `The rule for ${rule.route} denies every request`;
  return reason('ROUTE_NOT_ALLOWED', { route: rule.route }, message);
}

function checkSet(
  rule: RouteRule,
  required: SetRequirement | undefined,
  granted: ReadonlySet<string>,
  what: 'scopes' | 'groups',
): Reason | undefined {
  if (required === undefined) return undefined;
  const { match, values } = required;
  const ok =
    match === 'all' ? values.every((v) => granted.has(v)) : values.some((v) => granted.has(v));
  if (ok) return undefined;
  const missing = values.filter((v) => !granted.has(v)).join(' ');
  const code = what === 'scopes' ? 'SCOPE_INSUFFICIENT' : 'GROUP_INSUFFICIENT';
  const message =
    match === 'all'
      ? `The token lacks ${what} that ${rule.route} requires: ${missing}`
      : `The token has none of the ${what} that ${rule.route} accepts: ${values.join(' ')}`;
  return reason(code, { route: rule.route, match, missing }, message);
}

function checkConditions(
  rule: RouteRule,
  failure: (condition: ClaimCondition) => string | undefined,
): Reason | undefined {
  for (const condition of rule.claims) {
    const why = failure(condition);
    if (why !== undefined) {
      return reason(
        'CLAIM_CONDITION_FAILED',
        { route: rule.route, claim: condition.claim, condition: condition.op },
        `The ${condition.claim} claim ${why}`,
      );
    }
  }
  return undefined;
}

/**
 * Why the claim fails the condition, or undefined. Only strings, numbers and booleans can match,
 * compared strictly: `true` is not `"true"`, and a list never equals one of its items. Messages
 * name what the rule expects, never the token's value (it may be personal data).
 */
function conditionFailure(condition: ClaimCondition, value: unknown): string | undefined {
  if (value === undefined) return 'is missing';
  const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value;
  if (kind !== 'string' && kind !== 'number' && kind !== 'boolean')
    return `is ${kind === 'object' ? 'an object' : kind}, not a string, number or boolean`;
  switch (condition.op) {
    case 'equals':
      return value === condition.value
        ? undefined
        : `does not equal ${JSON.stringify(condition.value)}`;
    case 'oneOf':
      return condition.values.includes(value as string | number | boolean)
        ? undefined
        : `is not one of ${JSON.stringify(condition.values)}`;
    case 'pattern':
      if (typeof value !== 'string')
        return `is a ${kind}; the pattern ${JSON.stringify(condition.source)} applies to strings`;
      if (value.length > MAX_PATTERN_INPUT)
        return `is longer than ${MAX_PATTERN_INPUT} characters, which patterns never match`;
      return patternMatches(condition.pattern, value)
        ? undefined
        : `does not match ${JSON.stringify(condition.source)}`;
  }
}
