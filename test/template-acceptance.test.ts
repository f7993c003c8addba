// Issue 13's acceptance: one SAM template (test/fixtures/sam/acceptance.yaml, which passes AWS's SAM
// transform and cfn-lint with the other test templates) with a Lambda TOKEN authorizer, a REQUEST
// authorizer, a Cognito user pool authorizer (mapped with --cognito POOL=dev), a usage plan with
// throttle, quota and API key, and an HTTP API JWT authorizer, served over real HTTP: each route
// answers 401/403/200/429 with API Gateway's bodies, and the authorizers' results are cached for
// their TTL (the function's own counter file shows when it ran).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve, type RunningServer } from '../src/cli/serve-command.js';
import { mintDevToken } from '../src/cli/token-command.js';
import { repoPath } from './support/paths.js';
import { generateKey, sign } from './support/keys.js';
import { startOidcProvider } from './support/jwks-server.js';
import { useTempHome } from './support/temp-home.js';

const TEMPLATE = repoPath('test/fixtures/sam/acceptance.yaml');
// Fn::GetAtt UserPool.Arn with the local stack's region: the pool id is REGION_LOGICALID.
const POOL = 'us-east-1_UserPool';
const UNAUTHORIZED = { message: 'Unauthorized' };
const EXPLICIT_DENY = {
  Message: 'User is not authorized to access this resource with an explicit deny',
};

let dir: string;
useTempHome('tollgate-acceptance-', (path) => (dir = path));
async function answer(
  running: RunningServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; type: string | null }> {
  const r = await fetch(`${running.url}${path}`, { headers });
  return { status: r.status, body: await r.json(), type: r.headers.get('x-amzn-errortype') };
}

async function serveRest(): Promise<{
  running: RunningServer;
  lines: string[];
  calls: () => string[];
}> {
  const counter = join(dir, 'calls.txt');
  writeFileSync(counter, '');
  const envVars = join(dir, 'env.json');
  writeFileSync(envVars, JSON.stringify({ AuthorizerFunction: { COUNTER_FILE: counter } }));
  const lines: string[] = [];
  const running = await serve(
    {
      template: TEMPLATE,
      'template-api': 'PetsRestApi',
      'env-vars': envVars,
      cognito: [`${POOL}=dev`],
      port: '0',
    },
    (line) => lines.push(line),
    () => {},
  );
  const calls = (): string[] => readFileSync(counter, 'utf8').split('\n').filter(Boolean);
  return { running, lines, calls };
}

test('TOKEN authorizer: 401 without a token or for "Unauthorized", 403 on an explicit Deny, 200 on Allow; one invocation within the TTL, another after it', async () => {
  const { running, calls } = await serveRest();
  try {
    const missing = await answer(running, '/token');
    assert.deepEqual(missing, { status: 401, body: UNAUTHORIZED, type: 'UnauthorizedException' });
    assert.deepEqual(calls(), [], 'no token: API Gateway does not invoke the authorizer');
    const refused = await answer(running, '/token', { authorization: 'Bearer nobody' });
    assert.deepEqual(refused.body, UNAUTHORIZED);
    assert.equal(refused.status, 401);
    const denied = await answer(running, '/token', { authorization: 'Bearer deny' });
    assert.deepEqual(denied, { status: 403, body: EXPLICIT_DENY, type: 'AccessDeniedException' });

    const before = calls().length;
    const ok = await answer(running, '/token', { authorization: 'Bearer allow' });
    assert.equal(ok.status, 200);
    assert.equal(
      (ok.body as { authorizer: { principalId: string } }).authorizer.principalId,
      'user-allow',
    );
    assert.equal(calls().length, before + 1);
    assert.equal((await answer(running, '/token', { authorization: 'Bearer allow' })).status, 200);
    assert.equal(calls().length, before + 1, 'within ReauthorizeEvery (2 s): the cached policy');
    await sleep(2300);
    assert.equal((await answer(running, '/token', { authorization: 'Bearer allow' })).status, 200);
    assert.equal(calls().length, before + 2, 'past the TTL: the authorizer runs again');
    assert.deepEqual(calls().slice(-1), ['TOKEN']);
  } finally {
    await running.close();
  }
});

test('REQUEST authorizer: 401 without its identity source, 403 on Deny, 200 on Allow; cached per X-Key for the TTL', async () => {
  const { running, calls } = await serveRest();
  try {
    assert.deepEqual(await answer(running, '/request'), {
      status: 401,
      body: UNAUTHORIZED,
      type: 'UnauthorizedException',
    });
    assert.deepEqual(calls(), []);
    const denied = await answer(running, '/request', { 'x-key': 'deny' });
    assert.deepEqual(denied, { status: 403, body: EXPLICIT_DENY, type: 'AccessDeniedException' });
    const before = calls().length;
    assert.equal((await answer(running, '/request', { 'x-key': 'allow' })).status, 200);
    assert.equal((await answer(running, '/request', { 'x-key': 'allow' })).status, 200);
    assert.equal(calls().length, before + 1, 'the same identity within the TTL: cached');
    await sleep(2300);
    assert.equal((await answer(running, '/request', { 'x-key': 'allow' })).status, 200);
    assert.equal(calls().length, before + 2);
    assert.deepEqual(calls().slice(-1), ['REQUEST']);
  } finally {
    await running.close();
  }
});

test('Cognito authorizer (UserPoolArn, --cognito POOL=dev): ID tokens on a method without scopes, access tokens with a scope on the scoped one, 401 otherwise', async () => {
  const { running, lines } = await serveRest();
  try {
    assert.match(
      lines.join('\n'),
      new RegExp(`Cognito user pool ${POOL}: the development provider`),
    );
    const iss = running.devProvider!.issuer;
    const id = (await mintDevToken({ cognito: 'id', iss, sub: 'alice' })).token;
    const access = (await mintDevToken({ cognito: 'access', iss, scope: 'read:pets' })).token;
    const me = await answer(running, '/cognito', { authorization: id });
    assert.equal(me.status, 200);
    const claims = (me.body as { authorizer: { claims: Record<string, string> } }).authorizer
      .claims;
    assert.equal(claims.token_use, 'id');
    assert.equal(claims['cognito:username'], 'alice');
    assert.equal((await answer(running, '/cognito/orders', { authorization: access })).status, 200);
    assert.deepEqual(await answer(running, '/cognito/orders', { authorization: id }), {
      status: 401,
      body: UNAUTHORIZED,
      type: 'UnauthorizedException',
    });
    assert.deepEqual((await answer(running, '/cognito')).body, UNAUTHORIZED);
    const expired = (await mintDevToken({ cognito: 'id', iss, 'expires-in': '-1m' })).token;
    assert.deepEqual((await answer(running, '/cognito', { authorization: expired })).body, {
      message: 'The incoming token has expired',
    });
  } finally {
    await running.close();
  }
});

test('usage plan: 403 without the API key, the throttle\'s 429 "Too Many Requests", then the quota\'s 429 "Limit Exceeded"', async () => {
  const { running, lines } = await serveRest();
  try {
    const key = /local API key PetsRestApiApiKey = (\S+)/.exec(lines.join('\n'))?.[1];
    assert.ok(key, lines.join('\n'));
    const metered = (): ReturnType<typeof answer> =>
      answer(running, '/metered', { 'x-api-key': key });
    assert.deepEqual((await answer(running, '/metered')).body, { message: 'Forbidden' });
    assert.equal((await answer(running, '/metered', { 'x-api-key': 'wrong' })).status, 403);
    // Burst 2 at 1 request a second, quota 3 a day.
    assert.equal((await metered()).status, 200);
    assert.equal((await metered()).status, 200);
    const throttled = await metered();
    assert.deepEqual([throttled.status, throttled.body], [429, { message: 'Too Many Requests' }]);
    await sleep(1200);
    assert.equal((await metered()).status, 200, 'a token back, the third request of the quota');
    await sleep(1200);
    const spent = await metered();
    assert.deepEqual([spent.status, spent.body], [429, { message: 'Limit Exceeded' }]);
  } finally {
    await running.close();
  }
});

test('HTTP API JWT authorizer from the same template: 401 without a token, 403 without the route scope, 200 with it', async () => {
  const key = generateKey('RS256');
  const idp = await startOidcProvider([key.jwk]);
  const running = await serve(
    {
      template: TEMPLATE,
      'template-api': 'PetsHttpApi',
      'parameter-overrides': [`IssuerUrl=${idp.origin}`],
      port: '0',
    },
    () => {},
    () => {},
  );
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = (scope: string): Promise<string> =>
      sign(key, {
        iss: idp.origin,
        aud: 'https://api.example.com',
        sub: 'u1',
        scope,
        exp: now + 600,
      });
    assert.deepEqual((await answer(running, '/jwt')).body, UNAUTHORIZED);
    assert.equal((await answer(running, '/jwt')).status, 401);
    const scopeless = await answer(running, '/jwt', {
      authorization: `Bearer ${await token('other')}`,
    });
    assert.deepEqual([scopeless.status, scopeless.body], [403, { message: 'Forbidden' }]);
    const ok = await answer(running, '/jwt', {
      authorization: `Bearer ${await token('pets/read')}`,
    });
    assert.equal(ok.status, 200);
    const body = ok.body as { authorizer: { jwt: { claims: { sub: string } } } };
    assert.equal(body.authorizer.jwt.claims.sub, 'u1');
  } finally {
    await running.close();
    await idp.close();
  }
});
