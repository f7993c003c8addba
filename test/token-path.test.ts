// The deployed handler's synchronous TOKEN path and its cached answers give the general handler's
// answers and log lines, case by case: two authorizers on the same settings, JWKS and clock, one
// behind createHandler, one behind createLambdaHandler, fed the same random sequences of events
// (valid, refused and malformed tokens, repeats, other shapes, clock moves past exp).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authorizerConfig } from '../src/settings/authorizer-config.js';
import { createAuthorizer } from '../src/lambda/authorizer.js';
import { createHandler, type AuthorizerHandler } from '../src/lambda/handler.js';
import { createLambdaHandler } from '../src/lambda/lambda-handler.js';
import { createTokenPath } from '../src/lambda/token-path.js';
import {
  AUDIENCE,
  claims,
  generateKey,
  ISSUER,
  NOW_S,
  sign,
  type TestKey,
} from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { clock, type Clock } from './support/verifier.js';

const ARNS = [
  'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets',
  'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets/7',
  'arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/',
  'arn:aws-cn:execute-api:cn-north-1:123456789012:xyz789/v1/DELETE/a/b',
  'nonsense',
];

const SETTINGS: Record<string, string>[] = [
  {},
  { LOG_DECISIONS: 'all' },
  { CONTEXT_CLAIMS: 'scope,email,groups,n' },
  { REQUIRED_SCOPES: 'read:pets' },
  { USAGE_IDENTIFIER_CLAIM: 'client_id', POLICY_RESOURCE: 'api' },
  { LOG_DECISIONS: 'refusals', TOKEN_CACHE_SIZE: '2' },
  { TOKEN_CACHE_SIZE: '0', CLOCK_TOLERANCE: '5' },
  // Large contexts: over the TOKEN path's size bound, so the general formatter fits them.
  { CONTEXT_CLAIMS: 'scope,blob,blob2,sub', USAGE_IDENTIFIER_CLAIM: 'blob' },
  // A context name the TOKEN path leaves to the general formatter.
  { CONTEXT_CLAIMS: '__proto__,email' },
];

let key: TestKey;
let other: TestKey;
let server: JwksServer;
let tokens: string[];

before(async () => {
  key = generateKey('RS256');
  other = generateKey('RS256', key.kid); // same kid, not in the JWKS
  server = await startJwksServer([key.jwk]);
  const t = (c: Parameters<typeof claims>[0]) => sign(key, claims(c));
  const good = await t({ sub: 'ann', email: 'a@example.com', groups: ['x', 'y'], n: 3 });
  tokens = [
    good,
    await t({ sub: 'bob', scope: 'write:pets', client_id: 'app-1' }),
    await t({ sub: 'cy', exp: NOW_S + 30 }), // expires while the clock moves
    await t({ sub: 'dee', nbf: NOW_S + 20 }), // becomes valid while it moves
    await t({ sub: 'eve', exp: NOW_S - 1 }),
    await t({ sub: 'fay', aud: 'https://other.example.com' }),
    await t({ sub: 'gus', iss: 'https://evil.example.com/' }),
    good.slice(0, -6) + (good.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'),
    await sign(other, claims({ sub: 'hal' })),
    await sign(key, claims({ sub: 'ivy' }), { alg: 'none' }).catch(() => 'a.b.c'),
    'not.a.jwt',
    // Long claims with characters JSON escapes: near API Gateway's 8 KB once in the context.
    await t({
      sub: 'joy"\\\u0001é😀'.repeat(40),
      blob: 'x"\u2028\u0002'.repeat(400),
      blob2: ['a', 'b"c'.repeat(300)],
    }),
  ];
});
after(() => server.close());

interface Pair {
  general: AuthorizerHandler;
  lambda: AuthorizerHandler;
  generalLogs: Record<string, unknown>[];
  lambdaLogs: Record<string, unknown>[];
  clock: Clock;
}

async function pair(env: Record<string, string>): Promise<Pair> {
  const c = clock();
  const settings = { TOKEN_ISSUER: ISSUER, AUDIENCE, JWKS_URI: server.url, ...env };
  const make = async (logs: Record<string, unknown>[]) => {
    const authorizer = createAuthorizer(authorizerConfig(settings), {
      now: c.now,
      log: (entry) => logs.push(entry),
    });
    await authorizer.warmUp();
    return authorizer;
  };
  const generalLogs: Record<string, unknown>[] = [];
  const lambdaLogs: Record<string, unknown>[] = [];
  const general = createHandler(await make(generalLogs));
  const lambda = createLambdaHandler(await make(lambdaLogs));
  return { general, lambda, generalLogs, lambdaLogs, clock: c };
}

type Outcome = { result: unknown } | { error: { name: string; message: string } };

async function outcome(handler: AuthorizerHandler, event: unknown): Promise<Outcome> {
  try {
    // A copy: an answer handed out again must not be one the caller changed.
    return { result: JSON.parse(JSON.stringify(await handler(event, { awsRequestId: 'r' }))) };
  } catch (error) {
    return { error: { name: (error as Error).name, message: (error as Error).message } };
  }
}

const withoutDuration = (logs: Record<string, unknown>[]) =>
  logs.map(({ durationMs: _d, ...rest }) => rest);

const step = () =>
  fc.record({
    token: fc.nat({ max: 1000 }),
    arn: fc.nat({ max: ARNS.length - 1 }),
    scheme: fc.constantFrom('Bearer ', 'bearer ', 'Basic ', ''),
    type: fc.constantFrom('TOKEN', 'TOKEN', 'TOKEN', 'REQUEST'),
    advanceS: fc.constantFrom(0, 0, 0, 7, 25),
  });

for (const env of SETTINGS) {
  test(`the TOKEN path answers as the general handler on every case: ${JSON.stringify(env)}`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step(), { minLength: 1, maxLength: 25 }), async (steps) => {
        const p = await pair(env);
        for (const s of steps) {
          p.clock.advance(s.advanceS * 1000);
          const token = tokens[s.token % tokens.length]!;
          const event = {
            type: s.type,
            authorizationToken: `${s.scheme}${token}`,
            methodArn: ARNS[s.arn],
          };
          const [a, b] = [await outcome(p.general, event), await outcome(p.lambda, event)];
          assert.deepEqual(b, a, JSON.stringify(event) + JSON.stringify([a, b]));
          assert.deepEqual(withoutDuration(p.lambdaLogs), withoutDuration(p.generalLogs));
        }
      }),
      { numRuns: 40 },
    );
  });
}

test('a repeated token is answered from the cache until exp passes, then refused; a refusal is never cached', async () => {
  const p = await pair({});
  const event = {
    type: 'TOKEN',
    authorizationToken: `Bearer ${tokens[2]}`,
    methodArn: ARNS[0],
  };
  const first = await p.lambda(event);
  const second = await p.lambda(event);
  assert.equal(second, first, 'the same finished answer');
  assert.ok(Object.isFrozen((first as { policyDocument: object }).policyDocument), 'frozen');
  p.clock.advance(31_000);
  await assert.rejects(p.lambda(event), { message: 'Unauthorized' });
  assert.equal(p.lambdaLogs.at(-1)!.reason, 'TOKEN_EXPIRED');
  const forged = { ...event, authorizationToken: `Bearer ${tokens[7]}` };
  for (let i = 0; i < 3; i++) await assert.rejects(p.lambda(forged), { message: 'Unauthorized' });
  assert.deepEqual(
    p.lambdaLogs.slice(-3).map((l) => l.reason),
    ['SIGNATURE_INVALID', 'SIGNATURE_INVALID', 'SIGNATURE_INVALID'],
  );
});

test("a token ending as a cached one does (the cached token's signature on another payload) is verified, not answered from the cache; the cached one still is", async () => {
  const p = await pair({});
  const event = { type: 'TOKEN', authorizationToken: `Bearer ${tokens[2]}`, methodArn: ARNS[0] };
  const first = await p.lambda(event);
  const [, , signature] = tokens[2]!.split('.');
  const [header, payload] = tokens[1]!.split('.');
  const spliced = { ...event, authorizationToken: `Bearer ${header}.${payload}.${signature}` };
  await assert.rejects(p.lambda(spliced), { message: 'Unauthorized' });
  assert.equal(p.lambdaLogs.at(-1)!.reason, 'SIGNATURE_INVALID');
  assert.equal(await p.lambda(event), first, 'the first token is still answered from the cache');
  assert.equal(
    (
      (await p.lambda({ ...event, authorizationToken: `Bearer ${tokens[1]}` })) as {
        principalId: string;
      }
    ).principalId,
    'bob',
  );
});

test('the answer cache holds at most TOKEN_CACHE_SIZE tokens, dropping the oldest first', async () => {
  const p = await pair({ TOKEN_CACHE_SIZE: '2' });
  const call = (i: number) =>
    p.lambda({ type: 'TOKEN', authorizationToken: `Bearer ${tokens[i]}`, methodArn: ARNS[0] });
  const first = [await call(0), await call(1)];
  assert.equal(await call(0), first[0], 'both answered from the cache');
  assert.equal(await call(1), first[1]);
  const third = await call(2);
  assert.notEqual(await call(0), first[0], 'the oldest was dropped: verified and built again');
  assert.equal(await call(2), third, 'the newest is still held');
});

test('the TOKEN path is used only where it applies: one issuer, no route rules', async () => {
  const settings = { TOKEN_ISSUER: ISSUER, AUDIENCE, JWKS_URI: server.url };
  assert.ok(createTokenPath(createAuthorizer(authorizerConfig(settings))));
  const rules = JSON.stringify({ routes: [{ route: 'GET /pets', scopes: ['read:pets'] }] });
  const { rulesEngine } = await import('../src/core/rules-engine.js');
  const withRules = authorizerConfig(
    { ...settings, RULES_FILE: 'rules.json' },
    { readRules: () => JSON.parse(rules), rulesEngine },
  );
  assert.equal(createTokenPath(createAuthorizer(withRules)), undefined);
});

test("the TOKEN path's prebuilt log line is the text JSON.stringify writes for the general handler's entry", async () => {
  const settings = { TOKEN_ISSUER: ISSUER, AUDIENCE, JWKS_URI: server.url, LOG_DECISIONS: 'all' };
  const entries: Record<string, unknown>[] = [];
  const lines: string[] = [];
  let prebuiltLines = 0;
  const plain = createAuthorizer(authorizerConfig(settings), {
    log: (entry) => entries.push(entry),
  });
  // The general handler (an ARN it refuses) writes objects: as a TEXT sink does, their JSON.
  const prebuilt = createAuthorizer(authorizerConfig(settings), {
    log: Object.assign((entry: Record<string, unknown>) => lines.push(JSON.stringify(entry)), {
      line: (_level: string, json: string) => lines.push(json) && prebuiltLines++,
    }),
  });
  await Promise.all([plain.warmUp(), prebuilt.warmUp()]);
  const odd = await sign(key, claims({ sub: 'o"k\\é\u2028\u0001😀', exp: 4102444800 }));
  const now = Math.floor(Date.now() / 1000);
  const fresh = await sign(key, claims({ sub: 'plain', iat: now, exp: now + 600 }));
  const events = [odd, fresh, odd, tokens[7]!].flatMap((token) =>
    [ARNS[0]!, 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/p\u00e9ts/"x"'].map(
      (methodArn) => ({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn }),
    ),
  );
  const [a, b] = [createLambdaHandler(plain), createLambdaHandler(prebuilt)];
  for (const [i, event] of events.entries()) {
    const context = { awsRequestId: i % 2 ? `req-${i}` : `r"${i}` };
    await Promise.allSettled([a(event, context), b(event, context)]);
  }
  assert.ok(prebuiltLines >= 6, `${prebuiltLines} prebuilt lines`);
  assert.equal(lines.length, entries.length);
  const text = (s: string) => {
    const { durationMs, ...rest } = JSON.parse(s) as Record<string, unknown>;
    assert.equal(typeof durationMs, 'number');
    return JSON.stringify(rest);
  };
  assert.deepEqual(
    lines.map(text),
    entries.map((e) => text(JSON.stringify(e))),
  );
});
