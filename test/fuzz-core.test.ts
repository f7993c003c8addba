// Property-based tests (fast-check) over the token parser, every event-shape adapter through the
// real handler, and the rules engine. Invariants: never an Allow without a valid token; never an
// exception other than the two clean refusals (Unauthorized, an authorizer failure); malformed
// input refused cleanly; a refusal's work bounded (token size before parsing, pattern steps).
// A few thousand runs here. FUZZ_RUNS=N (npm run fuzz sets 20,000) counts runs as the gateway's
// fuzzing does (2,000 in npm test): each property here runs N/2,000 times its usual number.
// FUZZ_SEED=S replays a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { parseJwt } from '../src/core/parse.js';
import { ALGORITHMS } from '../src/core/algorithms.js';
import { validateConfigDocument } from '../src/settings/file-validate.js';
import { authorizerConfig } from '../src/settings/authorizer-config.js';
import { rulesEngine } from '../src/core/rules-engine.js';
import {
  buildRoutePolicy,
  ruleEvaluator,
  validateRules,
  type CompiledRules,
} from '../src/core/rules.js';
import { compileClaimPattern, patternWork, MAX_PATTERN_INPUT } from '../src/core/rules-pattern.js';
import { createAuthorizer } from '../src/lambda/authorizer.js';
import { createHandler } from '../src/lambda/handler.js';
import { AuthorizerFailure } from '../src/aws/authorizer-failure.js';
import { UNAUTHORIZED } from '../src/aws/bearer.js';
import { parseMethodArn } from '../src/aws/policy.js';
import { AUDIENCE, ISSUER, NOW_MS, NOW_S } from './support/keys.js';
import { evaluate } from './support/iam.js';
import {
  httpV1Event,
  httpV2Event,
  restRequestEvent,
  restTokenEvent,
  TOKEN,
  websocketConnectEvent,
} from './fixtures/events.js';

const FACTOR = Math.max(1, (Number(process.env.FUZZ_RUNS) || 2000) / 2000);
const SEED = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};
const runs = (n: number): { numRuns: number; seed?: number } => ({
  numRuns: Math.round(n * FACTOR),
  ...SEED,
});

// ---------------------------------------------------------------- an HMAC issuer with rules, no network

const SECRET = 'fuzz-secret-of-at-least-thirty-two-bytes!';
const b64u = (v: string | Buffer): string => Buffer.from(v).toString('base64url');
function mint(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
const CLAIMS = {
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-1',
  iat: NOW_S - 10,
  exp: NOW_S + 600,
  scope: 'read:pets write:pets',
  email: 'a@example.com',
};
const VALID = mint(CLAIMS);

const RULES = {
  default: 'authenticated', // WebSocket $connect has no route: the default decides
  routes: [
    { route: 'GET /pets', scopes: ['read:pets'] },
    {
      route: 'GET /pets/{id}',
      scopes: ['read:pets'],
      claims: [{ claim: 'email', pattern: '@example\\.com$' }],
    },
    { route: 'POST /pets', scopes: ['write:pets'] },
    { route: 'ANY /admin/{proxy+}', groups: ['admin'] },
  ],
};
function authorizerWith(extra: Record<string, unknown>): ReturnType<typeof createAuthorizer> {
  const checked = validateConfigDocument(
    {
      issuers: [
        { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], secret: { env: 'S' } },
      ],
      rules: RULES,
      ...extra,
    },
    {},
  );
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return createAuthorizer(authorizerConfig({ S: SECRET }, { file: checked.config, rulesEngine }), {
    now: () => NOW_MS,
    log: () => {},
  });
}
const authorizer = authorizerWith({});
// A browser cannot set headers on a WebSocket: its $connect token comes in the query string.
const HANDLERS = {
  header: createHandler(authorizer),
  query: createHandler(authorizerWith({ tokenSource: 'query:access_token' })),
};
const runtime = authorizer.runtimes.get(ISSUER)!;

/** A token that differs from VALID: a character changed, removed or added, or a segment swapped. */
const mutatedToken = fc
  .tuple(
    fc.nat(),
    fc.constantFrom('change', 'delete', 'insert', 'swap'),
    fc.constantFrom(...'AZaz09-_.=+/ \u00e9'),
  )
  .map(([at, how, ch]) => {
    const i = at % VALID.length;
    if (how === 'delete') return VALID.slice(0, i) + VALID.slice(i + 1);
    if (how === 'insert') return VALID.slice(0, i) + ch + VALID.slice(i);
    if (how === 'swap') {
      const [h, p, s] = VALID.split('.') as [string, string, string];
      return [p, h, s].join('.');
    }
    return VALID.slice(0, i) + (VALID[i] === ch ? 'B' : ch) + VALID.slice(i + 1);
  })
  .filter((t) => t !== VALID);

/** Three segments of JSON the issuer never signed: duplicates, alg none, odd claims, any value. */
const forgedToken = fc
  .tuple(
    fc.oneof(
      fc.constant('{"alg":"none"}'),
      fc.constant('{"alg":"none","alg":"HS256"}'),
      fc.constant('{"alg":"HS256","enc":"A128GCM"}'),
      fc.json(),
      fc.constant('{"alg":"HS256"}'),
    ),
    fc.oneof(
      fc.json(),
      fc.constant(JSON.stringify(CLAIMS)),
      fc.constant(`${JSON.stringify(CLAIMS).slice(0, -1)},"sub":"admin"}`),
    ),
    fc.oneof(
      fc.constant(''),
      fc.base64String().map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
      fc.constant(VALID.split('.')[2]!),
    ),
  )
  .map(([h, p, s]) => `${b64u(h)}.${b64u(p)}.${s}`);

const anyToken = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  mutatedToken,
  forgedToken,
);

test('token parser and verifier: any string is refused cleanly, and only the signed token is allowed', async () => {
  const algorithms = new Set<string>(ALGORITHMS);
  await fc.assert(
    fc.asyncProperty(anyToken, async (token) => {
      const parsed = parseJwt(token, algorithms, 10240);
      assert.ok(typeof parsed === 'object' && parsed !== null);
      const decision = await runtime.verifier.verify(token);
      assert.notEqual(decision.kind, 'allow', `allowed ${JSON.stringify(token)}`);
      assert.notEqual(
        decision.kind,
        'failure',
        `could not decide ${JSON.stringify(token)}: ${decision.kind !== 'allow' ? decision.reason.code : ''}`,
      );
    }),
    runs(1500),
  );
  assert.equal(
    (await runtime.verifier.verify(VALID)).kind,
    'allow',
    'the signed token itself is allowed',
  );
});

test('token size is checked before any decoding: an oversized token costs a length comparison', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 257, maxLength: 2000 }), (token) => {
      const parsed = parseJwt(token, new Set(['HS256']), 256);
      assert.ok('code' in parsed && parsed.code === 'TOKEN_TOO_LARGE');
    }),
    runs(200),
  );
});

// ---------------------------------------------------------------- every event shape through the handler

const BASES = {
  'rest-token': restTokenEvent,
  'rest-request': restRequestEvent,
  'http-v1': httpV1Event,
  'http-v2': httpV2Event,
  websocket: websocketConnectEvent,
} as const;
const DELETE = Symbol('delete');

/** Every path to a value inside an event, e.g. ['requestContext', 'http', 'method']. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const own = Object.entries(value).flatMap(([k, v]) =>
    paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]),
  );
  return [prefix, ...own];
}

function mutate(event: unknown, edits: readonly [number, unknown][]): unknown {
  let copy = JSON.parse(JSON.stringify(event)) as unknown;
  for (const [at, replacement] of edits) {
    const all = paths(copy);
    const path = all[at % all.length]!;
    if (path.length === 0) {
      copy = replacement === DELETE ? undefined : replacement;
      continue;
    }
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy) as Record<
      string | number,
      unknown
    >;
    if (replacement === DELETE) delete parent[path.at(-1)!];
    else parent[path.at(-1)!] = replacement;
  }
  return copy;
}

const withToken = (event: unknown, token: string): unknown =>
  JSON.parse(JSON.stringify(event).replaceAll(TOKEN, () => JSON.stringify(token).slice(1, -1)));

/** A clean refusal is Unauthorized (401) or an authorizer failure (500); anything else is a bug. */
async function outcome(
  handle: (event: unknown) => Promise<unknown>,
  event: unknown,
): Promise<{ result?: unknown; refusal?: string }> {
  try {
    return { result: await handle(event) };
  } catch (error) {
    if (error instanceof AuthorizerFailure) return { refusal: 'failure' };
    assert.ok(
      error instanceof Error && error.message === UNAUTHORIZED,
      `not a clean refusal: ${(error as Error)?.stack ?? String(error)}`,
    );
    return { refusal: 'unauthorized' };
  }
}

function allowsAnything(result: unknown): boolean {
  const r = result as {
    isAuthorized?: unknown;
    policyDocument?: { Statement?: { Effect?: string }[] };
  };
  return (
    r.isAuthorized === true || (r.policyDocument?.Statement ?? []).some((s) => s.Effect === 'Allow')
  );
}

for (const [shape, base] of Object.entries(BASES)) {
  test(`${shape} events, malformed at random and carrying any token: no exception, and no Allow without the signed token`, async () => {
    let allowed = 0;
    const edit = fc.tuple(
      fc.nat(),
      fc.oneof(fc.constant<unknown>(DELETE), fc.anything({ maxDepth: 2 })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyToken, fc.constant(VALID)),
        fc.array(edit, { maxLength: 3 }),
        async (token, edits) => {
          const event = mutate(withToken(base, token), edits);
          const { result } = await outcome(
            shape === 'websocket' ? HANDLERS.query : HANDLERS.header,
            event,
          );
          if (result === undefined) return;
          assert.equal(typeof result, 'object');
          if (!allowsAnything(result)) return;
          allowed++;
          assert.ok(
            JSON.stringify(event ?? null).includes(VALID),
            `an Allow without the signed token: ${JSON.stringify(result)}`,
          );
        },
      ),
      runs(300),
    );
    assert.ok(
      allowed > 0,
      'some events with the signed token were allowed: the property reached the Allow path',
    );
  });
}

// ---------------------------------------------------------------- the rules engine

const segment = fc.oneof(
  { arbitrary: fc.constantFrom('pets', 'admin', 'a', '{id}', '{proxy+}'), weight: 8 },
  fc.constantFrom('', 'x y', '{', '*'),
  fc.string({ maxLength: 4 }),
);
const method = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST', 'ANY', 'DELETE'), weight: 8 },
  fc.constantFrom('get', 'FETCH'),
);
const routeString = fc
  .tuple(method, fc.array(segment, { minLength: 0, maxLength: 3 }))
  .map(([m, segs]) => `${m} /${segs.join('/')}`);
const claimPattern = fc.oneof(
  {
    arbitrary: fc.constantFrom('^a+$', '(a+)+$', '\\p{L}*\\p{L}*1', '@example\\.com$', '^[^@]+@'),
    weight: 6,
  },
  fc.constantFrom('(?=a)', '\\1', '[', 'a{0,300}'),
  fc.string({ maxLength: 12 }),
);
const condition = fc.oneof(
  fc.record({ claim: fc.constantFrom('email', 'sub', 'tier'), pattern: claimPattern }),
  fc.record({
    claim: fc.constantFrom('email', 'tier'),
    oneOf: fc.array(fc.constantFrom('gold', 'a@example.com', 1, true), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
);
const routeDoc = fc.oneof(
  {
    arbitrary: fc.record(
      {
        route: routeString,
        scopes: fc.array(fc.constantFrom('read:pets', 'write:pets', 'admin'), {
          minLength: 1,
          maxLength: 2,
        }),
        claims: fc.array(condition, { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: ['route'] },
    ),
    weight: 8,
  },
  fc.record({ route: routeString, public: fc.constant(true) }),
  fc.record({ route: routeString, deny: fc.constant(true) }),
  fc.record(
    { route: fc.anything({ maxDepth: 1 }), public: fc.anything({ maxDepth: 1 }) },
    { requiredKeys: [] },
  ),
);
const rulesDoc = fc.record({
  default: fc.constantFrom('deny', 'authenticated', 'deny', 'authenticated', 'maybe'),
  routes: fc.array(routeDoc, { maxLength: 5 }),
});
const requestPath = fc
  .array(fc.oneof(fc.constantFrom('pets', 'admin', '1', ''), fc.string({ maxLength: 3 })), {
    maxLength: 3,
  })
  .map((s) => `/${s.join('/')}`);
const claimsArb = fc.record({
  email: fc.oneof(fc.string({ maxLength: 300 }), fc.anything({ maxDepth: 1 })),
  tier: fc.anything({ maxDepth: 1 }),
  sub: fc.string(),
});

test('rules: any document validates or fails with errors, never an exception; the policy built never allows what the rules refuse; pattern work stays linear', () => {
  let checkedPolicies = 0;
  fc.assert(
    fc.property(
      rulesDoc,
      claimsArb,
      fc.constantFrom('GET', 'POST', 'DELETE'),
      requestPath,
      (doc, claims, method, path) => {
        const result = validateRules(doc);
        if (!result.ok) {
          assert.ok(result.errors.length > 0);
          return;
        }
        const rules: CompiledRules = result.rules;
        const identity = { scopes: new Set(['read:pets']), groups: new Set<string>() };
        patternWork.steps = 0;
        const evaluate1 = ruleEvaluator(claims, identity);
        const rule = rules.resolve(method, path);
        const verdict = evaluate1(rule);
        const conditions = new Set(
          rules.routes.flatMap((r) => r.claims).filter((c) => c.op === 'pattern'),
        );
        const bound = [...conditions].reduce(
          (n, c) => n + (c.op === 'pattern' ? 2 * c.pattern.states * (MAX_PATTERN_INPUT + 1) : 0),
          0,
        );
        const methodArn = `arn:aws:execute-api:us-east-1:123456789012:abc123/prod/${method}${path}`;
        const arn = parseMethodArn(methodArn);
        if (arn === undefined) return;
        const policy = buildRoutePolicy(arn, rules, (r) => evaluate1(r) === undefined);
        assert.ok(
          patternWork.steps <= bound,
          `${patternWork.steps} pattern steps for ${conditions.size} patterns, bound ${bound}`,
        );
        if ('statements' in policy && rule.access !== 'public') {
          const answer = evaluate(
            {
              principalId: 'u',
              policyDocument: { Version: '2012-10-17', Statement: policy.statements },
            },
            methodArn,
          );
          assert.equal(
            answer === 'allow',
            verdict === undefined,
            `${method} ${path}: policy ${answer}, rules ${verdict?.code ?? 'allow'}`,
          );
          checkedPolicies++;
        }
      },
    ),
    runs(400),
  );
  assert.ok(
    checkedPolicies > runs(40).numRuns,
    `only ${checkedPolicies} policies were checked against the rules`,
  );
});

// Patterns made of pieces JavaScript and the automaton must read alike.
const piece = fc.constantFrom(
  'a',
  'b',
  '.',
  '\\d',
  '[ab]',
  '[^a]',
  '\\w',
  '\\s',
  '\\b',
  '\\B',
  '^',
  '$',
  'é',
  '😀',
  '\\p{L}',
  '\\P{L}',
  '\\u{1F600}',
  '\\ud83d\\ude00',
  '\\x61',
  '(?:)',
  '[\\]a]',
  '\\.',
  '[😀-😂]',
);
const regexArb = fc.letrec<{ node: string; seq: string; alt: string; group: string; rep: string }>(
  (tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      piece,
      tie('seq'),
      tie('alt'),
      tie('rep'),
      tie('group'),
    ),
    seq: fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((xs) => xs.join('')),
    alt: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((xs) => xs.join('|')),
    group: fc.tuple(fc.constantFrom('(', '(?:', '(?<n>'), tie('node')).map(([g, x]) => `${g}${x})`),
    rep: fc
      .tuple(
        fc.constantFrom('(', '(?:'),
        tie('node'),
        fc.constantFrom('*', '+', '?', '{2}', '{0,3}', '{1,}', '*?', '{2,3}?'),
      )
      .map(([g, x, q]) => `${g}${x})${q}`),
  }),
).node;
const subject = fc
  .array(fc.constantFrom('a', 'b', '1', ' ', 'é', '😀', '😁', '\n', '_', '\ud83d', 'Z'), {
    maxLength: 14,
  })
  .map((xs) => xs.join(''));

/** V8 also tries a match between the halves of a surrogate pair (the u flag says it should not): skip those. */
function splitsAPair(re: RegExp, value: string): boolean {
  const m = re.exec(value);
  return (
    m !== null &&
    m.index > 0 &&
    /[\ud800-\udbff]/.test(value[m.index - 1]!) &&
    /[\udc00-\udfff]/.test(value[m.index] ?? '')
  );
}

test('claim patterns: the linear-time automaton answers as JavaScript does, on random patterns and values', () => {
  let compared = 0;
  fc.assert(
    fc.property(regexArb, fc.array(subject, { minLength: 1, maxLength: 4 }), (source, values) => {
      const compiled = compileClaimPattern(source);
      let re: RegExp;
      try {
        re = new RegExp(source, 'u');
      } catch {
        // Refused either way: as invalid, or first for its length (checked before the syntax).
        assert.ok(
          !compiled.ok &&
            /not a valid regular expression|at most 200|character positions/.test(compiled.message),
          source,
        );
        return;
      }
      if (!compiled.ok) {
        assert.match(compiled.message, /character positions|at most 200/, source);
        return;
      }
      for (const value of values) {
        if (splitsAPair(re, value)) continue;
        assert.equal(
          compiled.pattern.test(value),
          re.test(value),
          `${JSON.stringify(source)} on ${JSON.stringify(value)}`,
        );
        compared++;
      }
    }),
    runs(1500),
  );
  assert.ok(compared > 1000, `only ${compared} comparisons`);
});
