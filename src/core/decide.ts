// The authorizer's decision, once: what the verifier made of the token, the request's method and
// path, and the route rules, in; the verdict out. Pure and synchronous: the Lambda handler, the
// local gateway (through that handler) and `tollgate explain` all call it, so none of them can
// decide differently. Rendering the verdict as API Gateway's answer is the shape adapters' job.
import { reason, refuse, type Allow, type Decision, type Refusal } from './reasons.js';
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

/** The rules a decision applies. Built once per authorizer, not per request. */
export interface DecisionRules {
  /** For requests without a token and for issuers without rules of their own. */
  readonly shared: RuleSet | undefined;
  /** An issuer's own rules, by exact issuer: they replace `shared` for that issuer's tokens. */
  readonly byIssuer: ReadonlyMap<string, RuleSet>;
  /** Where a verified token's issuer keeps scopes and groups. */
  readonly claimsOf: (issuer: string) => IdentityClaims;
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

const TOKEN_WIDE: Grant = { kind: 'token' };

/** A caller without a token, on a public route: the public routes, and only them. */
const ANONYMOUS: Allow = Object.freeze({
  kind: 'allow',
  principal: 'anonymous',
  claims: Object.freeze({}),
  context: Object.freeze({}),
  kid: undefined,
  issuer: '',
});

const isPublic = (rule: RouteRule): boolean => rule.access === 'public';

/**
 * The refusal for a request that presents no usable token, before any verification: another
 * scheme or several values (TOKEN_MALFORMED), or nothing (TOKEN_MISSING). Undefined when `token`
 * is the one to verify.
 */
export function credentialRefusal(
  token: string | undefined,
  malformed: boolean | undefined,
): Refusal<'unauthorized'> | undefined {
  if (malformed)
    return refuse(
      reason('TOKEN_MALFORMED', { problem: 'unsupported authorization value' }),
    ) as Refusal<'unauthorized'>;
  if (!token) return refuse(reason('TOKEN_MISSING')) as Refusal<'unauthorized'>;
  return undefined;
}

/**
 * The verdict for a request, given what the verifier decided about its token (or the
 * credentialRefusal). A token refused by the verifier stays refused, except that a missing token
 * is allowed on public routes; a verified token then meets its issuer's rules (or the shared ones).
 */
export function decide(verified: Decision, request: RouteRequest, rules: DecisionRules): Verdict {
  switch (verified.kind) {
    case 'failure':
      return { decision: verified, grant: undefined };
    case 'unauthorized':
      return anonymous(verified, request, rules.shared);
    case 'deny':
      // A token-wide refusal (required scopes): the same answer on every route while cached.
      return { decision: verified, grant: TOKEN_WIDE };
    case 'allow':
      return underRules(verified, request, rules);
  }
}

/** The rule that decides this request; WebSocket $connect has no method or path, so the rules' default. */
export function ruleFor(compiled: CompiledRules, request: RouteRequest): RouteRule {
  return request.method !== undefined && request.path !== undefined
    ? compiled.resolve(request.method, request.path)
    : compiled.defaultRule;
}

function anonymous(
  refused: Refusal<'unauthorized'>,
  request: RouteRequest,
  shared: RuleSet | undefined,
): Verdict {
  // A public route needs no token: an anonymous caller gets the public routes, and only them.
  if (
    refused.reason.code === 'TOKEN_MISSING' &&
    shared !== undefined &&
    isPublic(ruleFor(shared.compiled, request))
  )
    return {
      decision: ANONYMOUS,
      grant: { kind: 'routes', identity: ANONYMOUS, rules: shared, satisfied: isPublic },
    };
  return { decision: refused, grant: undefined };
}

function underRules(allow: Allow, request: RouteRequest, rules: DecisionRules): Verdict {
  // An issuer's own rules replace the shared ones for its tokens.
  const set = rules.byIssuer.get(allow.issuer) ?? rules.shared;
  if (set === undefined) return { decision: allow, grant: TOKEN_WIDE };
  const claims = rules.claimsOf(allow.issuer);
  const identity: RuleIdentity = {
    scopes: claimValues(allow.claims, claims.scopeClaims),
    groups: claimValues(allow.claims, claims.groupClaims),
  };
  // One evaluator for the request: each rule and each distinct condition is decided once.
  const evaluate = set.engine.ruleEvaluator(allow.claims, identity);
  const refusal = evaluate(ruleFor(set.compiled, request));
  const decision = refusal
    ? (refuse(refusal, {
        principal: allow.principal,
        kid: allow.kid,
        issuer: allow.issuer,
      }) as Refusal<'deny'>)
    : allow;
  return {
    decision,
    grant: {
      kind: 'routes',
      identity: allow,
      rules: set,
      satisfied: (rule) => evaluate(rule) === undefined,
    },
  };
}
