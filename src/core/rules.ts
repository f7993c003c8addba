// Route rules: which requests a token may make, by method and path, and the cache-safe policy.
// The pure engine (no Lambda, HTTP or YAML): the CLI parses rules files, the Lambda gets the
// document as JSON; both call validateRules.
export { evaluateRule, ruleEvaluator, type RuleIdentity } from './rules-eval.js';
export { methodArnRequest, UNROUTABLE } from './rules-match.js';
export { MAX_PATTERN_INPUT, MAX_PATTERN_LENGTH, MAX_PATTERN_POSITIONS } from './rules-pattern.js';
export {
  buildRoutePolicy,
  MAX_POLICY_BYTES,
  MAX_RESOURCE_LENGTH,
  type PolicyStatement,
  type RoutePolicy,
  type RoutePolicyOptions,
} from './rules-policy.js';
export { validateRules } from './rules-validate.js';
export {
  HTTP_METHODS,
  type Access,
  type ClaimCondition,
  type ClaimValue,
  type CompiledRules,
  type DefaultAccess,
  type HttpMethod,
  type RouteMethod,
  type RouteRule,
  type RuleError,
  type RulePath,
  type Segment,
  type SetRequirement,
  type ValidateRulesResult,
} from './rules-types.js';

export { formatKeyPath as formatRulePath } from './key-path.js';
