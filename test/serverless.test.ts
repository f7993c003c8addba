// tollgate serve --template serverless.yml: Serverless Framework services written for these tests
// (test/fixtures/serverless), compiled as the framework compiles them and served over real HTTP on
// 127.0.0.1. The Python one has the first seed's shape (aws-python-auth0-custom-authorizers-api):
// a PyJWT authorizer verifying RS256 tokens against a certificate made here from a key made here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { serve, type RunningServer } from '../src/cli/serve-command.js';
import { mintDevToken } from '../src/cli/token-command.js';
import { UsageError } from '../src/core/errors.js';
import { TemplateError } from '../src/template/errors.js';
import { loadTemplate } from '../src/template/load-template.js';
import { repoPath } from './support/paths.js';
import { certificateFor, pythonWithJwt } from './support/python.js';
import { generateKey, sign } from './support/keys.js';
import { startOidcProvider } from './support/jwks-server.js';

const FIXTURES = repoPath('test', 'fixtures', 'serverless');
const AUDIENCE = 'tollgate-sls-client';
const SAVED = ['TOLLGATE_HOME', 'TOLLGATE_PYTHON', 'ISSUER_URL'].map(
  (k) => [k, process.env[k]] as const,
);

let dir: string;
const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-serverless-'));
  process.env.TOLLGATE_HOME = join(dir, '.tollgate');
  process.env.TOLLGATE_PYTHON = pythonWithJwt();
});
after(() => {
  for (const [k, v] of SAVED)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(dir, { recursive: true, force: true });
});

/** The Python service in a folder of its own, with the secrets.json and public_key its variables read. */
function pythonService(name: string): string {
  const folder = join(dir, name);
  cpSync(join(FIXTURES, 'python'), folder, { recursive: true });
  writeFileSync(join(folder, 'secrets.json'), JSON.stringify({ TOKEN_AUDIENCE: AUDIENCE }));
  writeFileSync(join(folder, 'public_key'), certificateFor(signing.privateKey));
  return join(folder, 'serverless.yml');
}

async function start(
  options: Record<string, unknown>,
): Promise<{ running: RunningServer; lines: string[]; log: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const log: Record<string, unknown>[] = [];
  const running = await serve(
    { port: '0', ...options },
    (line) => lines.push(line),
    (entry) => log.push(entry),
  );
  return { running, lines, log };
}

const token = (claims: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT({ aud: AUDIENCE, sub: 'auth0|reader', ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(signing.privateKey);

test('the seed-shaped Python service: public 200, private 401 with CORS headers, a valid token 200, the seed\'s {"statusCode": 401} answer 500 explained, preflight 200, both URL forms', async () => {
  const { running, lines, log } = await start({ template: pythonService('seed') });
  try {
    const url = running.url;
    const post = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}${path}`, { method: 'POST', headers });

    for (const path of ['/dev/api/public', '/api/public']) {
      const open = await post(path);
      assert.equal(open.status, 200, path);
      assert.equal(open.headers.get('access-control-allow-origin'), '*');
      const body = (await open.json()) as { message: string };
      assert.equal(body.message, 'Hello from the public endpoint');
    }

    for (const path of ['/dev/api/private', '/api/private']) {
      const none = await post(path);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers.get('access-control-allow-origin'), '*');
      assert.equal(none.headers.get('access-control-allow-headers'), '*');
      assert.deepEqual(await none.json(), { message: 'Unauthorized' });

      const good = await post(path, { authorization: `Bearer ${await token()}` });
      assert.equal(good.status, 200, path);
      assert.deepEqual(await good.json(), {
        message: 'Only signed-in callers see this',
        principal: 'auth0|reader',
      });
    }

    // A token for another audience: the seed's authorizer answers an HTTP-shaped 401 dict.
    const wrong = await post('/dev/api/private', {
      authorization: `Bearer ${await token({ aud: 'someone-else' })}`,
    });
    assert.equal(wrong.status, 500, 'API Gateway cannot read {"statusCode": 401}: 500');
    assert.equal(wrong.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');
    assert.equal(
      wrong.headers.get('access-control-allow-origin'),
      null,
      'no gateway response of the service covers a 500',
    );
    const why = log.find((l) => l.event === 'authorizer_answer_invalid');
    assert.ok(why, 'the explanation is logged');
    assert.match(String(why.explanation), /^500, not 401: .*returned an HTTP response/);
    assert.match(String(why.explanation), /raise Exception\('Unauthorized'\)/);
    assert.ok(
      log.some(
        (l) => l.event === 'function_output' && /token refused: .*[Aa]udience/.test(String(l.line)),
      ),
    );

    for (const path of ['/dev/api/private', '/api/public']) {
      const preflight = await fetch(`${url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:8000', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.status, 200, path);
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
      assert.equal(preflight.headers.get('access-control-allow-methods'), 'OPTIONS,POST');
      assert.match(
        String(preflight.headers.get('access-control-allow-headers')),
        /^Content-Type,X-Amz-Date,Authorization,X-Api-Key,/,
      );
    }

    // What the local gateway does not run is named, with its place in serverless.yml.
    const text = lines.join('\n');
    assert.match(text, /serverless\.yml:\d+:\d+: functions\.auth\.cors is not a function setting/);
    assert.match(text, /serverless\.yml:\d+:\d+: package is not applied/);
    assert.match(text, /EXPIRED_TOKEN never applies locally/);
    assert.match(text, /the Serverless Framework deploys/);
  } finally {
    await running.close();
  }
});

test("--stage names the stage: the URL prefix, ${sls:stage} and the functions' names follow it", async () => {
  const { running, lines } = await start({ template: pythonService('staged'), stage: 'prod' });
  try {
    assert.equal((await fetch(`${running.url}/prod/api/public`, { method: 'POST' })).status, 200);
    const other = await fetch(`${running.url}/dev/api/public`, { method: 'POST' });
    assert.notEqual(other.status, 200, 'dev is not the stage now');
    assert.ok(lines.some((l) => l.includes('tollgate-custom-authorizer-prod-auth')));
  } finally {
    await running.close();
  }
});

const LIMITS = `service: limits
provider:
  name: aws
  runtime: python3.12
  region: eu-west-1
functions:
  defaults:
    handler: fns.info
    events:
      - http: GET defaults
  sized:
    handler: fns.info
    memorySize: 256
    timeout: 2
    events:
      - http: GET sized
  slow:
    handler: fns.slow
    timeout: 1
    events:
      - http: GET slow
  slowAuth:
    handler: fns.slow
    timeout: 1
  guarded:
    handler: fns.info
    events:
      - http: { path: guarded, method: get, authorizer: { name: slowAuth, resultTtlInSeconds: 0 } }
  legacy:
    handler: fns.info
    runtime: python3.6
    events:
      - http: GET legacy
  legacyAuth:
    handler: fns.info
    runtime: python3.6
  legacyGuarded:
    handler: fns.info
    events:
      - http: { path: legacy-guarded, method: get, authorizer: legacyAuth }
`;
const LIMITS_PY = `import json, time
def info(event, context):
    body = {"remaining": context.get_remaining_time_in_millis(), "memory": context.memory_limit_in_mb}
    return {"statusCode": 200, "body": json.dumps(body)}
def slow(event, context):
    time.sleep(5)
    return {"statusCode": 200, "body": "late"}
`;

test("timeout and memorySize as deployed (the framework's 6 s and 1024 MB when unset): past its timeout a route answers 502 and an authorizer 500; a runtime not run locally answers 502 (500 as an authorizer) naming the function", async () => {
  const file = project('limits', { 'serverless.yml': LIMITS, 'fns.py': LIMITS_PY });
  const { running, lines, log } = await start({ template: file });
  try {
    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${running.url}/dev/${path}`, { headers });
    const info = async (path: string): Promise<{ remaining: number; memory: string }> => {
      const response = await get(path);
      assert.equal(response.status, 200, path);
      return (await response.json()) as { remaining: number; memory: string };
    };
    const defaults = await info('defaults');
    assert.equal(defaults.memory, '1024');
    assert.ok(defaults.remaining <= 6000 && defaults.remaining > 5000, String(defaults.remaining));
    const sized = await info('sized');
    assert.equal(sized.memory, '256');
    assert.ok(sized.remaining <= 2000 && sized.remaining > 1000, String(sized.remaining));

    const started = Date.now();
    const slow = await get('slow');
    assert.equal(slow.status, 502, "Lambda's 'Task timed out' is a failed invocation: 502");
    assert.deepEqual(await slow.json(), { message: 'Internal server error' });
    assert.ok(Date.now() - started < 4500, 'answered at its 1 s timeout, not after the sleep');
    assert.ok(log.some((l) => l.event === 'function_timeout' && l.function === 'limits-dev-slow'));
    const guarded = await get('guarded', { authorization: 'Bearer anything' });
    assert.equal(guarded.status, 500, 'an authorizer past its timeout: 500');
    assert.equal(guarded.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');

    const legacy = await get('legacy');
    assert.equal(legacy.status, 502);
    const why = log.find((l) => l.event === 'function_not_run');
    assert.equal(why?.function, 'limits-dev-legacy');
    assert.match(
      String(why?.message),
      /^function limits-dev-legacy: runtime python3\.6 is not run locally \(python3\.9, .*python3\.14 are\): set runtime python3\.12 to run it here$/,
    );
    const legacyGuarded = await get('legacy-guarded', { authorization: 'Bearer anything' });
    assert.equal(legacyGuarded.status, 500, "the authorizer's code is not run: no stand-in allows");
    assert.ok(
      log.some((l) => l.event === 'function_not_run' && l.function === 'limits-dev-legacyAuth'),
    );
    const text = lines.join('\n');
    assert.match(
      text,
      /warning: function limits-dev-legacy: runtime python3\.6 is not run locally .*: its routes answer 502 \(500 as an authorizer\)/,
    );
    assert.match(
      text,
      /serverless\.yml:5:11: provider\.region eu-west-1: locally the ARNs, AWS_REGION and \$\{aws:region\} say us-east-1/,
    );
  } finally {
    await running.close();
  }
});

/** A service folder with the given serverless.yml (and files). */
function project(name: string, files: Record<string, string>): string {
  const folder = join(dir, name);
  cpSync(join(FIXTURES, 'node'), folder, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(folder, file), text);
  return join(folder, 'serverless.yml');
}

const MINIMAL = (provider: string, extra = ''): string => `service: vars
provider:
  name: aws
  runtime: nodejs22.x
${provider}
functions:
  orders:
    handler: handler.orders
    events:
      - http: GET orders
${extra}`;

test('variables: env with fallbacks, file keys and whole files, self, opt:stage, nested variables; CloudFormation ${AWS::Region} left alone', () => {
  const file = project('vars', {
    'serverless.yml': MINIMAL(
      `  stage: \${opt:stage, 'qa'}
  environment:
    FROM_ENV: \${env:SLS_TEST_SET}
    FALLBACK: \${env:SLS_TEST_UNSET, 'fallback value'}
    FROM_FILE: \${file(./config.\${self:provider.stage}.json):db.host}
    WHOLE: \${file(./note.txt)}
    MIXED: \${self:service}-\${sls:stage}-\${self:custom.port}
    ANOTHER: \${env:SLS_TEST_UNSET, self:custom.port}
    SUB: arn:\${AWS::Region}:x`,
      'custom:\n  port: 8080\n',
    ),
    'config.qa.json': '{ "db": { "host": "db.qa.internal" } }',
    'note.txt': 'a note',
  });
  const loaded = loadTemplate(file, { env: { SLS_TEST_SET: 'set here' } });
  const env = loaded.functions.get('vars-qa-orders')!.environment;
  assert.deepEqual(env, {
    FROM_ENV: 'set here',
    FALLBACK: 'fallback value',
    FROM_FILE: 'db.qa.internal',
    WHOLE: 'a note',
    MIXED: 'vars-qa-8080',
    ANOTHER: '8080',
    SUB: 'arn:${AWS::Region}:x',
  });
  assert.equal(loaded.api!.stageName, 'qa');
  const staged = loadTemplate(file, { stage: 'qa', env: { SLS_TEST_SET: 'x' } });
  assert.equal(staged.api!.stageName, 'qa');
});

test('a bad variable is one line naming the file, the line and the key; a remote source needs a fallback', () => {
  const cases: [string, RegExp][] = [
    [
      '  environment:\n    SECRET: ${env:SLS_NOT_SET_ANYWHERE}',
      /^.*serverless\.yml:6:13: provider\.environment\.SECRET \$\{env:SLS_NOT_SET_ANYWHERE\} has no value \(SLS_NOT_SET_ANYWHERE is not set; give a fallback/,
    ],
    [
      '  environment:\n    KEY: ${file(./missing.json):key}',
      /serverless\.yml:6:10: provider\.environment\.KEY \$\{file\(\.\/missing\.json\):key\} has no value \(the file cannot be read/,
    ],
    [
      '  environment:\n    KEY: ${ssm:/orders/key}',
      /provider\.environment\.KEY \$\{ssm:\/orders\/key\} is read from AWS when deployed and is not fetched locally: give its local value as a fallback, from the environment \(\$\{ssm:\/orders\/key, env:NAME\}\) or written out/,
    ],
    [
      '  environment:\n    KEY: ${cf:orders-stack.TableName}',
      /provider\.environment\.KEY \$\{cf:orders-stack\.TableName\} is read from AWS when deployed and is not fetched locally/,
    ],
    [
      '  environment:\n    KEY: ${param:tableName}',
      /provider\.environment\.KEY \$\{param:tableName\} has no value \(give --param tableName=VALUE, or set it under stages\.STAGE\.params, stages\.default\.params, params\.STAGE or params\.default in serverless\.yml/,
    ],
    ['  stage: ${self:provider.stage}', /provider\.stage refers to itself/],
    [
      '  timeout: 1000',
      /serverless\.yml:5:12: provider\.timeout must be a whole number from 1 to 900, got 1000$/,
    ],
    [
      '  environment:\n    KEY: ${file(./vars.js):key}',
      /JavaScript variable files are not run locally/,
    ],
  ];
  cases.forEach(([provider, expected], i) => {
    const file = project(`bad-${i}`, { 'serverless.yml': MINIMAL(provider) });
    assert.throws(
      () => loadTemplate(file, { env: {} }),
      (e: unknown) =>
        e instanceof TemplateError && expected.test(e.message) && !e.message.includes('\n'),
      provider,
    );
  });
  const badTimeout = project('bad-timeout', {
    'serverless.yml': MINIMAL('').replace('handler.orders', 'handler.orders\n    memorySize: lots'),
  });
  assert.throws(
    () => loadTemplate(badTimeout, { env: {} }),
    /serverless\.yml:9:17: functions\.orders\.memorySize must be a whole number from 128 to 10240, got "lots"$/,
  );
  // With a fallback, a remote source is a warning and the fallback is used.
  const file = project('remote', {
    'serverless.yml': MINIMAL("  environment:\n    KEY: ${ssm:/orders/key, 'local-key'}"),
  });
  const loaded = loadTemplate(file, { env: {} });
  assert.equal(loaded.functions.get('vars-dev-orders')!.environment.KEY, 'local-key');
  // A fallback from the environment; ${param:} from the service's own params, stage first.
  const fromEnv = project('remote-env', {
    'serverless.yml': MINIMAL(
      '  environment:\n    KEY: ${ssm:/orders/key, env:SLS_ORDERS_KEY}\n    TABLE: ${param:table}\n    REGION: ${param:region}',
      'params:\n  default:\n    table: orders-default\n    region: eu-west-1\n  qa:\n    table: orders-qa\n',
    ),
  });
  const qa = loadTemplate(fromEnv, { stage: 'qa', env: { SLS_ORDERS_KEY: 'from-env' } });
  assert.deepEqual(qa.functions.get('vars-qa-orders')!.environment, {
    KEY: 'from-env',
    TABLE: 'orders-qa',
    REGION: 'eu-west-1',
  });
  // --param, as the framework's CLI: before the stage's params and the default.
  const cli = loadTemplate(fromEnv, {
    stage: 'qa',
    params: { table: 'orders-cli' },
    env: { SLS_ORDERS_KEY: 'k' },
  });
  assert.equal(cli.functions.get('vars-qa-orders')!.environment.TABLE, 'orders-cli');
  assert.equal(cli.functions.get('vars-qa-orders')!.environment.REGION, 'eu-west-1');
  // Serverless v4's stages.STAGE.params, then stages.default.params, before the older params;
  // a stage's other settings are named as not read.
  const v4 = project('stages-v4', {
    'serverless.yml': MINIMAL(
      '  environment:\n    TABLE: ${param:table}\n    REGION: ${param:region}\n    TIER: ${param:tier}',
      'stages:\n  default:\n    params:\n      region: eu-west-2\n  qa:\n    observability: true\n    params:\n      table: orders-qa-v4\n' +
        'params:\n  default:\n    region: eu-west-1\n    tier: basic\n  qa:\n    table: orders-qa\n',
    ),
  });
  const v4qa = loadTemplate(v4, { stage: 'qa', env: {} });
  assert.deepEqual(v4qa.functions.get('vars-qa-orders')!.environment, {
    TABLE: 'orders-qa-v4',
    REGION: 'eu-west-2',
    TIER: 'basic',
  });
  assert.ok(
    v4qa.warningLines.some((l) =>
      /stages\.qa\.observability is not read by the local gateway/.test(l),
    ),
    v4qa.warningLines.join('\n'),
  );
  assert.ok(!v4qa.warningLines.some((l) => /stages(\.qa)?\.params|\bstages is not read/.test(l)));
  // Misshapen v4 stages are named, not skipped in silence.
  const misshapen = project('stages-v4-misshapen', {
    'serverless.yml': MINIMAL(
      '  environment:\n    TIER: ${param:tier}',
      'stages:\n  prod: true\n  qa:\n    params: [orders]\nparams:\n  default:\n    tier: basic\n',
    ),
  });
  const odd = loadTemplate(misshapen, { stage: 'qa', env: {} }).warningLines.join('\n');
  assert.match(odd, /stages\.prod must be a map of settings \(params, \.\.\.\): not read/);
  assert.match(odd, /stages\.qa\.params must map parameter names to values: not read/);
  const v4dev = loadTemplate(v4, {
    stage: 'dev',
    params: { region: 'cli-region', table: 'cli-table' },
    env: {},
  });
  assert.deepEqual(v4dev.functions.get('vars-dev-orders')!.environment, {
    TABLE: 'cli-table',
    REGION: 'cli-region',
    TIER: 'basic',
  });
  assert.ok(
    loaded.warningLines.some((l) =>
      /\$\{ssm:\/orders\/key\} is read from AWS when deployed; locally its fallback is used/.test(
        l,
      ),
    ),
  );
});

test('what the local gateway does not run is a warning naming it: plugins, other events, unknown event keys, provider settings', () => {
  const file = project('unsupported', {
    'serverless.yml': `service: odd
plugins:
  - serverless-offline
provider:
  name: aws
  runtime: nodejs22.x
  iam:
    role:
      statements: []
  apiGateway:
    resourcePolicy: []
functions:
  orders:
    handler: handler.orders
    layers: [arn:aws:lambda:us-east-1:1:layer:x:1]
    events:
      - http:
          path: orders
          method: get
          request:
            schemas: {}
      - schedule: rate(1 minute)
`,
  });
  const lines = loadTemplate(file, { env: {} }).warningLines.join('\n');
  assert.match(lines, /:\d+:\d+: plugins \["serverless-offline"\]: plugins are not run/);
  assert.match(lines, /provider\.iam is not emulated/);
  assert.match(lines, /provider\.apiGateway\.resourcePolicy is not emulated/);
  assert.match(lines, /functions\.orders\.layers is not a function setting/);
  assert.match(lines, /functions\.orders\.events\[0\]\.http\.request is not emulated/);
  assert.match(lines, /functions\.orders\.events\[1\] schedule events are not emulated/);
  const noApi = project('no-events', {
    'serverless.yml': 'service: quiet\nprovider:\n  name: google\nfunctions: {}\n',
  });
  assert.throws(
    () => loadTemplate(noApi, { env: {} }),
    /provider\.name is google: only aws services are served/,
  );
});

test('the Node service, REST API: an API key of a usage plan with a throttle and a quota: 403 without it, 200 with it, 429 past the limits', async () => {
  const { running, lines } = await start({
    template: join(FIXTURES, 'node', 'serverless.yml'),
  });
  try {
    const get = (key?: string): Promise<Response> =>
      fetch(`${running.url}/dev/orders`, { headers: key ? { 'x-api-key': key } : {} });
    const none = await get();
    assert.equal(none.status, 403);
    assert.equal(none.headers.get('x-amzn-errortype'), 'ForbiddenException');
    assert.equal((await get('not-a-key-of-the-plan-000')).status, 403);
    const key = 'partner-key-0123456789abcdef';
    const ok = await get(key);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { service: string }).service, 'tollgate-orders');
    // Burst 2, 1 request/s, 5 a day: in a quick run of calls some are throttled (429), and past
    // five accepted the quota refuses every one.
    const answer = async (): Promise<string> => {
      const response = await get(key);
      const body = (await response.json()) as { message?: string };
      return response.status === 429 ? `429 ${body.message}` : String(response.status);
    };
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(await answer());
    assert.ok(answers.includes('429 Too Many Requests'), answers.join(','));
    // Once the throttle's bucket refills (1 a second), the quota still refuses: at most five
    // accepted in the day, then 429 Limit Exceeded.
    for (let i = 0; i < 8 && !answers.includes('429 Limit Exceeded'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      answers.push(await answer());
    }
    assert.ok(answers.includes('429 Limit Exceeded'), answers.join(','));
    assert.ok(answers.filter((a) => a === '200').length <= 4, `quota of 5: ${answers.join(',')}`);
    assert.ok(
      lines.some((l) =>
        /HttpApi is not served: one API per gateway \(--template-api HttpApi serves it\)/.test(l),
      ),
    );
  } finally {
    await running.close();
  }
});

test('the Node service, HTTP API (--template-api HttpApi): JWT authorizer 401/403/200 by token and scope, Lambda request authorizer 403/200, an open route', async () => {
  const key = generateKey('RS256');
  const idp = await startOidcProvider([key.jwk]);
  process.env.ISSUER_URL = idp.origin;
  const { running } = await start({
    template: join(FIXTURES, 'node', 'serverless.yml'),
    'template-api': 'HttpApi',
  });
  try {
    const url = running.url;
    const now = Math.floor(Date.now() / 1000);
    const jwt = (scope: string, aud = 'https://orders.example.com'): Promise<string> =>
      sign(key, { iss: idp.origin, aud, sub: 'buyer', scope, exp: now + 600 });
    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}${path}`, { headers });

    assert.equal((await get('/orders')).status, 401);
    const wrongAudience = await get('/orders', {
      authorization: `Bearer ${await jwt('orders/read', 'https://elsewhere')}`,
    });
    assert.equal(wrongAudience.status, 401);
    assert.equal(
      (await get('/orders', { authorization: `Bearer ${await jwt('orders/write')}` })).status,
      403,
    );
    const ok = await get('/orders', { authorization: `Bearer ${await jwt('orders/read')}` });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as {
      route: string;
      authorizer: { jwt: { claims: { sub: string } } };
    };
    assert.equal(body.route, 'GET /orders');
    assert.equal(body.authorizer.jwt.claims.sub, 'buyer');

    assert.equal((await get('/partner/orders', { 'x-partner': 'someone' })).status, 403);
    assert.equal(
      (await get('/partner/orders')).status,
      401,
      'no identity source: 401 before the function',
    );
    const partner = await get('/partner/orders', { 'x-partner': 'acme' });
    assert.equal(partner.status, 200);
    assert.deepEqual(((await partner.json()) as { authorizer: unknown }).authorizer, {
      lambda: { partner: 'acme' },
    });

    const open = await fetch(`${url}/orders`, { method: 'POST' });
    assert.equal(open.status, 200);
    const preflight = await fetch(`${url}/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
  } finally {
    await running.close();
    await idp.close();
  }
});

const AUTHORIZERS_JS = `let calls = 0;
const policy = (effect, context) => ({
  principalId: 'caller',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: '*' }],
  },
  context,
});
export const tokenAuth = async (event) =>
  policy(event.authorizationToken === 'Bearer good-token' ? 'Allow' : 'Deny', { calls: ++calls });
export const requestAuth = async (event) => {
  const header = Object.entries(event.headers).find(([k]) => k.toLowerCase() === 'x-partner');
  const tenant = event.queryStringParameters.tenant;
  return policy(header[1] === 'acme' ? 'Allow' : 'Deny', { calls: ++calls, tenant });
};
export const orders = async (event) => ({
  statusCode: 200,
  body: JSON.stringify(event.requestContext.authorizer),
});
`;

test('http authorizers over HTTP: by name with resultTtlInSeconds and identityValidationExpression (401 before the function, cached Allow, Deny 403), type request with two identity sources (401 when one is missing, cached per pair)', async () => {
  const file = project('rest-authorizers', {
    'auth.mjs': AUTHORIZERS_JS,
    'serverless.yml': `service: auths
provider:
  name: aws
  runtime: nodejs22.x
functions:
  tokenAuth:
    handler: auth.tokenAuth
  requestAuth:
    handler: auth.requestAuth
  orders:
    handler: auth.orders
    events:
      - http:
          path: orders
          method: get
          authorizer:
            name: tokenAuth
            resultTtlInSeconds: 60
            identityValidationExpression: ^Bearer [-0-9a-zA-Z._]+$
      - http:
          path: partner/{id}
          method: get
          authorizer:
            name: requestAuth
            type: request
            resultTtlInSeconds: 60
            identitySource: method.request.header.X-Partner, method.request.querystring.tenant
`,
  });
  const { running } = await start({ template: file });
  try {
    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${running.url}/dev/${path}`, { headers });
    const calls = async (response: Response): Promise<number> => {
      assert.equal(response.status, 200);
      // API Gateway gives the proxy the authorizer's context values as strings.
      return Number(((await response.json()) as { calls: string }).calls);
    };
    assert.equal((await get('orders')).status, 401, 'no token: 401, the authorizer not called');
    assert.equal((await get('orders', { authorization: 'Basic abc' })).status, 401);
    const bearer = { authorization: 'Bearer good-token' };
    assert.equal(await calls(await get('orders', bearer)), 1, 'the first call of the authorizer');
    assert.equal(await calls(await get('orders', bearer)), 1, 'the cached Allow (TTL 60)');
    const denied = await get('orders', { authorization: 'Bearer other-token' });
    assert.equal(denied.status, 403);

    // Each function has its own sandbox, and so its own count.
    const partner = { 'x-partner': 'acme' };
    assert.equal((await get('partner/1', partner)).status, 401, 'tenant missing: 401');
    assert.equal((await get('partner/1?tenant=t1')).status, 401, 'X-Partner missing: 401');
    assert.equal(await calls(await get('partner/1?tenant=t1', partner)), 1);
    assert.equal(await calls(await get('partner/2?tenant=t1', partner)), 1, 'same sources: cached');
    assert.equal(await calls(await get('partner/1?tenant=t2', partner)), 2, 'another tenant');
    assert.equal((await get('partner/1?tenant=t1', { 'x-partner': 'else' })).status, 403);
  } finally {
    await running.close();
  }
});

/** A service whose one route, GET /orders, is behind the given `authorizer:` setting. */
const ordersBehind = (authorizer: string): string => `service: orders
provider:
  name: aws
  runtime: nodejs22.x
functions:
  orders:
    handler: auth.orders
    events:
      - http:
          path: orders
          method: get
          ${authorizer}
`;

test("an http authorizer given by the ARN of a function outside the service: Tollgate's own authorizer stands in, named at start (a development provider token 200, none 401)", async () => {
  const file = project('arn-authorizer', {
    'auth.mjs': AUTHORIZERS_JS,
    'serverless.yml': ordersBehind(
      'authorizer: arn:aws:lambda:us-east-1:123456789012:function:platform-auth',
    ),
  });
  const { running, lines } = await start({ template: file });
  try {
    assert.match(
      lines.join('\n'),
      /serverless\.yml:\d+:\d+: functions\.orders\.events\[0\]\.http\.authorizer names arn:aws:lambda:us-east-1:123456789012:function:platform-auth, a function outside this service: .*Tollgate's own authorizer/,
    );
    const get = (headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${running.url}/dev/orders`, { headers });
    assert.equal((await get()).status, 401);
    const { token: dev } = await mintDevToken({
      iss: running.devProvider!.issuer,
      aud: [running.devProvider!.audience],
      sub: 'platform-user',
    });
    const ok = await get({ authorization: `Bearer ${dev}` });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { principalId: string }).principalId, 'platform-user');
  } finally {
    await running.close();
  }
});

test('an http authorizer given by a Cognito user pool ARN with scopes, the pool mapped to the development provider (--cognito POOL=dev): an access token with the scope 200, an ID token 401 (scopes need an access token), none 401', async () => {
  const file = project('cognito-authorizer', {
    'auth.mjs': AUTHORIZERS_JS,
    'serverless.yml': ordersBehind(
      'authorizer:\n            arn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_OrdersPool\n            scopes: [orders/read]',
    ),
  });
  const { running } = await start({ template: file, cognito: ['us-east-1_OrdersPool=dev'] });
  try {
    const iss = running.devProvider!.issuer;
    const get = (token?: string): Promise<Response> =>
      fetch(`${running.url}/dev/orders`, token ? { headers: { authorization: token } } : {});
    const access = (await mintDevToken({ cognito: 'access', iss, scope: 'orders/read' })).token;
    const ok = await get(access);
    assert.equal(ok.status, 200);
    const claims = ((await ok.json()) as { claims: Record<string, string> }).claims;
    assert.equal(claims.token_use, 'access');
    const other = (await mintDevToken({ cognito: 'access', iss, scope: 'orders/write' })).token;
    assert.equal((await get(other)).status, 401, 'without the scope');
    const id = (await mintDevToken({ cognito: 'id', iss, sub: 'alice' })).token;
    assert.equal((await get(id)).status, 401, 'a method with scopes takes access tokens only');
    assert.equal((await get()).status, 401);
  } finally {
    await running.close();
  }
});

test('serve --template with a serverless.yml that cannot be served is a usage error of one line', async () => {
  const file = project('usage', {
    'serverless.yml': MINIMAL('  environment:\n    A: ${env:SLS_NEVER_SET_X}'),
  });
  await assert.rejects(
    start({ template: file }),
    (e: unknown) =>
      e instanceof UsageError && /SLS_NEVER_SET_X/.test(e.message) && !e.message.includes('\n'),
  );
});

test("serve --param KEY=VALUE sets a serverless.yml's ${param:} over its params; a value without a key, or --param with a SAM template, is a usage error of one line", async () => {
  const file = project('cli-param', {
    'serverless.yml': MINIMAL(
      '  environment:\n    SERVICE_NAME: ${param:table}',
      'params:\n  default:\n    table: orders-default\n',
    ),
  });
  // As the framework reads it: the key up to the first =, trailing spaces cut.
  const { running } = await start({ template: file, param: ['table=orders-cli=v2 '] });
  try {
    const answer = await fetch(`${running.url}/dev/orders`);
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { service: string }).service, 'orders-cli=v2');
  } finally {
    await running.close();
  }
  // Own names only: an inherited member of an object is no parameter or key of the file.
  const inherited = project('cli-param-inherited', {
    'serverless.yml': MINIMAL(
      '  environment:\n    SERVICE_NAME: ${param:constructor}',
      'params:\n  default:\n    table: orders-default\n',
    ),
  });
  assert.throws(() => loadTemplate(inherited, { env: {} }), /\$\{param:constructor\} has no value/);
  const proto = project('cli-param-proto', {
    'serverless.yml': MINIMAL('  environment:\n    SERVICE_NAME: ${param:__proto__}'),
  });
  const { running: protoServer } = await start({ template: proto, param: ['__proto__=p'] });
  try {
    const answer = await fetch(`${protoServer.url}/dev/orders`);
    assert.equal(((await answer.json()) as { service: string }).service, 'p');
  } finally {
    await protoServer.close();
  }
  const oneLine = (pattern: RegExp) => (e: unknown) =>
    e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n');
  await assert.rejects(
    start({ template: file, param: ['=s3cr3t'] }),
    (e: unknown) =>
      oneLine(/--param must be KEY=VALUE/)(e) && !(e as Error).message.includes('s3cr3t'),
  );
  await assert.rejects(
    start({ template: file, param: ['table'] }),
    oneLine(/--param must be KEY=VALUE/),
  );
  await assert.rejects(
    start({ template: repoPath('test/fixtures/sam/rest-api.yaml'), param: ['a=b'] }),
    oneLine(/--param sets a serverless\.yml's \$\{param:\} variables; .*--parameter-overrides/),
  );
});

test('http authorizers as the framework compiles them: by name, by ARN (a Cognito pool), as a mapping with type, TTL, identity source, validation expression and scopes', () => {
  const file = project('authorizers', {
    'serverless.yml': `service: auths
provider:
  name: aws
  runtime: nodejs22.x
functions:
  partnerAuth:
    handler: handler.partnerAuth
  orders:
    handler: handler.orders
    events:
      - http:
          path: orders/{id}
          method: get
          authorizer:
            name: partnerAuth
            type: request
            resultTtlInSeconds: 0
            identitySource: method.request.header.X-Partner, method.request.querystring.tenant
      - http:
          path: orders
          method: post
          authorizer:
            name: partnerAuth
            resultTtlInSeconds: 60
            identityValidationExpression: ^Bearer [-0-9a-zA-Z._]+$
      - http:
          path: orders
          method: get
          authorizer:
            arn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool
            scopes: [orders/read]
      - http:
          path: orders
          method: delete
          authorizer: aws_iam
`,
  });
  const doc = loadTemplate(file, { env: {} }).api!.document as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    components: { securitySchemes: Record<string, Record<string, unknown>> };
  };
  const schemes = doc.components.securitySchemes;
  // One authorizer per name: the POST event's settings are the last written, as _.merge does.
  assert.deepEqual(schemes.PartnerAuthApiGatewayAuthorizer!['x-amazon-apigateway-authorizer'], {
    type: 'token',
    authorizerUri:
      'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auths-dev-partnerAuth/invocations',
    identitySource: 'method.request.header.Authorization',
    identityValidationExpression: '^Bearer [-0-9a-zA-Z._]+$',
    authorizerResultTtlInSeconds: 60,
  });
  // By ARN the name is what follows the ARN's last '-' ("1_Pool"), as the framework names it.
  assert.deepEqual(schemes['1PoolApiGatewayAuthorizer']!['x-amazon-apigateway-authorizer'], {
    type: 'cognito_user_pools',
    identitySource: 'method.request.header.Authorization',
    authorizerResultTtlInSeconds: 300,
    providerARNs: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool'],
  });
  assert.deepEqual(doc.paths['/orders']!.get!.security, [
    { '1PoolApiGatewayAuthorizer': ['orders/read'] },
  ]);
  assert.deepEqual(doc.paths['/orders']!.delete!.security, [{ sigv4: [] }]);
  assert.deepEqual(doc.paths['/orders/{id}']!.get!.security, [
    { PartnerAuthApiGatewayAuthorizer: [] },
  ]);
  // A name that is no function of the service stops the start at its place.
  const bad = project('bad-authorizer', {
    'serverless.yml': MINIMAL('').replace(
      '- http: GET orders',
      '- http: { path: x, method: get, authorizer: nobody }',
    ),
  });
  assert.throws(
    () => loadTemplate(bad, { env: {} }),
    /serverless\.yml:\d+:\d+: functions\.orders\.events\[0\]\.http\.authorizer names nobody, which is not a function of this service/,
  );
});
