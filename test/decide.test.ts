// The core's decide on its own: no keys, no events, no handler. What the verifier decided, the
// request and the rules in; the verdict (the decision and where it holds) out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialRefusal, decide, type DecisionRules } from '../src/core/decide.js';
import { reason, refuse, type Allow, type Decision } from '../src/core/reasons.js';
import { rulesEngine } from '../src/core/rules-engine.js';
import type { RouteRule } from '../src/core/rules-types.js';

function compile(doc: unknown): NonNullable<DecisionRules['shared']> {
  const result = rulesEngine.validateRules(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return { compiled: result.rules, engine: rulesEngine };
}

const SHARED = compile({
  default: 'deny',
  routes: [
    { route: 'GET /public', public: true },
    { route: 'GET /pets', scopes: ['read:pets'] },
    { route: 'POST /pets', scopes: ['write:pets'] },
  ],
});
const PARTNER = compile({
  default: 'authenticated',
  routes: [{ route: 'POST /pets', deny: true }],
});

const RULES: DecisionRules = {
  shared: SHARED,
  byIssuer: new Map([['https://partner.example.com/', PARTNER]]),
  claimsOf: (issuer) =>
    issuer === 'https://partner.example.com/'
      ? { scopeClaims: ['permissions'], groupClaims: [] }
      : { scopeClaims: ['scope'], groupClaims: [] },
};

function allow(issuer: string, claims: Record<string, unknown>): Allow {
  return { kind: 'allow', principal: 'alice', claims, context: {}, kid: 'k1', issuer };
}

const kindAndReason = (d: Decision): string =>
  d.kind === 'allow' ? 'allow' : `${d.kind} ${d.reason.code}`;

test('a verified token meets the route its request names: allow, or deny with the rule reason', () => {
  const token = allow('https://issuer.example.com/', { scope: 'read:pets' });
  const get = decide(token, { method: 'GET', path: '/pets' }, RULES);
  assert.equal(kindAndReason(get.decision), 'allow');
  assert.equal(get.grant?.kind, 'routes');
  const post = decide(token, { method: 'POST', path: '/pets' }, RULES);
  assert.equal(kindAndReason(post.decision), 'deny SCOPE_INSUFFICIENT');
  assert.equal(post.decision.principal, 'alice', 'the refusal keeps who was refused, for the log');
  const other = decide(token, { method: 'DELETE', path: '/pets/1' }, RULES);
  assert.equal(kindAndReason(other.decision), 'deny ROUTE_NOT_ALLOWED');
  // The grant says which routes the cached policy must allow: the same whatever route was asked.
  assert.ok(post.grant?.kind === 'routes');
  const satisfied = (g: typeof post.grant, route: string): boolean =>
    g!.kind === 'routes' &&
    g!.satisfied(SHARED.compiled.routes.find((r: RouteRule) => r.route === route)!);
  assert.equal(satisfied(post.grant, 'GET /pets'), true);
  assert.equal(satisfied(post.grant, 'POST /pets'), false);
  assert.equal(satisfied(post.grant, 'GET /public'), true);
});

test("an issuer's own rules replace the shared ones, with its own scope claims", () => {
  const partner = allow('https://partner.example.com/', { permissions: ['read:pets'] });
  assert.equal(
    kindAndReason(decide(partner, { method: 'DELETE', path: '/pets/1' }, RULES).decision),
    'allow',
    'default: authenticated in the partner rules',
  );
  assert.equal(
    kindAndReason(decide(partner, { method: 'POST', path: '/pets' }, RULES).decision),
    'deny ROUTE_NOT_ALLOWED',
  );
});

test('no token is allowed on a public route only; a malformed one never', () => {
  const missing = credentialRefusal(undefined, false)!;
  assert.equal(kindAndReason(missing), 'unauthorized TOKEN_MISSING');
  const pub = decide(missing, { method: 'GET', path: '/public' }, RULES);
  assert.equal(kindAndReason(pub.decision), 'allow');
  assert.equal(pub.decision.principal, 'anonymous');
  assert.equal(
    kindAndReason(decide(missing, { method: 'GET', path: '/pets' }, RULES).decision),
    'unauthorized TOKEN_MISSING',
  );
  const malformed = credentialRefusal('x', true)!;
  const refused = decide(malformed, { method: 'GET', path: '/public' }, RULES);
  assert.equal(kindAndReason(refused.decision), 'unauthorized TOKEN_MALFORMED');
  assert.equal(refused.grant, undefined);
  assert.equal(credentialRefusal('a.b.c', false), undefined, 'a token to verify');
  // WebSocket $connect has no method or path: the rules' default decides.
  assert.equal(
    kindAndReason(decide(missing, { method: undefined, path: '$connect' }, RULES).decision),
    'unauthorized TOKEN_MISSING',
  );
});

test('failures pass through; a token-wide deny holds on every route; no rules, a token-wide allow', () => {
  const failure = refuse(reason('JWKS_UNAVAILABLE'));
  const down = decide(failure, { method: 'GET', path: '/public' }, RULES);
  assert.equal(kindAndReason(down.decision), 'failure JWKS_UNAVAILABLE');
  assert.equal(down.grant, undefined);
  const scopes = refuse(reason('SCOPE_INSUFFICIENT'), { principal: 'bob' });
  const denied = decide(scopes, { method: 'GET', path: '/public' }, RULES);
  assert.equal(kindAndReason(denied.decision), 'deny SCOPE_INSUFFICIENT');
  assert.deepEqual(denied.grant, { kind: 'token' });
  const none: DecisionRules = { ...RULES, shared: undefined, byIssuer: new Map() };
  const open = decide(
    allow('https://issuer.example.com/', {}),
    { method: 'POST', path: '/x' },
    none,
  );
  assert.equal(kindAndReason(open.decision), 'allow');
  assert.deepEqual(open.grant, { kind: 'token' });
});
