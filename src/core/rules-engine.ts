// The route-rules engine as one object, so the Lambda can load it only when rules are configured
// (a separate chunk of the bundle), and the handler calls it without importing it.
import { evaluateRule, ruleEvaluator } from './rules-eval.js';
import { buildRoutePolicy } from './rules-policy.js';
import { validateRules } from './rules-validate.js';
import { publicVerdict, routeVerdict } from './route-verdict.js';

export const rulesEngine = {
  validateRules,
  evaluateRule,
  ruleEvaluator,
  buildRoutePolicy,
  publicVerdict,
  routeVerdict,
};
export type RulesEngine = typeof rulesEngine;
