// The cache-safe policy: one IAM policy that gives every route of the rules the right answer for
// one token, because API Gateway caches it per token and checks later requests against it.
//
// IAM wildcards are coarse: `*` matches across `/`, and a Deny always wins. So a route's pattern
// also matches paths the route does not handle: `GET/pets/*` for `/pets/{petId}` matches
// `/pets/1/photos` too. The policy is built in three steps:
//   1. candidates: an Allow for each satisfied route (`{param}` → `?*`, one or more characters, so
//      `pets/?*` does not match `pets/`; literal ends also with a trailing `/`); and Deny candidates:
//      each unsatisfied route, each satisfied route with one parameter spread over two segments
//      (`pets/?*/?*`, what its Allow matches beyond the route), and paths with `//`;
//   2. selection: a Deny is kept only if it matches no path that must be allowed and some path an
//      Allow matches; then Allows and Denies that change nothing are dropped;
//   3. an exact check over every request path (rules-automaton.ts), then a second check of the
//      final Resources, with a plain IAM matcher, against `rules.resolve` on a path of every kind.
// A verb is pinned, never `*`: `*/admin/?*` would also match `GET/x/admin/y` (`*` takes `GET/x`).
// Only `???/` stands for verbs (GET and PUT): no method is shorter than three letters, so the `/`
// after `???` is the one after the verb. `????/` would also match `GET//x`, and `?????/x` even
// `GET/a/x`.
//
// Some rule sets have no exact IAM policy: when `/pets/{petId}` and `/pets/{petId}/photos` are
// allowed, no Deny can refuse an unlisted `/pets/1/other` without refusing `/pets/1/photos`; and
// under `default: authenticated`, no Deny can refuse `DELETE /pets/{petId}` without refusing
// `DELETE /pets/1/x`. Those, policies over the size limits, and rules too large to check give a
// fallback: the caller then answers with a policy for the current methodArn only, which is right
// for that request but not for others under the same cached token: such rule sets need the
// authorizer's result TTL at 0 (or a cache key per route).
import {
  EITHER,
  MUST_ALLOW,
  MUST_DENY,
  observe,
  type Expectation,
  type Observation,
} from './rules-automaton.js';
import { UNROUTABLE } from './rules-match.js';
import { compareSpecificity, routeKey } from './rules-template.js';
import {
  HTTP_METHODS,
  type CompiledRules,
  type MethodArn,
  type HttpMethod,
  type RouteRule,
  type Segment,
} from './rules-types.js';

/** The policy document's size limit by default: the whole result (with context) must stay under 8 KB. */
export const MAX_POLICY_BYTES = 6144;
/** API Gateway's limit on one policy Resource. */
export const MAX_RESOURCE_LENGTH = 512;
/**
 * Work the exact check may do before giving up (rules-automaton.ts), a bound on its time: about
 * 0.3 s at most. A 150-route API takes about a tenth of it.
 */
export const MAX_CHECK_WORK = 3_000_000;

export interface PolicyStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: string[];
}

export type RoutePolicy =
  { readonly statements: PolicyStatement[] } | { readonly fallback: string };

export interface RoutePolicyOptions {
  /** Largest policy document (`{Version, Statement}` as JSON, bytes). Default MAX_POLICY_BYTES. */
  readonly maxPolicyBytes?: number;
  /**
   * The rules list every route of the API that uses this authorizer, so API Gateway never calls it
   * for another path (it answers 403 or 404 first): the policy then only needs to be exact on the
   * listed routes, which makes nested routes possible. Unlisted paths may then be allowed by the
   * cached policy even when the default is deny, so leave this off unless the list is complete.
   */
  readonly routesComplete?: boolean;
}

// A Resource relative to `{stage}/`: for one verb (`GET/pets/?*`) or for any (`*//*`).
interface Pattern {
  readonly verb: HttpMethod | undefined;
  readonly path: string;
}

/** Final Resources relative to `{stage}/`. */
interface Rests {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

type Core = Rests | { readonly fallback: string };

const restOf = (p: Pattern): string => (p.verb === undefined ? p.path : `${p.verb}/${p.path}`);
const EVERYTHING: Pattern = { verb: undefined, path: '*' };
const EMPTY_SEGMENTS: Pattern = { verb: undefined, path: '*//*' };
const TTL_HINT = 'such rules need the authorizer result TTL at 0 or a cache key per route';

/**
 * Statements that allow exactly the requests whose route `isSatisfied` accepts, over the whole
 * stage of `arn`, or a fallback saying why there are none. `isSatisfied` is asked about every
 * route and the default rule (the caller's evaluateRule for this token).
 */
export function buildRoutePolicy(
  arn: MethodArn,
  rules: CompiledRules,
  isSatisfied: (rule: RouteRule) => boolean,
  options: RoutePolicyOptions = {},
): RoutePolicy {
  const parts = [arn.partition, arn.region, arn.account, arn.apiId, arn.stage];
  if (parts.some((p) => /[*?]/.test(p)))
    return { fallback: 'the methodArn has a wildcard character (* or ?) before the path' };
  const satisfied = rules.routes.map((r) => isSatisfied(r));
  const complete = options.routesComplete === true;
  const core = memoized(rules, satisfied, complete ? undefined : isSatisfied(rules.defaultRule));
  if ('fallback' in core) return core;
  const prefix = `arn:${arn.partition}:execute-api:${arn.region}:${arn.account}:${arn.apiId}/${arn.stage}/`;
  return render(prefix, core, options.maxPolicyBytes ?? MAX_POLICY_BYTES);
}

// Tokens fall into few classes (which routes they satisfy), and the check costs milliseconds, so
// each class's result is kept per rules object: the methodArn prefix is added afterwards.
const MEMO_ENTRIES = 128;
const memo = new WeakMap<CompiledRules, Map<string, Core>>();

function memoized(
  rules: CompiledRules,
  satisfied: readonly boolean[],
  defaultSatisfied: boolean | undefined,
): Core {
  let entries = memo.get(rules);
  if (!entries) memo.set(rules, (entries = new Map()));
  const key = `${satisfied.map((s) => (s ? 1 : 0)).join('')}/${defaultSatisfied ?? '-'}`;
  let core = entries.get(key);
  if (!core) {
    if (entries.size >= MEMO_ENTRIES) entries.clear();
    core = computeCore(rules, satisfied, defaultSatisfied);
    entries.set(key, core);
  }
  return core;
}

/** `defaultSatisfied` undefined: routes are complete, unlisted paths need no particular answer. */
function computeCore(
  rules: CompiledRules,
  satisfied: readonly boolean[],
  defaultSatisfied: boolean | undefined,
): Core {
  // Two common cases need no search: a token that may use nothing, and one that may use everything
  // (`*` less paths with an empty segment, which no rule handles).
  if (!satisfied.includes(true) && defaultSatisfied !== true) return { allow: [], deny: [] };
  if (!satisfied.includes(false) && defaultSatisfied === true)
    return { allow: [restOf(EVERYTHING)], deny: [restOf(EMPTY_SEGMENTS)] };
  const ordered = [...rules.routes].sort(compareSpecificity);
  const isSat = (r: RouteRule): boolean => satisfied[r.index]!;
  const { allow, deny } = candidates(ordered, isSat, defaultSatisfied === true);
  const patterns = [...allow, ...deny];
  const unlisted: Expectation =
    defaultSatisfied === undefined ? EITHER : defaultSatisfied ? MUST_ALLOW : MUST_DENY;
  const observations = observe({
    routes: ordered.map((r) => ({ method: r.method, segments: r.segments, satisfied: isSat(r) })),
    unlisted,
    patterns: patterns.map(restOf),
    verbs: HTTP_METHODS,
    maxWork: MAX_CHECK_WORK,
  });
  if (!observations)
    return {
      fallback: `the rules are too large to check exactly in the time allowed; ${TTL_HINT}`,
    };
  const chosen = select(observations, allow.length, patterns.length);
  if ('failure' in chosen)
    return { fallback: explain(rules, chosen.failure, isSat, defaultSatisfied) };
  const core = {
    allow: merge(chosen.allow.map((i) => patterns[i]!)),
    deny: merge(chosen.deny.map((i) => patterns[i]!)),
  };
  const mismatch = crossCheck(rules, core, observations, isSat, defaultSatisfied);
  return mismatch
    ? { fallback: `internal check failed on ${mismatch}; refusing to build a policy` }
    : core;
}

/** Step 1: Allows for satisfied routes (and everything, for a satisfied default); Deny candidates. */
function candidates(
  ordered: readonly RouteRule[],
  isSat: (r: RouteRule) => boolean,
  allowUnlisted: boolean,
): { allow: Pattern[]; deny: Pattern[] } {
  const allow = new Map<string, Pattern>();
  const deny = new Map<string, Pattern>();
  const add = (into: Map<string, Pattern>, ps: Pattern[]): void =>
    ps.forEach((p) => into.set(restOf(p), p));
  if (allowUnlisted) add(allow, [EVERYTHING]);
  for (const verb of HTTP_METHODS) {
    for (const r of handlersFor(ordered, verb)) {
      if (isSat(r)) {
        add(allow, routePatterns(verb, r.segments));
        r.segments.forEach(
          (s, i) => s.kind === 'param' && add(deny, routePatterns(verb, r.segments, i)),
        );
      } else {
        add(deny, routePatterns(verb, r.segments));
      }
    }
  }
  add(deny, [EMPTY_SEGMENTS]);
  return {
    allow: [...allow.values()],
    deny: [...deny.values()].filter((p) => !allow.has(restOf(p))),
  };
}

/** The routes that handle some requests of this verb: its own, and ANY routes it does not override. */
function handlersFor(ordered: readonly RouteRule[], verb: HttpMethod): RouteRule[] {
  const own = new Set(
    ordered.filter((r) => r.method === verb).map((r) => routeKey('ANY', r.segments)),
  );
  return ordered.filter(
    (r) => r.method === verb || (r.method === 'ANY' && !own.has(routeKey('ANY', r.segments))),
  );
}

// The path patterns of a route: parameters as `?*`; a literal end also with a trailing `/` (a
// parameter's `?*` already matches one). With `spread`, that parameter becomes `?*/?*`: what the
// route's own pattern matches beyond the route.
function routePatterns(verb: HttpMethod, segments: readonly Segment[], spread?: number): Pattern[] {
  const path = segments
    .map((s, i) => (s.kind === 'literal' ? s.value : i === spread ? '?*/?*' : '?*'))
    .join('/');
  const last = segments[segments.length - 1];
  return last?.kind === 'literal'
    ? [
        { verb, path },
        { verb, path: `${path}/` },
      ]
    : [{ verb, path }];
}

type Selection = { allow: number[]; deny: number[] } | { failure: Observation };

/** Step 2: keep the Denies that are safe and useful, check exactness, drop what changes nothing. */
function select(
  observations: readonly Observation[],
  allowCount: number,
  total: number,
): Selection {
  const isAllow = (i: number): boolean => i < allowCount;
  const unsafe = new Set<number>();
  const useful = new Set<number>();
  for (const o of observations) {
    const allowed = o.matching.some(isAllow);
    for (const i of o.matching) {
      if (isAllow(i)) continue;
      if (o.expected === MUST_ALLOW) unsafe.add(i);
      if (allowed) useful.add(i);
    }
  }
  const active = new Array<boolean>(total).fill(false);
  for (let i = 0; i < total; i++) active[i] = isAllow(i) || (useful.has(i) && !unsafe.has(i));
  const failure = firstMismatch(observations, active, isAllow);
  if (failure) return { failure };
  // Each removal is checked, so the order only decides which of two redundant patterns stays.
  for (let i = total - 1; i >= 0; i--) {
    if (!active[i]) continue;
    active[i] = false;
    if (firstMismatch(observations, active, isAllow)) active[i] = true;
  }
  const indexes = [...active.keys()].filter((i) => active[i]);
  return { allow: indexes.filter(isAllow), deny: indexes.filter((i) => !isAllow(i)) };
}

function firstMismatch(
  observations: readonly Observation[],
  active: readonly boolean[],
  isAllow: (i: number) => boolean,
): Observation | undefined {
  for (const o of observations) {
    if (o.expected === EITHER) continue;
    let allowed = false;
    let denied = false;
    for (const i of o.matching) {
      if (!active[i]) continue;
      if (isAllow(i)) allowed = true;
      else denied = true;
    }
    if ((allowed && !denied) !== (o.expected === MUST_ALLOW)) return o;
  }
  return undefined;
}

function explain(
  rules: CompiledRules,
  o: Observation,
  isSat: (r: RouteRule) => boolean,
  defaultSatisfied: boolean | undefined,
): string {
  const request = `${o.verb} /${o.path}`;
  const rule = rules.resolve(o.verb, `/${o.path}`);
  const why =
    rule === UNROUTABLE
      ? 'it has an empty segment'
      : rule.index < 0
        ? `no route lists it, so default: ${rules.default} ${defaultSatisfied ? 'allows' : 'refuses'} it`
        : `${rule.route} handles it and ${isSat(rule) ? 'allows' : 'refuses'} this token`;
  // The policy built would give this request the wrong answer: no candidate could fix it.
  const wrong = o.expected === MUST_ALLOW ? 'refuse' : 'allow';
  return `cannot build an exact IAM policy for this token: it would ${wrong} ${request} (${why}), as IAM wildcards match across /; ${TTL_HINT}`;
}

/**
 * Step 3, the second check: the final Resources, read by a plain IAM matcher, against
 * `rules.resolve` (the matcher requests are decided with), on one path of every kind the
 * automaton found. Returns the first request where they disagree.
 */
function crossCheck(
  rules: CompiledRules,
  core: Rests,
  observations: readonly Observation[],
  isSat: (r: RouteRule) => boolean,
  defaultSatisfied: boolean | undefined,
): string | undefined {
  const allow = core.allow.map(iamRegex);
  const deny = core.deny.map(iamRegex);
  for (const o of observations) {
    const rule = rules.resolve(o.verb, `/${o.path}`);
    const expected = rule === UNROUTABLE ? false : rule.index >= 0 ? isSat(rule) : defaultSatisfied;
    if (expected === undefined) continue;
    const rest = `${o.verb}/${o.path}`;
    const allowed = allow.some((re) => re.test(rest)) && !deny.some((re) => re.test(rest));
    if (allowed !== expected) return `${o.verb} /${o.path}`;
  }
  return undefined;
}

/** IAM resource matching (spec section 3): `*` any run, `?` one character, all else literal, anchored. */
export function iamRegex(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^]*')
    .replace(/\?/g, '[^]');
  return new RegExp(`^${body}$`, 'u');
}

/** Resources relative to `{stage}/` for one effect: GET and PUT of the same path merged as `???`. */
function merge(patterns: readonly Pattern[]): string[] {
  const out: string[] = [];
  const put = new Set(patterns.filter((p) => p.verb === 'PUT').map((p) => p.path));
  const get = new Set(patterns.filter((p) => p.verb === 'GET').map((p) => p.path));
  for (const p of patterns) {
    const both = get.has(p.path) && put.has(p.path);
    if (both && p.verb === 'GET') out.push(`???/${p.path}`);
    else if (!(both && p.verb === 'PUT')) out.push(restOf(p));
  }
  return out;
}

function render(prefix: string, core: Rests, maxBytes: number): RoutePolicy {
  const allow = core.allow.map((r) => prefix + r);
  // Nothing allowed: one Deny for the stage says so (a policy needs a statement).
  const deny = allow.length === 0 ? [`${prefix}*`] : core.deny.map((r) => prefix + r);
  const statements: PolicyStatement[] = [];
  if (allow.length > 0)
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allow });
  if (deny.length > 0)
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: deny });
  const long = [...allow, ...deny].find((r) => r.length > MAX_RESOURCE_LENGTH);
  if (long)
    return {
      fallback: `a policy Resource would be ${long.length} characters, over API Gateway's ${MAX_RESOURCE_LENGTH}`,
    };
  const bytes = new TextEncoder().encode(
    JSON.stringify({ Version: '2012-10-17', Statement: statements }),
  ).length;
  if (bytes > maxBytes)
    return {
      fallback: `the policy would be ${bytes} bytes, over the ${maxBytes}-byte limit (${allow.length + deny.length} resources); ${TTL_HINT}`,
    };
  return { statements };
}
