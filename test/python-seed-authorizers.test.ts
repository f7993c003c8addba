// The third seed's authorizers (the chat's static token step, as written, and its JWKS and Cognito steps), written in its
// style in test/fixtures/python/, served as `tollgate serve --api doc.yaml --function
// auth=auth.py#lambda_handler` in front of a real Python function, with a JWKS served on 127.0.0.1
// by the test. They run as written, and Tollgate answers and explains their mistakes as API
// Gateway would: a Deny for a bad token is 403, and the chat's exact-methodArn policy, cached for
// 300 s, refuses the next route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type RunningServer } from '../src/cli/serve-command.js';
import { proxyTo, restTokenApi } from './support/apigw.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { generateKey, sign, type TestKey } from './support/keys.js';
import { repoPath } from './support/paths.js';
import { pythonWithJwt } from './support/python.js';

const FIXTURES = repoPath('test', 'fixtures', 'python');
const SETTINGS = [
  'TOLLGATE_HOME',
  'TOLLGATE_PYTHON',
  'JWKS_URL',
  'API_AUDIENCE',
  'COGNITO_REGION',
  'COGNITO_POOL_ID',
  'APP_CLIENT_ID',
  'COGNITO_JWKS_URL',
];
const saved = SETTINGS.map((k) => [k, process.env[k]] as const);

let dir: string;
let key: TestKey;
let jwks: JwksServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-seed-authorizers-'));
  process.env.TOLLGATE_HOME = join(dir, '.tollgate');
  process.env.TOLLGATE_PYTHON = pythonWithJwt();
  key = generateKey('RS256');
  jwks = await startJwksServer([key.jwk]);
});
after(async () => {
  await jwks.close();
  for (const [k, v] of saved)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(dir, { recursive: true, force: true });
});

/** The authorizer fixture as auth.py, two routes to the bridge's contract function, served. */
async function serveAuthorizer(
  fixture: string,
): Promise<{ running: RunningServer; log: Record<string, unknown>[] }> {
  const work = mkdtempSync(join(dir, 'work-'));
  copyFileSync(join(FIXTURES, fixture), join(work, 'auth.py'));
  const api = join(work, 'api.yaml');
  writeFileSync(
    api,
    restTokenApi(
      ['/hello', '/other'].map((p) => `  ${p}:\n    get: { ${proxyTo('hello')} }`).join('\n'),
    ),
  );
  const log: Record<string, unknown>[] = [];
  const running = await serve(
    {
      api,
      port: '0',
      function: [
        `auth=${join(work, 'auth.py')}#lambda_handler`,
        `hello=${join(FIXTURES, 'bridge.py')}#contract`,
      ],
    },
    () => {},
    (entry) => log.push(entry),
  );
  return { running, log };
}

const now = (): number => Math.floor(Date.now() / 1000);

test("the chat's static-token authorizer, named in serve.functions as auth.py#lambda_handler: allow-token 200; its exact-ARN policy refuses the next route from the cache (403, explained); another token is its Deny (403, explained)", async () => {
  const work = mkdtempSync(join(dir, 'static-'));
  copyFileSync(join(FIXTURES, 'auth_static.py'), join(work, 'auth.py'));
  writeFileSync(
    join(work, 'api.yaml'),
    restTokenApi(
      ['/hello', '/other'].map((p) => `  ${p}:\n    get: { ${proxyTo('hello')} }`).join('\n'),
    ),
  );
  // The config file's functions: a .py path, relative to the file's folder, selects Python.
  writeFileSync(
    join(work, 'tollgate.config.yaml'),
    `serve:\n  api: api.yaml\n  page: false\n  functions:\n    auth: auth.py#lambda_handler\n    hello: ${join(FIXTURES, 'bridge.py')}#contract\n`,
  );
  const log: Record<string, unknown>[] = [];
  const running = await serve(
    { config: join(work, 'tollgate.config.yaml'), port: '0' },
    () => {},
    (entry) => log.push(entry),
  );
  try {
    const get = (path: string, authorization: string): Promise<Response> =>
      fetch(`${running.url}${path}`, { headers: { authorization } });
    const ok = await get('/hello', 'allow-token');
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { path: string }).path, '/hello');
    const other = await get('/other', 'allow-token');
    assert.equal(other.status, 403, 'the cached policy names /hello only');
    assert.ok(log.some((l) => l.event === 'stale_cached_policy'));
    const denied = await get('/hello', 'Bearer allow-token');
    assert.equal(denied.status, 403);
    assert.deepEqual(await denied.json(), {
      Message: 'User is not authorized to access this resource with an explicit deny',
    });
    const why = log.find((l) => l.event === 'authorizer_denied');
    assert.match(
      String(why?.explanation),
      /^403, not 401: the authorizer "auth" returned a Deny policy/,
    );
  } finally {
    await running.close();
  }
});

test("the chat's RS256-with-JWKS authorizer: a raw token 200; its exact-ARN policy refuses the next route from the cache (403, explained); a Bearer-prefixed, foreign or expired token is its Deny (403, explained)", async () => {
  process.env.JWKS_URL = jwks.url;
  process.env.API_AUDIENCE = 'https://orders.example.com';
  const { running, log } = await serveAuthorizer('auth_rs256_jwks.py');
  try {
    const get = (path: string, authorization: string): Promise<Response> =>
      fetch(`${running.url}${path}`, { headers: { authorization } });
    const good = await sign(key, {
      sub: 'chat-user',
      aud: 'https://orders.example.com',
      exp: now() + 300,
    });
    assert.equal((await get('/hello', good)).status, 200);
    assert.equal(jwks.hits(), 1, 'the JWKS is fetched once');

    // The chat's policy names this request's methodArn only; API Gateway caches it for 300 s
    // by token, so the same token on another route is refused without calling the authorizer.
    const other = await get('/other', good);
    assert.equal(other.status, 403);
    const stale = log.find((l) => l.event === 'stale_cached_policy');
    assert.ok(stale, 'the stale cached policy is explained');

    // As the chat wrote it, the authorizer reads the header as the token: "Bearer ..." fails to
    // decode and is its Deny, which API Gateway answers 403 (not 401).
    const prefixed = await get('/hello', `Bearer ${good}`);
    assert.equal(prefixed.status, 403);
    assert.deepEqual(await prefixed.json(), {
      Message: 'User is not authorized to access this resource with an explicit deny',
    });
    const foreign = await sign(key, { sub: 'x', aud: 'https://elsewhere', exp: now() + 300 });
    const expired = await sign(key, {
      sub: 'x',
      aud: 'https://orders.example.com',
      exp: now() - 60,
    });
    for (const bad of [foreign, expired]) assert.equal((await get('/hello', bad)).status, 403);
    const denied = log.filter((l) => l.event === 'authorizer_denied');
    assert.equal(denied.length, 3);
    assert.match(
      String(denied[0]!.explanation),
      /^403, not 401: the authorizer "auth" returned a Deny policy/,
    );
    assert.match(String(denied[0]!.explanation), /raise Exception\('Unauthorized'\)/);
  } finally {
    await running.close();
  }
});

test("the chat's Cognito authorizer: an ID token of the pool's app client 200; an access token (client_id, no aud) and another pool's token are its Deny (403)", async () => {
  process.env.COGNITO_REGION = 'us-east-1';
  process.env.COGNITO_POOL_ID = 'us-east-1_LocalPool';
  process.env.APP_CLIENT_ID = 'local-app-client';
  process.env.COGNITO_JWKS_URL = jwks.url;
  const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalPool';
  const { running, log } = await serveAuthorizer('auth_cognito.py');
  try {
    const get = (authorization: string): Promise<Response> =>
      fetch(`${running.url}/hello`, { headers: { authorization } });
    const idToken = await sign(key, {
      sub: 'cognito-user',
      iss: issuer,
      aud: 'local-app-client',
      token_use: 'id',
      exp: now() + 300,
    });
    const ok = await get(idToken);
    assert.equal(ok.status, 200);
    const accessToken = await sign(key, {
      sub: 'cognito-user',
      iss: issuer,
      client_id: 'local-app-client',
      token_use: 'access',
      scope: 'openid',
      exp: now() + 300,
    });
    assert.equal((await get(accessToken)).status, 403, 'no aud: PyJWT refuses it, the chat denies');
    const otherPool = await sign(key, {
      sub: 'cognito-user',
      iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other',
      aud: 'local-app-client',
      exp: now() + 300,
    });
    assert.equal((await get(otherPool)).status, 403);
    assert.equal(log.filter((l) => l.event === 'authorizer_denied').length, 2);
  } finally {
    await running.close();
  }
});
