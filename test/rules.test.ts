import { repoPath } from './support/paths.js';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from './support/child.js';
import { existsSync } from 'node:fs';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import {
  buildRoutePolicy,
  evaluateRule,
  formatRulePath,
  MAX_PATTERN_INPUT,
  methodArnRequest,
  ruleEvaluator,
  UNROUTABLE,
  validateRules,
  type CompiledRules,
  type RoutePolicy,
  type RoutePolicyOptions,
  type RouteRule,
  type RuleError,
} from '../src/core/rules.js';
import { REASON_KIND, type JwtPayload } from '../src/core/reasons.js';
import { patternWork } from '../src/core/rules-pattern.js';
import { loadRulesFile, loadRulesSource } from '../src/settings/rules-file.js';
import { parseMethodArn } from '../src/aws/policy.js';
import { evaluate } from './support/iam.js';

const here = (p: string): string => repoPath('test', p);
const PETSTORE = here('../examples/petstore.rules.yaml');
const FIXTURES = here('./fixtures/rules/');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const PREFIX = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/';
const ARN = parseMethodArn(`${PREFIX}GET/pets/1`)!;

function rulesOf(doc: unknown): CompiledRules {
  const result = validateRules(doc);
  if (!result.ok)
    assert.fail(
      `invalid rules: ${result.errors.map((e) => `${formatRulePath(e.path)} ${e.message}`).join('; ')}`,
    );
  return result.rules;
}

function errorsOf(doc: unknown): RuleError[] {
  const result = validateRules(doc);
  assert.equal(result.ok, false, 'expected validation errors');
  return (result as { errors: RuleError[] }).errors;
}

function petstore(): CompiledRules {
  const loaded = loadRulesFile(PETSTORE);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return loaded.rules;
}

interface Token {
  readonly claims: JwtPayload;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
}

const token = (
  scopes: readonly string[] = [],
  groups: readonly string[] = [],
  claims: JwtPayload = {},
): Token => ({ claims: { sub: 'user-1', ...claims }, scopes, groups });
const identity = (t: Token) => ({ scopes: new Set(t.scopes), groups: new Set(t.groups) });
const satisfies = (rule: RouteRule, t: Token): boolean =>
  evaluateRule(rule, t.claims, identity(t)) === undefined;

function policyFor(rules: CompiledRules, t: Token, options?: RoutePolicyOptions): RoutePolicy {
  return buildRoutePolicy(ARN, rules, (rule) => satisfies(rule, t), options);
}

function asResult(policy: RoutePolicy): APIGatewayAuthorizerResult {
  assert.ok(
    'statements' in policy,
    `expected statements, got the fallback: ${'fallback' in policy ? policy.fallback : ''}`,
  );
  return {
    principalId: 'user-1',
    policyDocument: { Version: '2012-10-17', Statement: policy.statements },
  };
}

/**
 * Request paths to probe a rule set with: every route with its parameters set to each literal of
 * the rules (precedence), to a plain value and to a value with a `/` (IAM's `*` spans it), with a
 * trailing slash, with segments below it, with an empty segment; and unlisted paths.
 */
function probePaths(rules: CompiledRules): string[] {
  const literals = new Set(['zz']);
  for (const r of rules.routes)
    for (const s of r.segments) if (s.kind === 'literal') literals.add(s.value);
  const values = ['1', ...literals];
  const out = new Set(['/', '//', '/zz', '/zz/', '/zz/yy', '/1/2/3/4']);
  for (const r of rules.routes) {
    let paths = [''];
    for (const s of r.segments) {
      const options = s.kind === 'literal' ? [s.value] : [...values, '1/2'];
      paths = paths.flatMap((p) => options.map((o) => `${p}/${o}`)).slice(0, 300);
    }
    for (const p of paths) {
      if (p === '') continue;
      for (const suffix of ['', '/', '/zz', '/zz/yy', '//', '/1']) out.add(p + suffix);
    }
  }
  return [...out];
}

/**
 * The policy for this token, evaluated as API Gateway does, against every probe and every method:
 * allowed exactly when the rule that handles the request is satisfied. Returns the policy (or the
 * fallback). With routesComplete, unlisted paths are left out.
 */
function assertPolicyAgrees(
  rules: CompiledRules,
  t: Token,
  options?: RoutePolicyOptions,
): RoutePolicy {
  const policy = policyFor(rules, t, options);
  if ('fallback' in policy) return policy;
  const result = asResult(policy);
  for (const path of probePaths(rules)) {
    for (const method of METHODS) {
      const rule = rules.resolve(method, path);
      if (options?.routesComplete && rule === rules.defaultRule) continue;
      const expected = rule !== UNROUTABLE && satisfies(rule, t);
      const got = evaluate(result, `${PREFIX}${method}${path}`);
      assert.equal(
        got === 'allow',
        expected,
        `${method} ${path}: ${rule.route} is ${expected ? 'satisfied' : 'not satisfied'} but the policy says ${got}\n${JSON.stringify(policy.statements, null, 1)}`,
      );
    }
  }
  return policy;
}

const relative = (policy: RoutePolicy, effect: 'Allow' | 'Deny'): string[] =>
  asResult(policy)
    .policyDocument.Statement.filter((s) => s.Effect === effect)
    .flatMap((s): string[] =>
      'Resource' in s && s.Resource !== undefined ? [s.Resource].flat() : [],
    )
    .map((r) => r.slice(PREFIX.length))
    .sort();

// ---------------------------------------------------------------- validation

test('the petstore example is valid: 6 routes, default deny', () => {
  const rules = petstore();
  assert.equal(rules.routes.length, 6);
  assert.equal(rules.default, 'deny');
  assert.deepEqual(
    rules.routes.map((r) => r.route),
    [
      'GET /',
      'GET /pets',
      'GET /pets/{petId}',
      'POST /pets',
      'DELETE /pets/{petId}',
      'ANY /admin/{proxy+}',
    ],
  );
  const del = rules.routes[4]!;
  assert.deepEqual(del.groups, { match: 'all', values: ['admins'] });
  assert.deepEqual(
    del.claims.map((c) => c.op),
    ['equals', 'oneOf', 'pattern'],
  );
  assert.deepEqual(rules.routes[3]!.scopes, { match: 'any', values: ['write:pets', 'admin'] });
});

test('default is deny when left out; routes may be empty', () => {
  assert.equal(rulesOf({ routes: [] }).default, 'deny');
  assert.equal(rulesOf({ default: 'authenticated', routes: [] }).default, 'authenticated');
});

test('validation errors name the place in the document and the problem', () => {
  const cases: [unknown, RuleError['path'], RegExp][] = [
    [null, [], /must be a mapping, got nothing/],
    [[], [], /must be a mapping, got a list/],
    [{ routes: [], extra: 1 }, ['extra'], /is not a known key; expected one of default, routes/],
    [
      { default: 'allow', routes: [] },
      ['default'],
      /must be deny or authenticated, got the string "allow"/,
    ],
    [{}, ['routes'], /is required/],
    [{ routes: {} }, ['routes'], /must be a list of routes, got a mapping/],
    [{ routes: ['GET /'] }, ['routes', 0], /must be a mapping, got the string/],
    [{ routes: [{ public: true }] }, ['routes', 0], /needs a route/],
    [
      { routes: [{ route: 7, public: true }] },
      ['routes', 0, 'route'],
      /must be a string "METHOD \/path", got the number 7/,
    ],
    [
      { routes: [{ route: '/pets', public: true }] },
      ['routes', 0, 'route'],
      /must be "METHOD \/path"/,
    ],
    [
      { routes: [{ route: 'FETCH /pets', public: true }] },
      ['routes', 0, 'route'],
      /unknown method "FETCH"/,
    ],
    [
      { routes: [{ route: 'get /pets', public: true }] },
      ['routes', 0, 'route'],
      /unknown method "get".*upper case/,
    ],
    [
      { routes: [{ route: 'GET pets', public: true }] },
      ['routes', 0, 'route'],
      /does not start with \//,
    ],
    [
      { routes: [{ route: 'GET /pets/', public: true }] },
      ['routes', 0, 'route'],
      /ending with \/: write "\/pets"/,
    ],
    [
      { routes: [{ route: 'GET /pets//x', public: true }] },
      ['routes', 0, 'route'],
      /empty segment/,
    ],
    [
      { routes: [{ route: 'GET /pets/{petId', public: true }] },
      ['routes', 0, 'route'],
      /unbalanced brace in the segment "\{petId"/,
    ],
    [
      { routes: [{ route: 'GET /pets/petId}', public: true }] },
      ['routes', 0, 'route'],
      /unbalanced brace/,
    ],
    [
      { routes: [{ route: 'GET /pets/pet{id}', public: true }] },
      ['routes', 0, 'route'],
      /a parameter must be a whole segment/,
    ],
    [
      { routes: [{ route: 'GET /pets/{}', public: true }] },
      ['routes', 0, 'route'],
      /a parameter must be a whole segment/,
    ],
    [
      { routes: [{ route: 'GET /a/{proxy+}/b', public: true }] },
      ['routes', 0, 'route'],
      /greedy parameter must be the last segment/,
    ],
    [
      { routes: [{ route: 'GET /a/{id}/{id}', public: true }] },
      ['routes', 0, 'route'],
      /uses the parameter \{id\} twice/,
    ],
    [
      { routes: [{ route: 'GET /pe*ts', public: true }] },
      ['routes', 0, 'route'],
      /with "\*"; literal segments may only have/,
    ],
    [
      { routes: [{ route: 'GET /pets' }] },
      ['routes', 0],
      /needs public: true, authenticated: true, deny: true, or at least one of scopes, groups, claims/,
    ],
    [{ routes: [{ route: 'GET /pets', public: false }] }, ['routes', 0, 'public'], /must be true/],
    [
      { routes: [{ route: 'GET /pets', public: true, authenticated: true }] },
      ['routes', 0],
      /sets public and authenticated/,
    ],
    [
      { routes: [{ route: 'GET /pets', public: true, scopes: ['a'] }] },
      ['routes', 0],
      /public takes no requirements/,
    ],
    [
      { routes: [{ route: 'GET /pets', scop: ['a'] }] },
      ['routes', 0, 'scop'],
      /is not a known key/,
    ],
    [
      { routes: [{ route: 'GET /pets', scopes: [] }] },
      ['routes', 0, 'scopes'],
      /non-empty list of scopes/,
    ],
    [
      { routes: [{ route: 'GET /pets', scopes: 'read:pets' }] },
      ['routes', 0, 'scopes'],
      /must be a list of scopes, \{ all: \[...\] \} or \{ any: \[...\] \}/,
    ],
    [
      { routes: [{ route: 'GET /pets', scopes: ['read pets'] }] },
      ['routes', 0, 'scopes', 0],
      /a scope cannot have spaces/,
    ],
    [
      { routes: [{ route: 'GET /pets', scopes: ['a', 3] }] },
      ['routes', 0, 'scopes', 1],
      /non-empty string, got the number 3/,
    ],
    [
      { routes: [{ route: 'GET /pets', scopes: { all: ['a'], any: ['b'] } }] },
      ['routes', 0, 'scopes'],
      /exactly one key, all or any, got all, any/,
    ],
    [
      { routes: [{ route: 'GET /pets', groups: { some: ['a'] } }] },
      ['routes', 0, 'groups'],
      /exactly one key/,
    ],
    [
      { routes: [{ route: 'GET /pets', groups: { any: [] } }] },
      ['routes', 0, 'groups', 'any'],
      /non-empty list of groups/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [] }] },
      ['routes', 0, 'claims'],
      /non-empty list of conditions/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ equals: 1 }] }] },
      ['routes', 0, 'claims', 0],
      /needs claim/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a' }] }] },
      ['routes', 0, 'claims', 0],
      /exactly one of equals, oneOf, pattern, got none/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', equals: 1, oneOf: [1] }] }] },
      ['routes', 0, 'claims', 0],
      /got equals, oneOf/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', equals: [1] }] }] },
      ['routes', 0, 'claims', 0, 'equals'],
      /string, number or boolean, got a list/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', oneOf: ['x', null] }] }] },
      ['routes', 0, 'claims', 0, 'oneOf', 1],
      /got nothing/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', is: 1 }] }] },
      ['routes', 0, 'claims', 0, 'is'],
      /is not a known key/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: '(' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /not a valid regular expression/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: '\\p{Nope}' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /not a valid regular expression/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: 'x'.repeat(201) }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /201 characters long; patterns may have at most 200/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: 'a{0,200}a{0,200}b' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /more than 256 character positions once repeats are counted out/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: '(?:[a-z]{20}){13}' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /more than 256 character positions/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: '(?=a)b' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /lookaround \(\?=\) at character 1/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: 'x(?<!y)' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /lookaround \(\?<!\) at character 2/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: '(a)\\1' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /backreference \(\\1\) at character 4/,
    ],
    [
      { routes: [{ route: 'GET /pets', claims: [{ claim: 'a', pattern: '(?<x>a)\\k<x>' }] }] },
      ['routes', 0, 'claims', 0, 'pattern'],
      /backreference/,
    ],
  ];
  for (const [doc, path, message] of cases) {
    const errors = errorsOf(doc);
    const found = errors.find((e) => JSON.stringify(e.path) === JSON.stringify(path));
    assert.ok(
      found,
      `${JSON.stringify(doc)}: no error at ${formatRulePath(path)}; got ${JSON.stringify(errors)}`,
    );
    assert.match(found.message, message, JSON.stringify(doc));
  }
});

test('duplicate routes: the same method and path, whatever the parameter names', () => {
  const errors = errorsOf({
    routes: [
      { route: 'GET /pets/{id}', public: true },
      { route: 'DELETE /pets/{id}', public: true },
      { route: 'GET /pets/{petId}', scopes: ['a'] },
    ],
  });
  assert.deepEqual(
    errors.map((e) => [formatRulePath(e.path), e.message]),
    [['routes[2].route', 'duplicates routes[0] (GET /pets/{id}): the same method and path']],
  );
  // ANY and a method on the same path are two routes; the method wins for its requests.
  rulesOf({
    routes: [
      { route: 'ANY /pets', public: true },
      { route: 'GET /pets', scopes: ['a'] },
    ],
  });
});

test('every problem is reported, not only the first', () => {
  const errors = errorsOf({
    default: 'x',
    routes: [
      { route: 'GET /a', public: true, deny: true },
      { route: 'GET /b/', public: true },
      { route: 'GET /c', scopes: [1] },
    ],
  });
  assert.deepEqual(
    errors.map((e) => formatRulePath(e.path)),
    ['default', 'routes[0]', 'routes[1].route', 'routes[2].scopes[0]'],
  );
});

test('patterns run in linear time: at most 2 × states steps per character, on the hostile values that make backtracking slow', () => {
  const ok = [
    '@example\\.com$',
    '^[^@\\s]+@example\\.com$',
    '^(gold|platinum|diamond)$',
    '^arn:aws:iam::\\d{12}:role/',
    '^\\p{Lu}',
    '(?:ab){3}',
    'a{2}b{3}c+',
  ];
  for (const pattern of ok)
    rulesOf({ routes: [{ route: 'GET /x', claims: [{ claim: 'c', pattern }] }] });
  // Catastrophic or polynomial for a backtracking engine; each is one pass here.
  const hostile: [string, string][] = [
    ['\\p{L}*\\p{L}*1', 'a'.repeat(256)],
    ['a{0,120}a{0,120}b', 'a'.repeat(256)],
    ['(a+)+$', `${'a'.repeat(255)}!`],
    ['^(a|ab)*$', `${'ab'.repeat(127)}!`],
    ['a*a*a*a*a*b', 'a'.repeat(256)],
    ['(?:x(?:a*))+y', `x${'a'.repeat(255)}`],
    ['([a-z]+)*@', 'a'.repeat(256)],
  ];
  for (const [pattern, value] of hostile) {
    const rules = rulesOf({ routes: [{ route: 'GET /x', claims: [{ claim: 'c', pattern }] }] });
    const condition = rules.routes[0]!.claims[0]!;
    assert.ok(condition.op === 'pattern');
    patternWork.steps = 0;
    const reason = evaluateRule(rules.routes[0]!, { c: value }, identity(token()));
    assert.equal(reason?.code, 'CLAIM_CONDITION_FAILED', pattern);
    assert.equal(
      new RegExp(pattern, 'u').test(value.slice(0, 24)),
      condition.pattern.test(value.slice(0, 24)),
      `${pattern}: the same answer as JavaScript`,
    );
    const bound = 2 * condition.pattern.states * (value.length + 1);
    assert.ok(
      patternWork.steps > 0 && patternWork.steps <= bound,
      `${pattern}: ${patternWork.steps} steps, bound ${bound}`,
    );
  }
  // Longer values never match and are not read.
  const rules = rulesOf({ routes: [{ route: 'GET /x', claims: [{ claim: 'c', pattern: 'a' }] }] });
  patternWork.steps = 0;
  assert.match(
    evaluateRule(rules.routes[0]!, { c: 'a'.repeat(MAX_PATTERN_INPUT + 1) }, identity(token()))!
      .message!,
    /longer than 256 characters/,
  );
  assert.equal(patternWork.steps, 0);
  assert.equal(
    evaluateRule(rules.routes[0]!, { c: 'a'.repeat(MAX_PATTERN_INPUT) }, identity(token())),
    undefined,
  );
});

test('each distinct condition runs once per request, however many routes state it (the cache-safe policy asks about every route)', () => {
  const email = { claim: 'email', pattern: '^[^@]+@(?:mail\\.)?example\\.com$' };
  const routes = [
    { route: 'GET /mail', claims: [email] },
    ...Array.from({ length: 20 }, (_, i) => ({
      route: `GET /mail/folder${i}`,
      claims: [email, { claim: 'tier', oneOf: ['gold', 'silver'] }],
    })),
    { route: 'GET /pets', scopes: ['read:pets'] },
  ];
  const rules = rulesOf({ routes });
  const conditions = new Set(rules.routes.flatMap((r) => r.claims));
  assert.equal(conditions.size, 2, 'equal conditions are one object');
  const t = token(['read:pets'], [], { email: `${'a'.repeat(200)}@example.org`, tier: 'gold' });
  const evaluate = ruleEvaluator(t.claims, identity(t));
  patternWork.runs = 0;
  const policy = buildRoutePolicy(ARN, rules, (rule) => evaluate(rule) === undefined);
  assert.ok('statements' in policy);
  assert.equal(evaluate(rules.resolve('GET', '/pets')), undefined);
  assert.equal(evaluate(rules.resolve('GET', '/mail'))?.code, 'CLAIM_CONDITION_FAILED');
  assert.equal(patternWork.runs, 1, 'the pattern ran once for 21 routes and two decisions');
});

// ---------------------------------------------------------------- matching

test('matching: literal beats {param} beats {proxy+}, segment by segment; a method beats ANY', () => {
  const rules = rulesOf({
    routes: [
      { route: 'GET /pets/{petId}', public: true },
      { route: 'GET /pets/mine', public: true },
      { route: 'ANY /pets/{petId}', public: true },
      { route: 'GET /pets/{petId}/photos', public: true },
      { route: 'GET /pets/mine/{rest+}', public: true },
      { route: 'ANY /{proxy+}', public: true },
      { route: 'GET /{tenant}/pets', public: true },
      { route: 'GET /', public: true },
    ],
  });
  const route = (method: string, path: string): string | undefined =>
    rules.match(method, path)?.route;
  assert.equal(route('GET', '/pets/1'), 'GET /pets/{petId}');
  assert.equal(route('GET', '/pets/mine'), 'GET /pets/mine');
  assert.equal(
    route('DELETE', '/pets/1'),
    'ANY /pets/{petId}',
    'ANY takes the methods no route names',
  );
  assert.equal(
    route('DELETE', '/pets/mine'),
    'ANY /pets/{petId}',
    'GET /pets/mine is for GET only',
  );
  assert.equal(route('GET', '/pets/1/photos'), 'GET /pets/{petId}/photos');
  assert.equal(
    route('GET', '/pets/mine/photos'),
    'GET /pets/mine/{rest+}',
    'the literal mine decides at the second segment',
  );
  assert.equal(route('GET', '/pets/mine/a/b'), 'GET /pets/mine/{rest+}');
  assert.equal(route('GET', '/pets/1/videos'), 'ANY /{proxy+}');
  assert.equal(route('GET', '/acme/pets'), 'GET /{tenant}/pets');
  assert.equal(
    route('GET', '/pets/pets'),
    'GET /pets/{petId}',
    'the first segment decides: a literal pets beats {tenant}',
  );
  assert.equal(route('GET', '/pets'), 'ANY /{proxy+}');
  assert.equal(route('POST', '/pets'), 'ANY /{proxy+}');
  assert.equal(route('GET', '/'), 'GET /');
  assert.equal(route('POST', '/'), undefined, 'a greedy parameter needs at least one segment');
});

test('matching: trailing slashes, the root, case, unlisted and unroutable requests', () => {
  const rules = rulesOf({
    routes: [
      { route: 'GET /pets', public: true },
      { route: 'GET /pets/{petId}', public: true },
      { route: 'ANY /admin/{proxy+}', deny: true },
    ],
  });
  const route = (method: string, path: string): string | undefined =>
    rules.match(method, path)?.route;
  assert.equal(route('GET', '/pets/'), 'GET /pets', 'one trailing slash is ignored');
  assert.equal(route('GET', '/pets/1/'), 'GET /pets/{petId}');
  assert.equal(route('GET', '/admin/a/b/'), 'ANY /admin/{proxy+}');
  assert.equal(route('GET', '/admin'), undefined, '{proxy+} needs a segment');
  assert.equal(route('GET', '/admin/'), undefined);
  assert.equal(route('GET', '/Pets'), undefined, 'case-sensitive');
  assert.equal(route('GET', '/'), undefined, 'no root route');
  assert.equal(route('POST', '/pets'), undefined);
  assert.equal(rules.resolve('POST', '/pets'), rules.defaultRule);
  for (const [method, path] of [
    ['GET', '/pets//1'],
    ['GET', '/pets//'],
    ['GET', '//'],
    ['GET', 'pets'],
    ['GET', ''],
    ['get', '/pets'],
    ['FETCH', '/pets'],
  ]) {
    assert.equal(rules.match(method!, path!), UNROUTABLE, `${method} ${path}`);
  }
});

test('methodArnRequest: the method and path a methodArn names, for resolve', () => {
  assert.deepEqual(methodArnRequest(`${PREFIX}GET/pets/1`), { method: 'GET', path: '/pets/1' });
  assert.deepEqual(methodArnRequest(`${PREFIX}GET/`), { method: 'GET', path: '/' });
  assert.deepEqual(methodArnRequest(`${PREFIX}DELETE/pets/a:b/`), {
    method: 'DELETE',
    path: '/pets/a:b/',
  });
  assert.deepEqual(
    methodArnRequest('arn:aws:execute-api:us-east-1:123456789012:abc123/$default/POST/x//y'),
    { method: 'POST', path: '/x//y' },
  );
  assert.equal(methodArnRequest(`${PREFIX}GET`), undefined);
  assert.equal(
    methodArnRequest('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect'),
    undefined,
  );
  assert.equal(methodArnRequest('nonsense'), undefined);
});

// ---------------------------------------------------------------- evaluation

test('evaluation: scopes all and any, groups, SCOPE_INSUFFICIENT and GROUP_INSUFFICIENT', () => {
  const rules = rulesOf({
    routes: [
      { route: 'GET /a', scopes: ['read', 'write'] },
      { route: 'GET /b', scopes: { any: ['read', 'admin'] } },
      { route: 'GET /c', groups: { all: ['ops', 'eu'] } },
      { route: 'GET /d', scopes: ['read'], groups: { any: ['ops'] } },
    ],
  });
  const [a, b, c, d] = rules.routes as [RouteRule, RouteRule, RouteRule, RouteRule];
  const run = (r: RouteRule, t: Token) => evaluateRule(r, t.claims, identity(t));
  assert.equal(run(a, token(['read', 'write', 'x'])), undefined);
  assert.deepEqual(run(a, token(['read'])), {
    code: 'SCOPE_INSUFFICIENT',
    message: 'The token lacks scopes that GET /a requires: write',
    detail: { route: 'GET /a', match: 'all', missing: 'write' },
  });
  assert.equal(run(b, token(['admin'])), undefined);
  assert.equal(run(b, token(['write']))?.code, 'SCOPE_INSUFFICIENT');
  assert.equal(run(c, token([], ['ops', 'eu'])), undefined);
  assert.equal(run(c, token([], ['ops']))?.code, 'GROUP_INSUFFICIENT');
  assert.equal(run(d, token(['read'], ['ops'])), undefined);
  assert.equal(run(d, token([], ['ops']))?.code, 'SCOPE_INSUFFICIENT', 'scopes are checked first');
  assert.equal(run(d, token(['read'], ['dev']))?.code, 'GROUP_INSUFFICIENT');
  for (const code of [
    'SCOPE_INSUFFICIENT',
    'GROUP_INSUFFICIENT',
    'CLAIM_CONDITION_FAILED',
    'ROUTE_NOT_ALLOWED',
  ] as const)
    assert.equal(REASON_KIND[code], 'deny');
});

test('evaluation: claim conditions compare strictly and refuse values of the wrong type', () => {
  const rules = rulesOf({
    routes: [
      {
        route: 'GET /x',
        claims: [
          { claim: 'email_verified', equals: true },
          { claim: 'tier', oneOf: ['gold', 'platinum', 3] },
          { claim: 'email', pattern: '@example\\.com$' },
        ],
      },
    ],
  });
  const rule = rules.routes[0]!;
  const good = { email_verified: true, tier: 'gold', email: 'a@example.com' };
  const run = (claims: JwtPayload) =>
    evaluateRule(rule, { sub: 'u', ...claims }, identity(token()));
  assert.equal(run(good), undefined);
  assert.equal(run({ ...good, tier: 3 }), undefined, 'numbers in oneOf');
  const failures: [JwtPayload, string, RegExp][] = [
    [{ ...good, email_verified: 'true' }, 'email_verified', /does not equal true/],
    [{ ...good, email_verified: undefined }, 'email_verified', /is missing/],
    [
      { ...good, email_verified: [true] },
      'email_verified',
      /is a list, not a string, number or boolean/,
    ],
    [{ ...good, email_verified: null }, 'email_verified', /is null/],
    [{ ...good, tier: 'silver' }, 'tier', /is not one of \["gold","platinum",3\]/],
    [{ ...good, tier: '3' }, 'tier', /is not one of/],
    [{ ...good, tier: { name: 'gold' } }, 'tier', /is an object/],
    [{ ...good, email: 'a@example.com.evil' }, 'email', /does not match "@example\\\\.com\$"/],
    [{ ...good, email: 42 }, 'email', /is a number; the pattern .* applies to strings/],
    [{ ...good, email: `${'a'.repeat(250)}@example.com` }, 'email', /longer than 256 characters/],
  ];
  for (const [claims, claim, message] of failures) {
    const r = run(claims);
    assert.equal(r?.code, 'CLAIM_CONDITION_FAILED', JSON.stringify(claims));
    assert.equal(r.detail?.claim, claim);
    assert.match(r.message!, message);
    assert.ok(
      !r.message!.includes('evil') && !r.message!.includes('silver'),
      "messages never echo the token's values",
    );
  }
  assert.equal(
    run({ email_verified: true, tier: 'gold', email: 'a@example.com', constructor: 1 }),
    undefined,
  );
  assert.equal(
    evaluateRule(rule, { sub: 'u', toString: 'x' } as JwtPayload, identity(token()))?.message,
    'The email_verified claim is missing',
    'own claims only',
  );
});

test('evaluation: public, authenticated, deny, the default and unroutable requests', () => {
  const rules = rulesOf({
    default: 'authenticated',
    routes: [
      { route: 'GET /p', public: true },
      { route: 'GET /a', authenticated: true },
      { route: 'GET /d', deny: true },
    ],
  });
  const run = (r: RouteRule) => evaluateRule(r, { sub: 'u' }, identity(token()));
  assert.equal(run(rules.resolve('GET', '/p')), undefined);
  assert.equal(run(rules.resolve('GET', '/a')), undefined);
  assert.deepEqual(run(rules.resolve('GET', '/d')), {
    code: 'ROUTE_NOT_ALLOWED',
    message: 'The rule for GET /d denies every request',
    detail: { route: 'GET /d' },
  });
  assert.equal(run(rules.resolve('GET', '/elsewhere')), undefined, 'default: authenticated');
  assert.equal(
    run(rules.resolve('GET', '/a//b'))?.code,
    'ROUTE_NOT_ALLOWED',
    'unroutable, whatever the default',
  );
  const denying = rulesOf({ routes: [] });
  assert.equal(
    run(denying.resolve('GET', '/x'))?.message,
    'No rule lists this route, and the default is deny',
  );
});

// ---------------------------------------------------------------- the cache-safe policy

test('ACCEPTANCE: with read:pets only, the policy returned for GET /pets/1 allows GET /pets/2 and GET /pets and denies DELETE /pets/1', () => {
  const rules = petstore();
  const t = token(['read:pets']);
  const methodArn = `${PREFIX}GET/pets/1`;
  // What the handler does: decide the request by its route, then build the policy for the token.
  const request = methodArnRequest(methodArn)!;
  assert.equal(
    evaluateRule(rules.resolve(request.method, request.path), t.claims, identity(t)),
    undefined,
  );
  const result = asResult(
    buildRoutePolicy(parseMethodArn(methodArn)!, rules, (r) => satisfies(r, t)),
  );
  assert.equal(evaluate(result, methodArn), 'allow');
  assert.equal(evaluate(result, `${PREFIX}GET/pets/2`), 'allow');
  assert.equal(evaluate(result, `${PREFIX}GET/pets`), 'allow');
  assert.notEqual(evaluate(result, `${PREFIX}DELETE/pets/1`), 'allow');
  assert.notEqual(evaluate(result, `${PREFIX}POST/pets`), 'allow');
  assert.notEqual(evaluate(result, `${PREFIX}GET/admin/users`), 'allow');
  assert.notEqual(
    evaluate(result, `${PREFIX}GET/pets/1/secrets`),
    'allow',
    'an unlisted path below /pets/{petId}',
  );
  assert.notEqual(
    evaluate(result, 'arn:aws:execute-api:us-east-1:123456789012:abc123/test/GET/pets/2'),
    'allow',
    'another stage',
  );
  const policy = policyFor(rules, t);
  assert.deepEqual(relative(policy, 'Allow'), ['GET/', 'GET/pets', 'GET/pets/', 'GET/pets/?*']);
  assert.deepEqual(relative(policy, 'Deny'), ['*//*', 'GET/pets/?*/?*']);
});

test('the petstore policy is exact for every kind of token, on every route, unlisted path and method', () => {
  const rules = petstore();
  const admin = { email_verified: true, tier: 'gold', email: 'root@example.com' };
  const tokens = [
    token(),
    token(['read:pets']),
    token(['write:pets']),
    token(['admin', 'read:pets']),
    token([], ['admins']),
    token(['read:pets'], ['admins'], admin),
    token(['read:pets'], ['admins'], { ...admin, email_verified: 'true' }),
    token(['read:pets', 'write:pets'], ['admins'], { ...admin, tier: 'silver' }),
  ];
  for (const t of tokens) {
    const policy = assertPolicyAgrees(rules, t);
    assert.ok(
      'statements' in policy,
      `${JSON.stringify(t)}: ${'fallback' in policy ? policy.fallback : ''}`,
    );
  }
});

test('overlaps where IAM wildcards cross /: the policy stays exact', () => {
  const t = token(['s1']);
  const cases: { routes: unknown[]; default?: string; allow: string[]; deny: string[] }[] = [
    {
      // an allowed /pets/{id} above a refused /pets/{id}/photos: a naive Allow GET/pets/* would allow photos
      routes: [
        { route: 'GET /pets/{id}', scopes: ['s1'] },
        { route: 'GET /pets/{id}/photos', scopes: ['s2'] },
      ],
      allow: ['GET/pets/?*'],
      deny: ['*//*', 'GET/pets/?*/?*'],
    },
    {
      // a refused /pets/{id} above an allowed /pets/{id}/photos: a naive Deny GET/pets/* would refuse photos
      routes: [
        { route: 'GET /pets/{id}', scopes: ['s2'] },
        { route: 'GET /pets/{id}/photos', scopes: ['s1'] },
      ],
      allow: ['GET/pets/?*/photos', 'GET/pets/?*/photos/'],
      deny: ['*//*', 'GET/pets/?*/?*/photos', 'GET/pets/?*/?*/photos/'],
    },
    {
      // a literal beats a parameter
      routes: [
        { route: 'GET /pets/{id}', scopes: ['s1'] },
        { route: 'GET /pets/mine', scopes: ['s2'] },
      ],
      allow: ['GET/pets/?*'],
      deny: ['*//*', 'GET/pets/?*/?*', 'GET/pets/mine', 'GET/pets/mine/'],
    },
    {
      // a method beats ANY; GET and PUT merge as ???
      routes: [
        { route: 'ANY /pets', scopes: ['s1'] },
        { route: 'DELETE /pets', scopes: ['s2'] },
      ],
      allow: [
        '???/pets',
        '???/pets/',
        'HEAD/pets',
        'HEAD/pets/',
        'OPTIONS/pets',
        'OPTIONS/pets/',
        'PATCH/pets',
        'PATCH/pets/',
        'POST/pets',
        'POST/pets/',
      ],
      deny: [],
    },
    {
      // a refused greedy route under default: authenticated
      default: 'authenticated',
      routes: [
        { route: 'GET /admin', scopes: ['s2'] },
        { route: 'ANY /admin/{proxy+}', scopes: ['s2'] },
        { route: 'GET /pets/{id}', scopes: ['s1'] },
      ],
      allow: ['*'],
      deny: [
        '*//*',
        '???/admin/?*',
        'DELETE/admin/?*',
        'GET/admin',
        'GET/admin/',
        'HEAD/admin/?*',
        'OPTIONS/admin/?*',
        'PATCH/admin/?*',
        'POST/admin/?*',
      ],
    },
    {
      // an allowed route under a refused catch-all
      routes: [
        { route: 'ANY /{proxy+}', scopes: ['s2'] },
        { route: 'GET /{tenant}/pets/{id}', scopes: ['s1'] },
      ],
      allow: ['GET/?*/pets/?*'],
      deny: ['*//*', 'GET/?*/?*/pets/?*', 'GET/?*/pets/?*/?*'],
    },
    {
      routes: [
        { route: 'GET /', scopes: ['s1'] },
        { route: 'GET /{id}', scopes: ['s2'] },
      ],
      allow: ['GET/'],
      deny: [],
    },
  ];
  for (const c of cases) {
    const rules = rulesOf({ default: c.default ?? 'deny', routes: c.routes });
    const policy = assertPolicyAgrees(rules, t);
    assert.deepEqual(
      { allow: relative(policy, 'Allow'), deny: relative(policy, 'Deny') },
      { allow: c.allow.sort(), deny: c.deny.sort() },
      JSON.stringify(c.routes),
    );
  }
});

test('rules with no exact IAM policy fall back, saying why, and are never approximated', () => {
  const t = token(['s1', 'read:pets']);
  const cases: [unknown, RegExp][] = [
    // Both /pets/{id} and /pets/{id}/photos allowed: an unlisted /pets/1/other cannot be refused.
    [
      {
        routes: [
          { route: 'GET /pets/{id}', scopes: ['s1'] },
          { route: 'GET /pets/{id}/photos', scopes: ['s1'] },
        ],
      },
      /^cannot build an exact IAM policy for this token: it would allow GET \/pets\/x\/x \(no route lists it, so default: deny refuses it\)/,
    ],
    // default: authenticated allows DELETE /pets/1/x, so no Deny can cover DELETE /pets/{id}.
    [
      { default: 'authenticated', routes: [{ route: 'DELETE /pets/{id}', scopes: ['s2'] }] },
      /it would allow DELETE \/pets\/x \(DELETE \/pets\/\{id\} handles it and refuses this token\)/,
    ],
    // An allowed catch-all cannot have a refused route in it.
    [
      {
        routes: [
          { route: 'ANY /{proxy+}', scopes: ['s1'] },
          { route: 'GET /pets/{id}', scopes: ['s2'] },
        ],
      },
      /it would allow GET \/pets\/x \(GET \/pets\/\{id\} handles it/,
    ],
  ];
  for (const [doc, why] of cases) {
    const policy = policyFor(rulesOf(doc), t);
    assert.ok('fallback' in policy, JSON.stringify(policy));
    assert.match(policy.fallback, why);
    assert.match(policy.fallback, /TTL at 0 or a cache key per route/);
  }
  const nested = loadRulesFile(`${FIXTURES}nested.rules.yaml`);
  assert.ok(nested.ok);
  assert.ok('fallback' in policyFor(nested.rules, t));
});

test('routesComplete: exact on every listed route when unlisted paths cannot reach the authorizer', () => {
  const nested = loadRulesFile(`${FIXTURES}nested.rules.yaml`);
  assert.ok(nested.ok);
  for (const t of [
    token(['read:pets']),
    token(['write:pets']),
    token(['read:pets', 'write:pets']),
    token(),
  ]) {
    const policy = assertPolicyAgrees(nested.rules, t, { routesComplete: true });
    assert.ok('statements' in policy, 'fallback' in policy ? policy.fallback : '');
  }
  const reader = policyFor(nested.rules, token(['read:pets']), { routesComplete: true });
  assert.deepEqual(relative(reader, 'Allow'), ['GET/pets', 'GET/pets/', 'GET/pets/?*']);
  // Still refused: the routes the token does not satisfy, and paths with an empty segment.
  const result = asResult(reader);
  for (const refused of ['DELETE/pets/1', 'POST/pets/1/photos', 'GET/pets//photos'])
    assert.notEqual(evaluate(result, PREFIX + refused), 'allow', refused);
});

test('random rule sets and tokens: every policy built agrees with the rules on every probe', () => {
  let seed = 20240601;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const requirements = [
    { public: true },
    { authenticated: true },
    { deny: true },
    { scopes: ['s1'] },
    { scopes: ['s2'] },
    { scopes: { any: ['s1', 's3'] } },
    { scopes: ['s1', 's2'] },
  ];
  let exact = 0;
  let fallbacks = 0;
  for (let n = 0; n < 120; n++) {
    const routes = new Map<string, unknown>();
    const count = 1 + Math.floor(random() * 6);
    for (let i = 0; i < count; i++) {
      const depth = Math.floor(random() * 4);
      const segments: string[] = [];
      for (let d = 0; d < depth; d++)
        segments.push(
          pick([
            'pets',
            'a',
            'photos',
            `{p${d}}`,
            `{q${d}}`,
            ...(d === depth - 1 ? ['{rest+}'] : []),
          ]),
        );
      const method = pick(['GET', 'GET', 'POST', 'ANY', 'DELETE']);
      const shape = `${method} /${segments.map((s) => (s.startsWith('{') ? (s.endsWith('+}') ? '+' : '{}') : s)).join('/')}`;
      routes.set(shape, { route: `${method} /${segments.join('/')}`, ...pick(requirements) });
    }
    const rules = rulesOf({
      default: pick(['deny', 'authenticated']),
      routes: [...routes.values()],
    });
    for (const scopes of [[], ['s1'], ['s2'], ['s1', 's2', 's3']]) {
      for (const routesComplete of [false, true]) {
        const policy = assertPolicyAgrees(rules, token(scopes), { routesComplete });
        if ('statements' in policy) exact++;
        else fallbacks++;
      }
    }
  }
  // Most random rule sets have an exact policy; the rest fall back rather than approximate.
  assert.ok(exact > fallbacks * 3, `${exact} exact, ${fallbacks} fallbacks`);
});

test('a token that may use nothing gets one Deny; one that may use everything, the whole stage', () => {
  const rules = rulesOf({
    routes: [
      { route: 'GET /a', scopes: ['s1'] },
      { route: 'ANY /b/{x}', scopes: ['s1'] },
    ],
  });
  assert.deepEqual(relative(assertPolicyAgrees(rules, token()), 'Deny'), ['*']);
  assert.deepEqual(relative(assertPolicyAgrees(rules, token()), 'Allow'), []);
  const open = rulesOf({ default: 'authenticated', routes: [{ route: 'GET /a', scopes: ['s1'] }] });
  const all = assertPolicyAgrees(open, token(['s1']));
  assert.deepEqual([relative(all, 'Allow'), relative(all, 'Deny')], [['*'], ['*//*']]);
});

test('size limits: a policy over the byte limit or with a Resource over 512 characters falls back', () => {
  const routes = Array.from({ length: 120 }, (_, i) => ({
    route: `GET /resource-number-${i}/{id}`,
    scopes: ['read'],
  }));
  const huge = rulesOf({ routes });
  const policy = policyFor(huge, token(['read']));
  assert.ok('fallback' in policy);
  assert.match(policy.fallback, /^the policy would be \d+ bytes, over the 6144-byte limit/);
  // Such rules fit when the token may use only a few routes, or with a larger limit.
  const few = rulesOf({
    routes: routes.slice(0, 30).map((r, i) => ({ ...r, scopes: [i < 5 ? 'read' : 'other'] })),
  });
  assert.ok('statements' in assertPolicyAgrees(few, token(['read'])));
  const larger = policyFor(huge, token(['read']), { maxPolicyBytes: 64 * 1024 });
  assert.ok('statements' in larger);
  assert.ok(
    new TextEncoder().encode(
      JSON.stringify({ Version: '2012-10-17', Statement: larger.statements }),
    ).length > 6144,
  );

  const long = rulesOf({
    routes: [{ route: `GET /${'a'.repeat(300)}/${'b'.repeat(200)}`, public: true }],
  });
  const tooLong = policyFor(long, token());
  assert.ok('fallback' in tooLong);
  assert.match(
    tooLong.fallback,
    /a policy Resource would be \d+ characters, over API Gateway's 512/,
  );
});

test('a methodArn with a wildcard before the path falls back; other APIs and stages are never covered', () => {
  const rules = petstore();
  const forged = buildRoutePolicy({ ...ARN, stage: '*' }, rules, () => true);
  assert.deepEqual(forged, {
    fallback: 'the methodArn has a wildcard character (* or ?) before the path',
  });
  const result = asResult(policyFor(rules, token(['read:pets'])));
  assert.equal(
    evaluate(result, 'arn:aws:execute-api:us-east-1:123456789012:other/prod/GET/pets'),
    'implicit-deny',
  );
  assert.equal(
    evaluate(result, 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/pets'),
    'implicit-deny',
  );
});

test('the same token class reuses its checked policy; a pathological rule set gives up in bounded time', () => {
  const rules = petstore();
  const first = policyFor(rules, token(['write:pets']));
  // The memo's speed is the benchmark's to measure; here: repeated builds give the same policy.
  for (let i = 0; i < 100; i++) assert.deepEqual(policyFor(rules, token(['write:pets'])), first);
  // Parameters before literals make the exact check's state space grow fast.
  const routes = [];
  for (let i = 0; i < 12; i++)
    routes.push(
      { route: `GET /{a}/{b}/{c}/{d}/x${i}`, scopes: [i % 2 ? 'r' : 'w'] },
      { route: `GET /{p}/y${i}/{q}/z${i}`, scopes: [i % 3 ? 'r' : 'w'] },
    );
  const started = performance.now();
  const policy = policyFor(rulesOf({ routes }), token(['r']));
  assert.ok(
    'fallback' in policy && /too large to check exactly/.test(policy.fallback),
    JSON.stringify(policy).slice(0, 300),
  );
  assert.ok(
    performance.now() - started < 30_000,
    `a guard against a hang, not a timing: gave up after ${performance.now() - started} ms`,
  );
});

// ---------------------------------------------------------------- files and the CLI

test('loadRulesSource: errors carry the file, line and column of the key or value at fault', () => {
  const result = loadRulesSource(
    'routes:\n  - route: GET /a\n    public: true\n  - route: GET /a\n    scopes: [x]\n    nope: 1\n',
    'r.yaml',
  );
  assert.ok(!result.ok);
  assert.deepEqual(
    result.errors.map((e) => [e.line, e.column, formatRulePath(e.path)]),
    [
      [4, 12, 'routes[1].route'],
      [6, 5, 'routes[1].nope'],
    ],
  );
  const json = loadRulesFile(`${FIXTURES}invalid.rules.json`);
  assert.ok(!json.ok);
  assert.deepEqual(
    json.errors.map((e) => [e.line, e.column, formatRulePath(e.path)]),
    [[5, 40, 'routes[1].scopes']],
  );
  const missing = loadRulesFile(`${FIXTURES}absent.yaml`);
  assert.ok(!missing.ok);
  assert.deepEqual(
    missing.errors.map((e) => [e.line, e.message]),
    [[0, 'cannot be read: there is no such file']],
  );
  const ok = loadRulesSource('{"routes": [{"route": "GET /", "public": true}]}', 'r.json');
  assert.ok(ok.ok);
  assert.deepEqual(ok.document, { routes: [{ route: 'GET /', public: true }] });
});

const BIN = here('../bin/tollgate.js');

before(() => {
  // The CLI runs from the build, which `npm test` makes first; build it when running this file alone.
  if (!existsSync(here('../dist/cli/rules-command.js'))) {
    const built = spawnSync(
      process.execPath,
      [here('../node_modules/typescript/bin/tsc'), '-p', here('../tsconfig.build.json')],
      { encoding: 'utf8' },
    );
    assert.equal(built.status, 0, built.stdout + built.stderr);
  }
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('CLI: rules check prints a one-line summary for a valid file and exits 0', async () => {
  const r = await run(['rules', 'check', PETSTORE]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${PETSTORE}: 6 routes, default deny\n`);
  assert.equal(r.stderr, '');
});

test('CLI: rules check prints FILE:LINE:COL for each problem and exits 2', async () => {
  const file = `${FIXTURES}invalid.rules.yaml`;
  const r = await run(['rules', 'check', file]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  const expected: [string, RegExp][] = [
    ['2:10: default', /must be deny or authenticated, got the string "maybe"/],
    ['6:12: routes[1].route', /unknown method "FETCH"/],
    ['8:12: routes[2].route', /unbalanced brace/],
    ['10:12: routes[3].route', /must be the last segment/],
    ['12:12: routes[4].route', /duplicates routes\[0\] \(GET \/pets\)/],
    ['15:14: routes[5].scopes[0]', /cannot have spaces/],
    ['18:34: routes[6].claims[0].pattern', /uses a lookaround \(\?!\) at character 1/],
    ['21:5: routes[7].colour', /is not a known key/],
  ];
  assert.equal(lines.length, expected.length, r.stderr);
  expected.forEach(([where, message], i) => {
    assert.ok(lines[i]!.startsWith(`${file}:${where} `), lines[i]);
    assert.match(lines[i]!, message);
  });
});

test('CLI: a YAML syntax error or an unreadable file is one line, exit 2; --help exits 0', async () => {
  const syntax = await run(['rules', 'check', `${FIXTURES}syntax.rules.yaml`]);
  assert.equal(syntax.code, 2);
  assert.match(
    syntax.stderr,
    /^\S+syntax\.rules\.yaml:4:\d+: the rules document is not valid YAML: .+\n$/,
  );
  const missing = await run(['rules', 'check', `${FIXTURES}absent.yaml`]);
  assert.equal(missing.code, 2);
  assert.equal(
    missing.stderr,
    `${FIXTURES}absent.yaml: the rules document cannot be read: there is no such file\n`,
  );
  const folder = await run(['rules', 'check', FIXTURES]);
  assert.equal(folder.code, 2);
  assert.match(folder.stderr, /cannot be read: it is a folder\n$/);
  const help = await run(['rules', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: tollgate rules check FILE/);
  assert.equal((await run(['rules', 'check', '--help'])).code, 0);
  const bare = await run(['rules']);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: tollgate rules check FILE/);
  const unknown = await run(['rules', 'lint', PETSTORE]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^tollgate: unknown rules command "lint"/);
  const two = await run(['rules', 'check', PETSTORE, PETSTORE]);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /takes one file/);
  assert.match((await run(['--help'])).stdout, /rules {5}check a route rules file/);
});
