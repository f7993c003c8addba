// Issue 9, item 2: third-party-shaped authorizers (test/fixtures/third-party/) under `tollgate
// serve`, over real HTTP, with a real JWKS server on 127.0.0.1: each runtime's contract
// (context.fail, callbacks, nodejs24.x's refusal), Lambda's handler names, CommonJS `default`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './support/child.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type RunningServer } from '../src/cli/serve-command.js';
import { UsageError } from '../src/core/errors.js';
import { lambdaUri } from './support/apigw.js';
import { repoPath } from './support/paths.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { AUDIENCE, generateKey, ISSUER, sign, type TestKey } from './support/keys.js';

let dir: string;
let jwks: JwksServer;
let key: TestKey;
const savedHome = process.env.TOLLGATE_HOME;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-runtime-'));
  process.env.TOLLGATE_HOME = join(dir, '.tollgate');
  key = generateKey('RS256');
  jwks = await startJwksServer([key.jwk]);
  writeFileSync(
    join(dir, 'backend.mjs'),
    `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.path, principal: event.requestContext.authorizer?.principalId ?? null }) });\n`,
  );
});
after(async () => {
  await jwks.close();
  if (savedHome === undefined) delete process.env.TOLLGATE_HOME;
  else process.env.TOLLGATE_HOME = savedHome;
  rmSync(dir, { recursive: true, force: true });
});

const fixture = (...parts: string[]): string =>
  repoPath('test', 'fixtures', 'third-party', ...parts);

/** A REST API whose routes all use one TOKEN authorizer, function `auth`, cached for `ttl` seconds. */
function apiDocument(ttl: number): string {
  const path = join(dir, `api-${ttl}.yaml`);
  const integration = `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('backend')}' }`;
  writeFileSync(
    path,
    `openapi: 3.0.1
info: { title: third-party, version: '1' }
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer: { type: token, authorizerUri: '${lambdaUri('auth')}', authorizerResultTtlInSeconds: ${ttl} }
security: [{ auth: [] }]
paths:
  /pets:
    get: { ${integration} }
    post: { ${integration} }
  /pets/{id}:
    get: { ${integration} }
`,
  );
  return path;
}

interface Started {
  readonly server: RunningServer;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string[];
}

/** serve with a config file declaring the authorizer function `auth` as given (YAML lines under it). */
async function start(
  authYaml: string,
  ttl = 3600,
  backend = './backend.mjs#handler',
): Promise<Started> {
  const config = join(dir, `serve-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    config,
    `serve:
  api: ${apiDocument(ttl)}
  page: false
  functions:
    backend: ${backend}
    auth:
${authYaml
  .trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`,
  );
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const server = await serve(
    { config, port: '0' },
    (l) => stderr.push(l),
    (e) => lines.push(e),
  );
  return { server, lines, stderr };
}

const auth0Yaml = (runtime?: string): string => `
handler: ${fixture('auth0-style', 'index.handler')}
${runtime ? `runtime: ${runtime}` : ''}
environment:
  JWKS_URI: ${jwks.url}
  TOKEN_ISSUER: ${ISSUER}
  AUDIENCE: ${AUDIENCE}`;

const get = async (url: string, token?: string, method = 'GET'): Promise<number> =>
  (await fetch(url, { method, headers: token ? { authorization: token } : {} })).status;

test('Auth0-shaped authorizer, no runtime declared (nodejs22.x): 401 bad token, 200 good, 403 on a second route from its cached exact-ARN policy', async () => {
  const { server, lines, stderr } = await start(auth0Yaml());
  try {
    assert.ok(
      stderr.some(
        (l) =>
          l.includes('function auth (nodejs22.x)') &&
          l.includes('Runtime.CallbackHandlerDeprecated'),
      ),
      'a warning at start: the (event, context, callback) handler would be refused on nodejs24.x',
    );
    const now = Math.floor(Date.now() / 1000);
    const good = await sign(key, {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'auth0|alice',
      iat: now,
      exp: now + 600,
      scope: 'read:pets',
    });
    const expired = await sign(key, {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'auth0|alice',
      iat: now - 7200,
      exp: now - 3600,
    });
    assert.equal(
      await get(`${server.url}/pets`, `Bearer ${expired}`),
      401,
      'context.fail("Unauthorized") is a 401',
    );
    assert.equal(await get(`${server.url}/pets`, 'Basic nope'), 401);
    const failLine = lines.find((l) => l.event === 'function_runtime_warning');
    assert.match(
      String(failLine?.message),
      /context\.fail\(\) is called: nodejs24\.x has no context\.fail/,
    );
    assert.equal(await get(`${server.url}/pets`, `Bearer ${good}`), 200);
    assert.equal(
      await get(`${server.url}/pets/1`, `Bearer ${good}`),
      403,
      'the cached policy allows only GET /pets',
    );
    const stale = lines.find((l) => l.event === 'stale_cached_policy');
    assert.ok(stale, 'the stale-policy explanation is logged');
    assert.match(String(stale!.explanation), /allows only what it was issued for .*GET\/pets/);
  } finally {
    await server.close();
  }
});

test('Auth0-shaped authorizer declared nodejs24.x: refused at start with AWS reason and the fix', async () => {
  await assert.rejects(start(auth0Yaml('nodejs24.x')), (error: Error) => {
    assert.ok(error instanceof UsageError);
    assert.match(
      error.message,
      /^auth: cannot load .*auth0-style\/index: Runtime\.CallbackHandlerDeprecated: ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node\.js 24\./,
    );
    assert.match(error.message, /fix: declare the handler as async \(event, context\)/);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return true;
  });
});

test('blueprint-shaped authorizer (callback, AuthPolicy): 200 or 403 per route as its policy says', async () => {
  const { server, lines } = await start(
    `handler: ${fixture('blueprint-style', 'index.js')}#handler\nruntime: nodejs20.x`,
    0,
  );
  try {
    assert.equal(await get(`${server.url}/pets`, 'Bearer reader'), 200);
    assert.equal(await get(`${server.url}/pets/7`, 'Bearer reader'), 200);
    assert.equal(await get(`${server.url}/pets`, 'Bearer reader', 'POST'), 403);
    assert.equal(await get(`${server.url}/pets`, 'Bearer admin', 'POST'), 200);
    assert.equal(
      await get(`${server.url}/pets`, 'Bearer stranger'),
      401,
      'callback("Unauthorized") is a 401',
    );
    assert.ok(lines.some((l) => l.event === 'request' && l.principal === 'user|reader'));
  } finally {
    await server.close();
  }
});

test('a CommonJS exports.default handler loads as index.default and #default (nodejs22.x), not on nodejs24.x, which imports it', async () => {
  for (const handler of [
    fixture('default-export', 'index.default'),
    `${fixture('default-export', 'index.js')}#default`,
  ]) {
    const { server } = await start(`handler: ${handler}`, 0);
    try {
      assert.equal(await get(`${server.url}/pets`, 'Bearer let-me-in'), 200, handler);
      assert.equal(await get(`${server.url}/pets`, 'Bearer no'), 401, handler);
    } finally {
      await server.close();
    }
  }
  await assert.rejects(
    start(`handler: ${fixture('default-export', 'index.default')}\nruntime: nodejs24.x`, 0),
    /Runtime\.HandlerNotFound: .*index\.default is not a function/,
  );
  await assert.rejects(
    start(`handler: ${fixture('default-export', 'index.missing')}`, 0),
    /Runtime\.HandlerNotFound: .*index\.missing is undefined or not exported/,
  );
});

test('serve.functions checks runtime and memorySize with the position of the mistake', async () => {
  await assert.rejects(
    start(`handler: ${fixture('default-export', 'index.default')}\nruntime: nodejs18.x`),
    /serve\.functions\.auth\.runtime.*must be one of nodejs20\.x, nodejs22\.x, nodejs24\.x/,
  );
  await assert.rejects(
    start(`handler: ${fixture('default-export', 'index.default')}\nmemorySize: 64`),
    /memorySize.*from 128 to 10240/,
  );
});

test('issue 10, item 9: a function past its memorySize fails as Lambda (Runtime.OutOfMemory): authorizer 500, proxy 502, a fresh sandbox, the gateway stays small', async () => {
  writeFileSync(
    join(dir, 'hog.mjs'),
    `const hoard = [];
export const handler = async (event) => {
  if (String(event.authorizationToken ?? event.path).includes('hog')) for (;;) hoard.push(new Array(1e5).fill(Math.random()));
  if (event.authorizationToken) return { principalId: 'p', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] } };
  return { statusCode: 200, body: 'fine' };
};
`,
  );
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const { server, lines } = await start(
    `handler: ${join(dir, 'hog.mjs')}#handler\nmemorySize: 128`,
    0,
  );
  try {
    const hogged = await fetch(`${server.url}/pets`, { headers: { authorization: 'hog' } });
    assert.equal(
      hogged.status,
      500,
      'an authorizer out of memory is an AuthorizerConfigurationException',
    );
    assert.equal(hogged.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');
    const crash = lines.find((l) => l.event === 'function_crashed' && l.function === 'auth');
    assert.match(String(crash?.message), /^Runtime\.OutOfMemory: .*memorySize \(128 MB\)/);
    assert.equal(
      await get(`${server.url}/pets`, 'fine'),
      200,
      'the next request gets a fresh sandbox',
    );
  } finally {
    await server.close();
  }
  const proxied = await start(
    `handler: ${fixture('default-export', 'index.default')}`,
    0,
    './hog.mjs#handler',
  );
  try {
    const hogged = await fetch(`${proxied.server.url}/pets/hog`, {
      headers: { authorization: 'let-me-in' },
    });
    assert.equal(hogged.status, 502, 'a proxy integration out of memory is a 502');
    assert.deepEqual(await hogged.json(), { message: 'Internal server error' });
    assert.equal(await get(`${proxied.server.url}/pets/1`, 'let-me-in'), 200);
    assert.ok(
      peak - before < 400 * 1024 * 1024,
      `the process grew ${Math.round((peak - before) / 1048576)} MB, bounded by the function's 128 MB heap`,
    );
  } finally {
    clearInterval(sampler);
    await proxied.server.close();
  }
});

test('tollgate invoke --handler runs Lambda-form handlers with the declared --runtime', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), 'invoke', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(dir, '.tollgate') },
    });
  const allowed = run(
    '--handler',
    fixture('default-export', 'index.default'),
    '--token',
    'let-me-in',
  );
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.equal((JSON.parse(allowed.stdout) as { principalId: string }).principalId, 'me');
  const refused = run(
    '--handler',
    fixture('blueprint-style', 'index.handler'),
    '--token',
    'stranger',
    '--runtime',
    'nodejs20.x',
  );
  assert.equal(refused.stdout.trim(), 'Unauthorized', 'callback("Unauthorized")');
  assert.equal(refused.status, 4);
  assert.match(refused.stderr, /nodejs20\.x: the handler takes a callback/);
  const on24 = run(
    '--handler',
    fixture('blueprint-style', 'index.handler'),
    '--token',
    'reader',
    '--runtime',
    'nodejs24.x',
  );
  assert.equal(on24.status, 2);
  assert.match(
    on24.stderr,
    /Runtime\.CallbackHandlerDeprecated: ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node\.js 24/,
  );
  const bad = run(
    '--handler',
    fixture('default-export', 'index.default'),
    '--token',
    'x',
    '--runtime',
    'nodejs18.x',
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--runtime must be one of nodejs20\.x, nodejs22\.x, nodejs24\.x/);
});
