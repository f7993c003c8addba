// The rules document (as parsed from YAML or JSON) → compiled rules, or every problem in it.
//
//   default: deny                      # or authenticated; what no route lists (default: deny)
//   routes:
//     - route: GET /pets               # METHOD /path; METHOD may be ANY
//       public: true                   # or authenticated: true, or deny: true, or requirements:
//     - route: DELETE /pets/{petId}
//       scopes: [write:pets]           # all of them; { any: [...] } for one of them, { all: [...] }
//       groups: { any: [admins] }      # same forms
//       claims:                        # every condition must hold
//         - { claim: email_verified, equals: true }
//         - { claim: tier, oneOf: [gold, platinum] }
//         - { claim: email, pattern: '@example\.com$' }
import { compileRules } from './rules-match.js';
import { compileClaimPattern } from './rules-pattern.js';
import { parseRoute, routeKey } from './rules-template.js';
import type {
  Access,
  ClaimCondition,
  ClaimValue,
  DefaultAccess,
  RouteRule,
  RuleError,
  RulePath,
  SetRequirement,
  ValidateRulesResult,
} from './rules-types.js';

const TOP_KEYS = ['default', 'routes'];
const ROUTE_KEYS = ['route', 'public', 'authenticated', 'deny', 'scopes', 'groups', 'claims'];
const FLAGS = ['public', 'authenticated', 'deny'] as const;
const CONDITION_OPS = ['equals', 'oneOf', 'pattern'] as const;

type Doc = Record<string, unknown>;

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (d: Doc, key: string): boolean => Object.prototype.hasOwnProperty.call(d, key);

/** A value as a message shows it: `the string "30"`, `a list`, `nothing`. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value === 'number' ? 'the number ' : ''}${String(value)}`;
}

/** Collects problems; each check returns undefined when it fails, so callers can go on. */
class Checker {
  readonly errors: RuleError[] = [];
  /** Each distinct condition once, shared by every route that states it: evaluated once per request. */
  private readonly conditions = new Map<string, ClaimCondition>();

  intern(condition: ClaimCondition): ClaimCondition {
    const value =
      condition.op === 'equals'
        ? condition.value
        : condition.op === 'oneOf'
          ? condition.values
          : condition.source;
    const key = JSON.stringify([condition.claim, condition.op, value]);
    const known = this.conditions.get(key);
    if (known) return known;
    this.conditions.set(key, condition);
    return condition;
  }

  fail(path: RulePath, message: string, atKey = false): undefined {
    this.errors.push(atKey ? { path, message, atKey } : { path, message });
    return undefined;
  }

  mapping(value: unknown, path: RulePath, known: readonly string[]): Doc | undefined {
    if (!isDoc(value)) return this.fail(path, `must be a mapping, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!known.includes(key))
        this.fail([...path, key], `is not a known key; expected one of ${known.join(', ')}`, true);
    }
    return value;
  }

  strings(value: unknown, path: RulePath, what: string, noSpaces: boolean): string[] | undefined {
    if (!Array.isArray(value) || value.length === 0)
      return this.fail(path, `must be a non-empty list of ${what}, got ${describe(value)}`);
    const out: string[] = [];
    for (const [i, v] of value.entries()) {
      if (typeof v !== 'string' || v.length === 0)
        this.fail([...path, i], `must be a non-empty string, got ${describe(v)}`);
      else if (noSpaces && /\s/.test(v))
        this.fail(
          [...path, i],
          `is ${describe(v)}: a scope cannot have spaces (tokens list scopes separated by spaces)`,
        );
      else out.push(v);
    }
    return out.length === value.length ? out : undefined;
  }
}

export function validateRules(doc: unknown): ValidateRulesResult {
  const c = new Checker();
  const root = c.mapping(doc, [], TOP_KEYS);
  if (!root) return { ok: false, errors: c.errors };
  const defaultAccess = checkDefault(c, root);
  const routes = checkRoutes(c, root);
  if (c.errors.length > 0 || defaultAccess === undefined || routes === undefined)
    return { ok: false, errors: c.errors };
  return { ok: true, rules: compileRules(defaultAccess, routes) };
}

function checkDefault(c: Checker, root: Doc): DefaultAccess | undefined {
  if (!has(root, 'default')) return 'deny';
  const v = root.default;
  if (v === 'deny' || v === 'authenticated') return v;
  return c.fail(['default'], `must be deny or authenticated, got ${describe(v)}`);
}

function checkRoutes(c: Checker, root: Doc): RouteRule[] | undefined {
  if (!has(root, 'routes'))
    return c.fail(['routes'], 'is required: a list of routes (it may be empty)');
  const list = root.routes;
  if (!Array.isArray(list))
    return c.fail(['routes'], `must be a list of routes, got ${describe(list)}`);
  const routes: RouteRule[] = [];
  const seen = new Map<string, { index: number; route: string }>();
  for (const [i, item] of list.entries()) {
    const path = ['routes', i];
    const doc = c.mapping(item, path, ROUTE_KEYS);
    const parsed = doc && checkRouteString(c, doc, path);
    if (!doc || !parsed) continue;
    // Duplicates are reported even when the route has other problems.
    const key = routeKey(parsed.method, parsed.segments);
    const first = seen.get(key);
    if (first !== undefined)
      c.fail(
        [...path, 'route'],
        `duplicates routes[${first.index}] (${first.route}): the same method and path`,
      );
    else seen.set(key, { index: i, route: `${parsed.method} ${parsed.template}` });
    const rule = checkRoute(c, doc, i, parsed);
    if (rule) routes.push(rule);
  }
  return routes;
}

type ParsedRoute = Extract<ReturnType<typeof parseRoute>, { ok: true }>['value'];

function checkRouteString(c: Checker, doc: Doc, path: RulePath): ParsedRoute | undefined {
  if (!has(doc, 'route')) return c.fail(path, 'needs a route: "METHOD /path"');
  if (typeof doc.route !== 'string')
    return c.fail(
      [...path, 'route'],
      `must be a string "METHOD /path", got ${describe(doc.route)}`,
    );
  const parsed = parseRoute(doc.route);
  return parsed.ok ? parsed.value : c.fail([...path, 'route'], parsed.message);
}

function checkRoute(c: Checker, doc: Doc, i: number, parsed: ParsedRoute): RouteRule | undefined {
  const path = ['routes', i];
  const errorsBefore = c.errors.length;
  const access = checkAccess(c, doc, path);
  const scopes = has(doc, 'scopes')
    ? checkSet(c, doc.scopes, [...path, 'scopes'], 'scopes')
    : undefined;
  const groups = has(doc, 'groups')
    ? checkSet(c, doc.groups, [...path, 'groups'], 'groups')
    : undefined;
  const claims = has(doc, 'claims') ? checkClaims(c, doc.claims, [...path, 'claims']) : [];
  // Any problem drops the route: a rule whose requirement failed to parse must never be weaker.
  if (access === undefined || claims === undefined || c.errors.length > errorsBefore)
    return undefined;
  const { method, template, segments } = parsed;
  return {
    route: `${method} ${template}`,
    method,
    template,
    segments,
    access,
    scopes,
    groups,
    claims,
    index: i,
  };
}

/** Exactly one of: a flag (public, authenticated, deny), or at least one requirement. */
function checkAccess(c: Checker, doc: Doc, path: RulePath): Access | undefined {
  const flags = FLAGS.filter((f) => has(doc, f));
  for (const f of flags)
    if (doc[f] !== true)
      return c.fail(
        [...path, f],
        `must be true (leave ${f} out otherwise), got ${describe(doc[f])}`,
      );
  const requirements = ['scopes', 'groups', 'claims'].filter((k) => has(doc, k));
  if (flags.length > 1)
    return c.fail(path, `sets ${flags.join(' and ')}; a route takes one of them`);
  if (flags.length === 1 && requirements.length > 0)
    return c.fail(
      path,
      `sets ${flags[0]} and ${requirements.join(', ')}; ${flags[0]} takes no requirements`,
    );
  if (flags.length === 1) return flags[0];
  if (requirements.length === 0)
    return c.fail(
      path,
      'needs public: true, authenticated: true, deny: true, or at least one of scopes, groups, claims',
    );
  return 'conditions';
}

/** `[a, b]` (all of them), `{ all: [a, b] }` or `{ any: [a, b] }`. */
function checkSet(
  c: Checker,
  value: unknown,
  path: RulePath,
  what: 'scopes' | 'groups',
): SetRequirement | undefined {
  const noSpaces = what === 'scopes';
  if (Array.isArray(value)) {
    const values = c.strings(value, path, what, noSpaces);
    return values && { match: 'all', values };
  }
  if (!isDoc(value))
    return c.fail(
      path,
      `must be a list of ${what}, { all: [...] } or { any: [...] }, got ${describe(value)}`,
    );
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'all' && keys[0] !== 'any')) {
    return c.fail(
      path,
      `must have exactly one key, all or any, got ${keys.length === 0 ? 'none' : keys.join(', ')}`,
    );
  }
  const match = keys[0];
  const values = c.strings(value[match], [...path, match], what, noSpaces);
  return values && { match, values };
}

function checkClaims(c: Checker, value: unknown, path: RulePath): ClaimCondition[] | undefined {
  if (!Array.isArray(value) || value.length === 0)
    return c.fail(path, `must be a non-empty list of conditions, got ${describe(value)}`);
  const out = value.map((v, i) => checkCondition(c, v, [...path, i])).map((x) => x && c.intern(x));
  return out.every((x) => x !== undefined) ? (out as ClaimCondition[]) : undefined;
}

const isClaimValue = (v: unknown): v is ClaimValue =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

function checkCondition(c: Checker, value: unknown, path: RulePath): ClaimCondition | undefined {
  const doc = c.mapping(value, path, ['claim', ...CONDITION_OPS]);
  if (!doc) return undefined;
  const ops = CONDITION_OPS.filter((k) => has(doc, k));
  if (!has(doc, 'claim'))
    return c.fail(path, 'needs claim: the name of the claim the condition is about');
  const claim = doc.claim;
  if (typeof claim !== 'string' || claim.length === 0)
    return c.fail([...path, 'claim'], `must be a claim name, got ${describe(claim)}`);
  if (ops.length !== 1)
    return c.fail(
      path,
      `needs exactly one of equals, oneOf, pattern, got ${ops.length === 0 ? 'none' : ops.join(', ')}`,
    );
  const op = ops[0]!;
  const v = doc[op];
  const at = [...path, op];
  if (op === 'equals')
    return isClaimValue(v)
      ? { claim, op, value: v }
      : c.fail(at, `must be a string, number or boolean, got ${describe(v)}`);
  if (op === 'oneOf') {
    if (!Array.isArray(v) || v.length === 0)
      return c.fail(
        at,
        `must be a non-empty list of strings, numbers or booleans, got ${describe(v)}`,
      );
    const bad = v.findIndex((x) => !isClaimValue(x));
    return bad < 0
      ? { claim, op, values: v as ClaimValue[] }
      : c.fail([...at, bad], `must be a string, number or boolean, got ${describe(v[bad])}`);
  }
  if (typeof v !== 'string')
    return c.fail(at, `must be a regular expression in a string, got ${describe(v)}`);
  const compiled = compileClaimPattern(v);
  return compiled.ok
    ? { claim, op, source: v, pattern: compiled.pattern }
    : c.fail(at, compiled.message);
}
