// Usage plans: API keys, token-bucket throttles and quotas, on a fake clock (no sleeps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiKeyFor,
  createUsagePlans,
  methodKey,
  parseUsagePlans,
  periodStart,
  UsagePlanConfigError,
  validateUsagePlans,
  type UsageCheck,
} from '../src/gateway/usage-plans.js';
import { gatewayResponse } from '../src/gateway/responses.js';
import { clock } from './support/verifier.js';

// 2026-01-01T00:00:00Z, a Thursday.
const T0 = Date.UTC(2026, 0, 1);
const KEY = 'local-dev-key-000000001';
const OTHER = 'local-dev-key-000000002';
const GET_PETS = { resourcePath: '/pets', httpMethod: 'GET' } as const;

function plans(plan: Record<string, unknown>, extra: Record<string, unknown>[] = []) {
  return parseUsagePlans([
    { name: 'basic', apiKeys: [{ name: 'dev', value: KEY }], ...plan },
    ...extra,
  ]);
}

function run(n: number, check: () => UsageCheck): UsageCheck[] {
  return Array.from({ length: n }, check);
}

const outcome = (c: UsageCheck): string => (c.ok ? 'ok' : c.response);

test('a burst passes, the next request is throttled with 429 Too Many Requests', () => {
  const c = clock(T0);
  const usage = createUsagePlans(plans({ throttle: { rateLimit: 5, burstLimit: 10 } }), {
    now: c.now,
  });
  const results = run(11, () => usage.check({ apiKey: KEY, ...GET_PETS }));
  assert.deepEqual(results.map(outcome), [...Array(10).fill('ok'), 'THROTTLED']);
  const refused = results[10]!;
  assert.ok(!refused.ok);
  assert.equal(refused.keyName, 'dev');
  assert.equal(refused.plan, 'basic');
  const r = gatewayResponse(refused.response, 'req-1');
  assert.equal(r.status, 429);
  assert.equal(r.body, '{"message":"Too Many Requests"}');
  assert.equal(r.headers['x-amzn-ErrorType'], 'TooManyRequestsException');
});

test('the bucket refills at rateLimit per second, never beyond burstLimit', () => {
  const c = clock(T0);
  const usage = createUsagePlans(plans({ throttle: { rateLimit: 5, burstLimit: 10 } }), {
    now: c.now,
  });
  const check = () => usage.check({ apiKey: KEY, ...GET_PETS });
  run(10, check);
  assert.equal(outcome(check()), 'THROTTLED');
  c.advance(199);
  assert.equal(outcome(check()), 'THROTTLED', 'less than one token after 199 ms at 5/s');
  c.advance(1);
  assert.equal(outcome(check()), 'ok', 'one token after 200 ms at 5/s');
  assert.equal(outcome(check()), 'THROTTLED');
  c.advance(60_000);
  assert.deepEqual(
    run(11, check).map(outcome),
    [...Array(10).fill('ok'), 'THROTTLED'],
    'a long pause refills to the burst, no more',
  );
});

test('a per-method override has its own bucket per key, and the key bucket still applies', () => {
  const c = clock(T0);
  const usage = createUsagePlans(
    plans({
      throttle: { rateLimit: 1, burstLimit: 3 },
      methods: { '/pets/GET': { rateLimit: 1, burstLimit: 1 } },
      apiKeys: [
        { name: 'a', value: KEY },
        { name: 'b', value: OTHER },
      ],
    }),
    { now: c.now },
  );
  assert.equal(outcome(usage.check({ apiKey: KEY, ...GET_PETS })), 'ok');
  const second = usage.check({ apiKey: KEY, ...GET_PETS });
  assert.ok(!second.ok && second.response === 'THROTTLED');
  assert.match(second.detail, /\/pets\/GET/);
  // Another method of the same key is limited by the key's bucket only.
  assert.equal(
    outcome(usage.check({ apiKey: KEY, resourcePath: '/pets', httpMethod: 'POST' })),
    'ok',
  );
  assert.equal(
    outcome(usage.check({ apiKey: KEY, resourcePath: '/pets/{petId}', httpMethod: 'GET' })),
    'ok',
  );
  // The key bucket (burst 3) is now empty: every method of this key is throttled.
  const keyLimited = usage.check({ apiKey: KEY, resourcePath: '/pets', httpMethod: 'POST' });
  assert.ok(!keyLimited.ok && keyLimited.response === 'THROTTLED');
  assert.match(keyLimited.detail, /key's rate/);
  // Another key has its own buckets, for the method too.
  assert.equal(outcome(usage.check({ apiKey: OTHER, ...GET_PETS })), 'ok');
  assert.equal(outcome(usage.check({ apiKey: OTHER, ...GET_PETS })), 'THROTTLED');
});

test('method keys: the root is //GET, an ANY method is /path/ANY, and a plan may throttle methods only', () => {
  const c = clock(T0);
  const usage = createUsagePlans(
    plans({
      methods: {
        '//GET': { rateLimit: 1, burstLimit: 1 },
        '/proxy/ANY': { rateLimit: 1, burstLimit: 2 },
      },
    }),
    { now: c.now },
  );
  assert.equal(methodKey('/', 'get'), '//GET');
  assert.deepEqual(
    run(2, () => usage.check({ apiKey: KEY, resourcePath: '/', httpMethod: 'GET' })).map(outcome),
    ['ok', 'THROTTLED'],
  );
  // The request's own method falls back to the ANY method's key.
  assert.deepEqual(
    run(3, () => usage.check({ apiKey: KEY, resourcePath: '/proxy', httpMethod: 'DELETE' })).map(
      outcome,
    ),
    ['ok', 'ok', 'THROTTLED'],
  );
  // No plan-wide throttle: other methods are not limited.
  assert.deepEqual(
    run(50, () => usage.check({ apiKey: KEY, ...GET_PETS })).map(outcome),
    Array(50).fill('ok'),
  );
});

test('a used-up quota answers 429 Limit Exceeded until the next UTC day', () => {
  const c = clock(T0 + 10 * 3600_000);
  const usage = createUsagePlans(plans({ quota: { limit: 3, period: 'DAY' } }), { now: c.now });
  const check = () => usage.check({ apiKey: KEY, ...GET_PETS });
  const results = run(4, check);
  assert.deepEqual(results.map(outcome), ['ok', 'ok', 'ok', 'QUOTA_EXCEEDED']);
  assert.deepEqual(
    results.map((r) => (r.ok ? r.quotaRemaining : undefined)),
    [2, 1, 0, undefined],
  );
  const refused = results[3]!;
  assert.ok(!refused.ok);
  assert.match(refused.detail, /resets at 2026-01-02T00:00:00\.000Z/);
  const r = gatewayResponse(refused.response, 'req-1');
  assert.equal(r.status, 429);
  assert.equal(r.body, '{"message":"Limit Exceeded"}');
  assert.equal(r.headers['x-amzn-ErrorType'], 'LimitExceededException');

  c.set(Date.UTC(2026, 0, 1, 23, 59, 59, 999));
  assert.equal(outcome(check()), 'QUOTA_EXCEEDED', 'one millisecond before midnight UTC');
  c.set(Date.UTC(2026, 0, 2));
  assert.deepEqual(
    run(4, check).map(outcome),
    ['ok', 'ok', 'ok', 'QUOTA_EXCEEDED'],
    'a fresh quota at midnight UTC',
  );
});

test('WEEK quotas reset on Sunday 00:00 UTC by default, Monday on request; MONTH on the 1st', () => {
  // 2026-01-03 is a Saturday, 2026-01-04 a Sunday, 2026-01-05 a Monday.
  assert.equal(periodStart(Date.UTC(2026, 0, 3, 12), 'WEEK'), Date.UTC(2025, 11, 28));
  assert.equal(periodStart(Date.UTC(2026, 0, 4, 0, 0, 0, 1), 'WEEK'), Date.UTC(2026, 0, 4));
  assert.equal(periodStart(Date.UTC(2026, 0, 4, 12), 'WEEK', 'MONDAY'), Date.UTC(2025, 11, 29));
  assert.equal(periodStart(Date.UTC(2026, 0, 5, 12), 'WEEK', 'MONDAY'), Date.UTC(2026, 0, 5));
  assert.equal(periodStart(Date.UTC(2026, 1, 28, 23), 'MONTH'), Date.UTC(2026, 1, 1));

  for (const [weekStart, resetDay] of [
    ['SUNDAY', 4],
    ['MONDAY', 5],
  ] as const) {
    const c = clock(T0);
    const usage = createUsagePlans(plans({ quota: { limit: 1, period: 'WEEK' } }), {
      now: c.now,
      weekStart,
    });
    const check = () => usage.check({ apiKey: KEY, ...GET_PETS });
    assert.deepEqual(run(2, check).map(outcome), ['ok', 'QUOTA_EXCEEDED']);
    c.set(Date.UTC(2026, 0, resetDay) - 1);
    assert.equal(outcome(check()), 'QUOTA_EXCEEDED', `${weekStart}: not yet`);
    c.set(Date.UTC(2026, 0, resetDay));
    assert.equal(outcome(check()), 'ok', `${weekStart}: a new week`);
  }

  const c = clock(Date.UTC(2026, 0, 31, 23));
  const usage = createUsagePlans(plans({ quota: { limit: 1, period: 'MONTH' } }), { now: c.now });
  assert.deepEqual(run(2, () => usage.check({ apiKey: KEY, ...GET_PETS })).map(outcome), [
    'ok',
    'QUOTA_EXCEEDED',
  ]);
  c.set(Date.UTC(2026, 1, 1));
  assert.equal(outcome(usage.check({ apiKey: KEY, ...GET_PETS })), 'ok');
});

test('the offset lowers the limit of the first period only', () => {
  const c = clock(T0 + 3600_000);
  const usage = createUsagePlans(plans({ quota: { limit: 5, period: 'DAY', offset: 3 } }), {
    now: c.now,
  });
  const check = () => usage.check({ apiKey: KEY, ...GET_PETS });
  assert.deepEqual(run(3, check).map(outcome), ['ok', 'ok', 'QUOTA_EXCEEDED']);
  c.set(Date.UTC(2026, 0, 2, 1));
  assert.deepEqual(run(6, check).map(outcome), ['ok', 'ok', 'ok', 'ok', 'ok', 'QUOTA_EXCEEDED']);
});

test('a missing or unknown key is 403 Forbidden, and the detail never holds the key', () => {
  const usage = createUsagePlans(plans({ throttle: { rateLimit: 1, burstLimit: 1 } }), {
    now: () => T0,
  });
  const missing = usage.check({ apiKey: undefined, ...GET_PETS });
  const empty = usage.check({ apiKey: '', ...GET_PETS });
  const unknown = usage.check({ apiKey: 'not-a-key-of-any-plan-1234', ...GET_PETS });
  for (const r of [missing, empty, unknown]) {
    assert.ok(!r.ok);
    assert.equal(r.response, 'INVALID_API_KEY');
    assert.equal(r.keyName, undefined);
    const response = gatewayResponse(r.response, 'req-1');
    assert.equal(response.status, 403);
    assert.equal(response.body, '{"message":"Forbidden"}');
    assert.equal(response.headers['x-amzn-ErrorType'], 'ForbiddenException');
  }
  assert.ok(!unknown.ok);
  assert.doesNotMatch(unknown.detail, /not-a-key/);
  // A key differing only in case is another key.
  assert.equal(outcome(usage.check({ apiKey: KEY.toUpperCase(), ...GET_PETS })), 'INVALID_API_KEY');
});

test('refused requests consume neither quota nor tokens', () => {
  const c = clock(T0);
  const usage = createUsagePlans(
    plans({ throttle: { rateLimit: 1, burstLimit: 1 }, quota: { limit: 3, period: 'DAY' } }),
    { now: c.now },
  );
  const check = () => usage.check({ apiKey: KEY, ...GET_PETS });
  const first = check();
  assert.ok(first.ok && first.quotaRemaining === 2);
  assert.deepEqual(run(20, check).map(outcome), Array(20).fill('THROTTLED'));
  c.advance(1000);
  const second = check();
  assert.ok(second.ok, 'throttled requests did not use the quota');
  assert.equal(second.quotaRemaining, 1);
  c.advance(1000);
  assert.equal(outcome(check()), 'ok');
  c.advance(1000);
  assert.equal(outcome(check()), 'QUOTA_EXCEEDED');
  // A quota refusal takes no token: tomorrow the bucket is full, the first request passes.
  c.set(Date.UTC(2026, 0, 2));
  assert.equal(outcome(check()), 'ok');
});

test('config errors name the key path, all of them at once', () => {
  const issues = (value: unknown, options = {}): string[] => {
    const r = validateUsagePlans(value, options);
    assert.ok(!r.ok, 'expected errors');
    return r.issues.map((i) => `${i.path.map(String).join('/')}: ${i.message}`);
  };
  assert.throws(
    () =>
      parseUsagePlans([{ name: 'basic', throttle: { rateLimit: 0, burstLimit: 10 }, apiKeys: [] }]),
    (e: unknown) => {
      assert.ok(e instanceof UsagePlanConfigError);
      assert.equal(e.code, 'USAGE_PLANS_INVALID');
      assert.equal(
        e.message,
        'serve.usagePlans[0].throttle.rateLimit must be a positive number (requests per second)',
      );
      return true;
    },
  );
  assert.deepEqual(issues({ name: 'x' }), ['serve/usagePlans: must be a list of usage plans']);

  const many = issues([
    {
      name: 'basic',
      throttle: { rateLimit: 5, burstLimit: 2.5 },
      quota: { limit: 10, period: 'YEAR', offset: 11 },
      methods: {
        '/pets/FETCH': { rateLimit: 1, burstLimit: 1 },
        pets: { rateLimit: 1, burstLimit: 1 },
      },
      apiKeys: [{ name: 'dev', value: 'local-dev-key-0001' }],
      rateLimit: 5,
    },
  ]);
  assert.deepEqual(many, [
    'serve/usagePlans/0/rateLimit: is not a usage plan setting (expected name, throttle, quota, methods, apiKeys)',
    'serve/usagePlans/0/throttle/burstLimit: must be a positive whole number (the bucket size)',
    'serve/usagePlans/0/quota/period: must be DAY, WEEK or MONTH, got "YEAR"',
    'serve/usagePlans/0/quota/offset: must be a whole number from 0 to the limit (requests subtracted from the limit in the first period)',
    'serve/usagePlans/0/methods//pets/FETCH: is not a method key: API Gateway\'s form is /{resourcePath}/{httpMethod}, e.g. "/pets/GET" or "//GET" for the root',
    'serve/usagePlans/0/methods/pets: is not a method key: API Gateway\'s form is /{resourcePath}/{httpMethod}, e.g. "/pets/GET" or "//GET" for the root',
    'serve/usagePlans/0/apiKeys/0/value: must be 20 to 128 printable characters without spaces, as API Gateway requires of key values',
  ]);
  // The key value is a credential: it never appears in a message.
  assert.ok(many.every((m) => !m.includes('local-dev-key-0001')));

  const shared = issues([
    { name: 'basic', apiKeys: [{ name: 'dev', value: KEY }] },
    {
      name: 'premium',
      apiKeys: [
        { name: 'dev2', value: KEY },
        { name: 'dev', value: OTHER },
      ],
    },
    { name: 'basic' },
  ]);
  assert.deepEqual(shared, [
    'serve/usagePlans/1/apiKeys/0/value: is already a key of usage plan "basic" (serve.usagePlans[0].apiKeys[0]): API Gateway allows a key in only one usage plan per stage',
    'serve/usagePlans/1/apiKeys/1/name: repeats the name of serve.usagePlans[0].apiKeys[0]',
    'serve/usagePlans/2/name: repeats the name of serve.usagePlans[0]',
  ]);

  const unknownMethod = issues(
    [{ name: 'basic', methods: { '/orders/GET': { rateLimit: 1, burstLimit: 1 } } }],
    { at: ['usagePlans'], methodKeys: ['/pets/GET', '//GET'] },
  );
  assert.deepEqual(unknownMethod, ['usagePlans/0/methods//orders/GET: is not a method of the API']);

  const required = issues([{ name: '', throttle: { burstLimit: 1 }, quota: {} }]);
  assert.deepEqual(required, [
    'serve/usagePlans/0/name: is required: a non-empty name',
    'serve/usagePlans/0/throttle/rateLimit: is required: requests per second',
    'serve/usagePlans/0/quota/limit: is required: requests per period',
    'serve/usagePlans/0/quota/period: is required: DAY, WEEK or MONTH',
  ]);
});

test('a valid configuration parses to plans with defaults', () => {
  const [plan] = parseUsagePlans([
    {
      name: 'basic',
      throttle: { rateLimit: 5, burstLimit: 10 },
      quota: { limit: 1000, period: 'DAY' },
      methods: { '/pets/GET': { rateLimit: 1, burstLimit: 1 } },
      apiKeys: [{ name: 'dev', value: KEY }],
    },
  ]);
  assert.deepEqual(plan, {
    name: 'basic',
    throttle: { rateLimit: 5, burstLimit: 10 },
    quota: { limit: 1000, period: 'DAY', offset: 0 },
    methods: new Map([['/pets/GET', { rateLimit: 1, burstLimit: 1 }]]),
    apiKeys: [{ name: 'dev', value: KEY }],
  });
});

test("apiKeyFor: x-api-key in any case, or the authorizer's usageIdentifierKey", () => {
  assert.equal(apiKeyFor('HEADER', { 'X-API-Key': KEY }), KEY);
  assert.equal(apiKeyFor('HEADER', { 'x-api-key': [KEY, KEY] }), KEY);
  assert.equal(
    apiKeyFor('HEADER', { 'x-api-key': [KEY, OTHER] }),
    undefined,
    'two different keys are no key',
  );
  assert.equal(apiKeyFor('HEADER', { 'x-api-key': KEY, 'X-Api-Key': OTHER }), undefined);
  assert.equal(apiKeyFor('HEADER', { 'x-api-key': '' }), undefined);
  assert.equal(apiKeyFor('HEADER', { authorization: KEY }), undefined);
  assert.equal(apiKeyFor('HEADER', {}, KEY), undefined, 'HEADER ignores the authorizer');
  assert.equal(
    apiKeyFor('AUTHORIZER', { 'x-api-key': OTHER }, KEY),
    KEY,
    'AUTHORIZER ignores the header',
  );
  assert.equal(apiKeyFor('AUTHORIZER', { 'x-api-key': OTHER }), undefined);
});
