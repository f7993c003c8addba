// The local gateway's per-request shortcuts give exactly what the general way gives: the copy of
// an event or answer is its JSON round trip, a plain request target is read as the URL parser
// reads it, `requestTime` formatted once a second is the time formatted afresh, and the result
// cache's key for one identity value never meets another authorizer's or identity's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonCopy } from '../src/gateway/json-copy.js';
import { parseTarget } from '../src/gateway/server.js';
import { requestTime } from '../src/gateway/events.js';
import { createAuthorizerCache } from '../src/gateway/authorizer-cache.js';

const roundTrip = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
};

test('jsonCopy is the JSON round trip of any JSON-like value, undefined and odd numbers included', () => {
  const leaf = fc.oneof(
    fc.string(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(-0),
    fc.constant(() => 1),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('node'), { maxLength: 4 }),
    object: fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
  })).node;
  fc.assert(
    fc.property(value, (v) => {
      const copy = jsonCopy(v);
      assert.deepEqual(copy, roundTrip(v));
      // A copy, never the value itself: the handler cannot reach the gateway's objects.
      if (typeof v === 'object' && v !== null) assert.notEqual(copy, v);
    }),
    { numRuns: 500 },
  );
});

test('jsonCopy sends what is not plain data through JSON: toJSON, dates, classes, __proto__, cycles, bigints', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y = undefined,
    ) {}
  }
  const withProto = JSON.parse('{"__proto__": {"a": 1}, "b": 2}') as unknown;
  for (const v of [
    { when: new Date(0) },
    { p: new Point(1) },
    { t: { toJSON: () => 'told' } },
    withProto,
    [new Map([[1, 2]]), new Set([1])],
    Object.create(null) as object,
    { n: NaN, i: -Infinity, z: -0 },
  ]) {
    const copy = jsonCopy(v);
    assert.deepEqual(copy, roundTrip(v));
    assert.equal(JSON.stringify(copy), JSON.stringify(v));
  }
  assert.equal(Object.getPrototypeOf(jsonCopy(withProto)), Object.prototype);
  assert.deepEqual(Object.keys(jsonCopy(withProto) as object), ['__proto__', 'b']);
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  assert.throws(() => jsonCopy(cycle), TypeError);
  assert.throws(() => jsonCopy({ big: 1n }), TypeError);
  assert.equal(jsonCopy(undefined), null);
});

/** parseTarget as it was: always through the URL parser. */
function urlTarget(url: string): ReturnType<typeof parseTarget> {
  const parsed = new URL(`http://localhost${url}`);
  const query: Record<string, string[]> = {};
  for (const [k, v] of parsed.searchParams) (query[k] ??= []).push(v);
  return { path: parsed.pathname, query, rawQuery: parsed.search.replace(/^\?/, '') };
}

test('parseTarget reads every target as the URL parser does, plain or not', () => {
  const chars = fc.constantFrom(
    ...'aZ09/-_.~?&=+%#\\ "\'<>{}|^`:;@!$*,()[]é\u0000\u007f'.split(''),
    '%2e',
    '%41',
    '/..',
    '/.',
    '//',
  );
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
      const url = `/${parts.join('')}`;
      assert.deepEqual(parseTarget(url), urlTarget(url), url);
    }),
    { numRuns: 3000 },
  );
  for (const url of [
    '/pets',
    '/pets?a=1&a=2&b',
    '/a/./b',
    '/a/../b',
    '/.well-known/x',
    '/p?q=a+b%20c',
  ])
    assert.deepEqual(parseTarget(url), urlTarget(url), url);
});

test('requestTime formatted once a second is the time formatted afresh, across seconds and days', () => {
  const fresh = (ms: number): string => {
    const d = new Date(ms);
    const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
    const p = (n: number): string => String(n).padStart(2, '0');
    return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  };
  const start = Date.UTC(2026, 11, 31, 23, 59, 58, 500);
  for (let ms = start; ms < start + 3000; ms += 125) assert.equal(requestTime(ms), fresh(ms));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
      assert.equal(requestTime(ms), fresh(ms));
    }),
  );
});

/** An authorizer's Allow answer for the result cache tests, told apart by its principal. */
const output = (principalId: string) => ({
  principalId,
  policyDocument: undefined,
  context: {},
  usageIdentifierKey: undefined,
  isAuthorized: true,
});

test("the result cache keeps one authorizer's identities apart from another's, however the names and values run together", () => {
  const cache = createAuthorizerCache();
  cache.set('a', ['bc'], 60, output('a|bc'), 'arn');
  cache.set('ab', ['c'], 60, output('ab|c'), 'arn');
  cache.set('1:a', ['bc'], 60, output('1:a|bc'), 'arn');
  cache.set('a', ['b', 'c'], 60, output('a|b|c'), 'arn');
  cache.set('a', ['b,c'], 60, output('a|b,c'), 'arn');
  assert.equal(cache.get('a', ['bc'])?.output.principalId, 'a|bc');
  assert.equal(cache.get('ab', ['c'])?.output.principalId, 'ab|c');
  assert.equal(cache.get('1:a', ['bc'])?.output.principalId, '1:a|bc');
  assert.equal(cache.get('a', ['b', 'c'])?.output.principalId, 'a|b|c');
  assert.equal(cache.get('a', ['b,c'])?.output.principalId, 'a|b,c');
  assert.equal(cache.get('a', ['b']), undefined);
  assert.equal(cache.size().entries, 5);
});

test('result cache: a one-value identity that looks like JSON is not another identity, and the oldest entry of any authorizer goes first', () => {
  const cache = createAuthorizerCache({ maxEntries: 3 });
  cache.set('a', ['["b","c"]'], 60, output('one value'), 'arn');
  cache.set('a', ['b', 'c'], 60, output('two values'), 'arn');
  assert.equal(cache.get('a', ['["b","c"]'])?.output.principalId, 'one value');
  assert.equal(cache.get('a', ['b', 'c'])?.output.principalId, 'two values');
  cache.set('b', ['t'], 60, output('b|t'), 'arn');
  // Stored again: now the newest, so the first entry of 'a' is the one evicted by the fourth.
  cache.set('a', ['["b","c"]'], 60, output('one value again'), 'arn');
  cache.set('c', ['t'], 60, output('c|t'), 'arn');
  assert.equal(cache.get('a', ['b', 'c']), undefined);
  assert.equal(cache.get('a', ['["b","c"]'])?.output.principalId, 'one value again');
  assert.equal(cache.get('b', ['t'])?.output.principalId, 'b|t');
  assert.equal(cache.get('c', ['t'])?.output.principalId, 'c|t');
  assert.equal(cache.size().entries, 3);
  cache.clear();
  assert.deepEqual(cache.size(), { entries: 0, bytes: 0 });
  assert.equal(cache.get('b', ['t']), undefined);
});
