// The route-rules half of the decision: which rule a request meets, and where the answer holds.
// Part of the rules engine (src/core/rules-engine.ts), so a Lambda without route rules never
// loads it; `decide` (src/core/decide.ts) calls it through the engine.
import { refuse, type Allow, type Refusal } from './reasons.js';
import type { RulesEngine } from './rules-engine.js';
import type { RuleIdentity } from './rules-eval.js';
import type { CompiledRules, RouteRule } from './rules-types.js';
import { claimValues } from './scopes.js';

/** Compiled route rules with the engine that evaluates them (loaded only when rules exist). */
export interface RuleSet {
  readonly compiled: CompiledRules;
  readonly engine: RulesEngine;
}

/** Which claims of an issuer's tokens hold scopes and groups (they differ by identity provider). */
export interface IdentityClaims {
  readonly scopeClaims: readonly string[];
  readonly groupClaims: readonly string[];
}

/** What the decision needs of a request: WebSocket `$connect` has no method. */
export interface RouteRequest {
  readonly method: string | undefined;
  readonly path: string | undefined;
}

/**
 * Where an allow or deny holds. `token`: on every route alike (no rules apply, or the token itself
 * is refused, e.g. required scopes). `routes`: per route of `rules`, as `satisfied` says for this
 * identity, so that one cached answer is right on every route.
 */
export type Grant =
  | { readonly kind: 'token' }
  | {
      readonly kind: 'routes';
      /** The verified token, or the anonymous caller of public routes. */
      readonly identity: Allow;
      readonly rules: RuleSet;
      readonly satisfied: (rule: RouteRule) => boolean;
    };

/** The decision for this request (the one logged and exited with), and where it holds. */
export type Verdict =
  | { readonly decision: Refusal<'unauthorized'> | Refusal<'failure'>; readonly grant: undefined }
  | { readonly decision: Allow | Refusal<'deny'>; readonly grant: Grant };

/** A caller without a token, on a public route: the public routes, and only them. */
const ANONYMOUS: Allow = {
  kind: 'allow',
  principal: 'anonymous',
  claims: {},
  context: {},
  kid: undefined,
  issuer: '',
};

const isPublic = (rule: RouteRule): boolean => rule.access === 'public';

/** The rule that decides this request; WebSocket $connect has no method or path, so the rules' default. */
export function ruleFor(compiled: CompiledRules, request: RouteRequest): RouteRule {
  return request.method !== undefined && request.path !== undefined
    ? compiled.resolve(request.method, request.path)
    : compiled.defaultRule;
}

/** A request without a token: allowed on a public route (the public routes), else still refused. */
export function publicVerdict(
  missing: Refusal<'unauthorized'>,
  request: RouteRequest,
  rules: RuleSet,
): Verdict {
  return isPublic(ruleFor(rules.compiled, request))
    ? {
        decision: ANONYMOUS,
        grant: { kind: 'routes', identity: ANONYMOUS, rules, satisfied: isPublic },
      }
    : { decision: missing, grant: undefined };
}

/** A verified token under route rules: the request's rule decides, every rule shapes the grant. */
export function routeVerdict(
  allow: Allow,
  request: RouteRequest,
  rules: RuleSet,
  claims: IdentityClaims,
): Verdict {
  const identity: RuleIdentity = {
    scopes: claimValues(allow.claims, claims.scopeClaims),
    groups: claimValues(allow.claims, claims.groupClaims),
  };
  // One evaluator for the request: each rule and each distinct condition is decided once.
  const evaluate = rules.engine.ruleEvaluator(allow.claims, identity);
  const refusal = evaluate(ruleFor(rules.compiled, request));
  const decision = refusal
    ? (refuse(refusal, {
        principal: allow.principal,
        kid: allow.kid,
        issuer: allow.issuer,
      }) as Refusal<'deny'>)
    : allow;
  const satisfied = (rule: RouteRule): boolean => evaluate(rule) === undefined;
  return { decision, grant: { kind: 'routes', identity: allow, rules, satisfied } };
}
