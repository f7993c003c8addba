import { repoPath } from './support/paths.js';
import { pathToFileURL } from 'node:url';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './support/child.js';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createIssuerHandler } from '../src/lambda/issuer-handler.js';
import { UNAUTHORIZED } from '../src/aws/bearer.js';
import { claims, generateKey, NOW_S, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { testRuntime } from './support/verifier.js';
import { evaluate } from './support/iam.js';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/1';
const event = (
  token: string,
  overrides: Partial<APIGatewayTokenAuthorizerEvent> = {},
): APIGatewayTokenAuthorizerEvent => ({
  type: 'TOKEN',
  authorizationToken: `Bearer ${token}`,
  methodArn: ARN,
  ...overrides,
});

let key: TestKey;
let server: JwksServer;
before(async () => {
  key = generateKey('RS256');
  server = await startJwksServer([key.jwk]);
});
after(() => server.close());

function handlerFor(env: Record<string, string> = {}) {
  const rt = testRuntime(server.url, env);
  return { handle: createIssuerHandler(rt), logs: rt.logs };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the handler to throw');
}

test('Allow: a policy over the whole stage, principalId = sub, flat context', async () => {
  const { handle } = handlerFor({ CONTEXT_CLAIMS: 'scope,email,groups,n,flag,obj' });
  const result: APIGatewayAuthorizerResult = await handle(
    event(
      await sign(
        key,
        claims({ email: 'a@example.com', groups: ['a', 'b'], n: 3, flag: true, obj: { x: 1 } }),
      ),
    ),
  );
  assert.deepEqual(result, {
    principalId: 'user-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*',
        },
      ],
    },
    context: {
      scope: 'read:pets',
      email: 'a@example.com',
      groups: 'a b',
      n: 3,
      flag: true,
      obj: '{"x":1}',
    },
  });
  for (const v of Object.values(result.context ?? {}))
    assert.ok(['string', 'number', 'boolean'].includes(typeof v));
});

test('the cached Allow answers every route of the stage, not only the first methodArn (the seed sample bug)', async () => {
  const { handle } = handlerFor();
  const result = await handle(event(await sign(key)));
  for (const arn of [
    '…/prod/GET/pets/2',
    '…/prod/POST/orders',
    '…/prod/GET/',
    '…/prod/DELETE/pets/1',
  ]) {
    assert.equal(
      evaluate(result, arn.replace('…', 'arn:aws:execute-api:us-east-1:123456789012:abc123')),
      'allow',
      arn,
    );
  }
  assert.equal(
    evaluate(result, 'arn:aws:execute-api:us-east-1:123456789012:abc123/test/GET/pets'),
    'implicit-deny',
    'another stage',
  );
  assert.equal(
    evaluate(result, 'arn:aws:execute-api:us-east-1:123456789012:other/prod/GET/pets'),
    'implicit-deny',
    'another API',
  );
});

test('POLICY_RESOURCE=api covers every stage of the API', async () => {
  const { handle } = handlerFor({ POLICY_RESOURCE: 'api' });
  const result = await handle(event(await sign(key)));
  assert.equal(
    (result.policyDocument.Statement[0] as { Resource: string }).Resource,
    'arn:aws:execute-api:us-east-1:123456789012:abc123/*',
  );
});

test('Deny (403): a valid token lacking required scopes, over the same resources', async () => {
  const { handle, logs } = handlerFor({ REQUIRED_SCOPES: 'read:pets write:pets' });
  const result = await handle(event(await sign(key)));
  assert.deepEqual(result, {
    principalId: 'user-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Deny',
          Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*',
        },
      ],
    },
    context: { reason: 'SCOPE_INSUFFICIENT' },
  });
  assert.equal(evaluate(result, ARN), 'explicit-deny');
  assert.equal(logs.at(-1)?.decision, 'deny');
  assert.equal(logs.at(-1)?.reason, 'SCOPE_INSUFFICIENT');
});

test('SCOPE_MATCH=any allows a token with one of the scopes', async () => {
  const { handle } = handlerFor({ REQUIRED_SCOPES: 'admin,read:pets', SCOPE_MATCH: 'any' });
  const result = await handle(event(await sign(key)));
  assert.equal(evaluate(result, ARN), 'allow');
});

test('Unauthorized (401): exactly Error("Unauthorized") for missing, malformed, bad-signature, expired, wrong-issuer and wrong-audience tokens', async () => {
  const { handle, logs } = handlerFor();
  const other = generateKey('RS256', key.kid);
  const cases: Array<[string, APIGatewayTokenAuthorizerEvent, string]> = [
    ['missing', event('', { authorizationToken: '' }), 'TOKEN_MISSING'],
    ['bearer only', event('', { authorizationToken: 'Bearer ' }), 'TOKEN_MISSING'],
    ['basic scheme', event('', { authorizationToken: 'Basic dXNlcjpwYXNz' }), 'TOKEN_MALFORMED'],
    ['malformed', event('not.a.jwt'), 'TOKEN_MALFORMED'],
    ['other key', event(await sign(other)), 'SIGNATURE_INVALID'],
    ['expired', event(await sign(key, claims({ exp: NOW_S - 1 }))), 'TOKEN_EXPIRED'],
    [
      'issuer',
      event(await sign(key, claims({ iss: 'https://evil.example.com/' }))),
      'ISSUER_MISMATCH',
    ],
    [
      'audience',
      event(await sign(key, claims({ aud: 'https://other.example.com' }))),
      'AUDIENCE_MISMATCH',
    ],
  ];
  for (const [name, ev, code] of cases) {
    const error = await rejection(handle(ev));
    assert.equal(error.constructor, Error, name);
    assert.equal(error.message, UNAUTHORIZED, name);
    assert.equal(logs.at(-1)?.reason, code, name);
    assert.equal(logs.at(-1)?.decision, 'unauthorized', name);
  }
});

test('the Bearer scheme is case-insensitive and a bare token is accepted', async () => {
  const { handle } = handlerFor();
  const token = await sign(key);
  for (const header of [`bearer ${token}`, `BEARER ${token}`, token]) {
    assert.equal(evaluate(await handle(event('', { authorizationToken: header })), ARN), 'allow');
  }
});

test('identity provider outage: an error other than Unauthorized (500), logged as an error', async () => {
  const down = await startJwksServer([]);
  down.setMode({ kind: 'status', status: 503 });
  const rt = testRuntime(down.url);
  const error = await rejection(createIssuerHandler(rt)(event(await sign(key))));
  assert.notEqual(error.message, UNAUTHORIZED);
  assert.match(error.message, /JWKS_UNAVAILABLE/);
  const line = rt.logs.find((l) => l.decision === 'failure');
  assert.equal(line?.level, 'error');
  assert.equal(line?.reason, 'JWKS_UNAVAILABLE');
  await down.close();
});

test('an event that is not a TOKEN event with a methodArn is a failure (500), never an Allow', async () => {
  const { handle } = handlerFor();
  const token = await sign(key);
  for (const bad of [
    { ...event(token), methodArn: 'nonsense' },
    { ...event(token), type: 'REQUEST' },
    null,
  ]) {
    const error = await rejection(handle(bad as APIGatewayTokenAuthorizerEvent));
    assert.match(error.message, /EVENT_INVALID/);
  }
});

test('LOG_DECISIONS=all: one JSON log line per decision with decision, reason, principal, kid, issuer and duration, never the token', async () => {
  const { handle, logs } = handlerFor({ LOG_DECISIONS: 'all' });
  const token = await sign(key);
  await handle(event(token));
  await rejection(handle(event(token.slice(0, -4) + 'AAAA')));
  const decisions = logs.filter((l) => 'decision' in l);
  assert.equal(decisions.length, 2);
  for (const line of decisions) {
    for (const field of ['decision', 'reason', 'kid', 'issuer', 'durationMs'])
      assert.ok(line[field] !== undefined, field);
    const text = JSON.stringify(line);
    assert.ok(!text.includes(token.split('.')[2]!), 'no signature in logs');
    assert.ok(!text.includes(token.split('.')[1]!), 'no payload in logs');
  }
  assert.equal(decisions[0]!.principal, 'user-1');
});

test('the deployed module refuses to start without configuration, naming the setting', () => {
  const env = { PATH: process.env.PATH ?? '' };
  const run = (extra: Record<string, string>) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(pathToFileURL(repoPath('dist', 'lambda', 'index.js')).href)})`,
      ],
      { env: { ...env, ...extra }, encoding: 'utf8', cwd: repoPath() },
    );
  const noIssuer = run({});
  assert.notEqual(noIssuer.status, 0);
  assert.match(noIssuer.stderr, /TOKEN_ISSUER is required/);
  const noAudience = run({ TOKEN_ISSUER: 'https://issuer.example.com/' });
  assert.match(noAudience.stderr, /AUDIENCE is required/);
  const badUrl = run({
    TOKEN_ISSUER: 'https://issuer.example.com/',
    AUDIENCE: 'a',
    JWKS_URI: 'http://keys.example.com/jwks.json',
  });
  assert.match(badUrl.stderr, /JWKS_URI .* must use https/);
});

test('LOG_DECISIONS=refusals, the default, leaves Allow lines out and still logs every refusal', async () => {
  for (const env of [{ LOG_DECISIONS: 'refusals' }, {}] as Record<string, string>[]) {
    const { handle, logs } = handlerFor(env);
    await handle(event(await sign(key)));
    assert.equal(logs.filter((l) => 'decision' in l).length, 0);
    await rejection(handle(event('not.a.jwt')));
    assert.equal(logs.filter((l) => l.decision === 'unauthorized').length, 1);
  }
});
