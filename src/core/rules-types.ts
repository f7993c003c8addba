// The shapes of compiled route rules, shared by validation, matching, evaluation and the policy.
import type { ClaimPattern } from './rules-pattern.js';

/** API Gateway's methods; `ANY` in a rule stands for all of them. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type RouteMethod = HttpMethod | 'ANY';

/** One segment of a path template: `pets`, `{petId}` (one segment) or `{proxy+}` (the rest). */
export type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

/** Values a route requires the token to have: every one of them (`all`) or at least one (`any`). */
export interface SetRequirement {
  readonly match: 'all' | 'any';
  readonly values: readonly string[];
}

export type ClaimValue = string | number | boolean;

/** A condition on one top-level claim (names are exact: `https://example.com/roles` is one claim). */
export type ClaimCondition =
  | { readonly claim: string; readonly op: 'equals'; readonly value: ClaimValue }
  | { readonly claim: string; readonly op: 'oneOf'; readonly values: readonly ClaimValue[] }
  | {
      readonly claim: string;
      readonly op: 'pattern';
      readonly source: string;
      readonly pattern: ClaimPattern;
    };

/**
 * What a route asks of a request: nothing (`public`, even without a token), any valid token
 * (`authenticated`), never (`deny`), or `conditions` (scopes, groups and claims, all of them).
 */
export type Access = 'public' | 'authenticated' | 'deny' | 'conditions';

export interface RouteRule {
  /** As the document wrote it, e.g. `GET /pets/{petId}`; `(default)` or `(unroutable)` for the built-in rules. */
  readonly route: string;
  readonly method: RouteMethod;
  /** The path template, e.g. `/pets/{petId}`; empty for the built-in rules. */
  readonly template: string;
  readonly segments: readonly Segment[];
  readonly access: Access;
  readonly scopes: SetRequirement | undefined;
  readonly groups: SetRequirement | undefined;
  readonly claims: readonly ClaimCondition[];
  /** Position in the document's `routes`; -1 for the built-in rules. */
  readonly index: number;
}

export type DefaultAccess = 'deny' | 'authenticated';

export interface CompiledRules {
  /** What requests that no route lists get. */
  readonly default: DefaultAccess;
  /** In document order. */
  readonly routes: readonly RouteRule[];
  /** The rule for requests no route lists: `deny` or `authenticated`, as `default` says. */
  readonly defaultRule: RouteRule;
  /**
   * The route that handles a request: `path` is the request path (`/pets/1`), `method` upper case.
   * `undefined` when no route lists it (the default applies). `UNROUTABLE` (always refused) for a
   * path with an empty segment (`/pets//1`), one not starting with `/`, or a method API Gateway
   * does not have. One trailing slash is ignored: `/pets/` is `/pets`. Matching is case-sensitive.
   */
  match(method: string, path: string): RouteRule | undefined;
  /** `match`, with the default rule for requests no route lists. */
  resolve(method: string, path: string): RouteRule;
}

/** Where a problem is in the rules document: keys and list indexes, e.g. `['routes', 3, 'scopes']`. */
export type RulePath = readonly (string | number)[];

export interface RuleError {
  readonly path: RulePath;
  /** Meant to follow the formatted path: `routes[3].scopes` + ` must be a list of strings`. */
  readonly message: string;
  /** True when the problem is the key itself (an unknown key), not its value. */
  readonly atKey?: boolean;
}

export type ValidateRulesResult =
  { ok: true; rules: CompiledRules } | { ok: false; errors: RuleError[] };

/** The parts of an execute-api ARN (`arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path}`). */
export interface MethodArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly apiId: string;
  readonly stage: string;
}
