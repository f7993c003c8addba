// tollgate serve --template: SAM templates written for these tests (test/fixtures/sam), served and
// called over real HTTP; each also passes AWS's SAM transform and cfn-lint, and the document
// Tollgate builds from it is the Body SAM's translator deploys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../src/core/errors.js';
import { parseCloudFormation } from '../src/template/cfn-yaml.js';
import { loadTemplate } from '../src/template/load-template.js';
import { readCloudFormation } from '../src/template/read-template.js';
import { createStack } from '../src/template/stack.js';
import { serveTemplate } from './support/serve-template.js';
import { cfnLint, samTransformText } from './support/aws-tools.js';
import { repoPath } from './support/paths.js';
import { generateKey, sign } from './support/keys.js';
import { startOidcProvider } from './support/jwks-server.js';
import { fileIn, useTempHome } from './support/temp-home.js';

const SAM_DIR = repoPath('test/fixtures/sam');
const REST = join(SAM_DIR, 'rest-api.yaml');

let dir: string;
useTempHome('tollgate-template-', (path) => (dir = path));

const file = fileIn(() => dir);

/** As `sam package` leaves a template: local code and definition files become S3 locations. */
const packagedText = (text: string): string =>
  text.replace(/(CodeUri|DefinitionUri): \S+/g, '$1: s3://b/k');

const templates = (): string[] =>
  readdirSync(SAM_DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => join(SAM_DIR, f));

test("every test template passes AWS's SAM transform and cfn-lint", () => {
  assert.ok(templates().length >= 1);
  for (const path of templates()) {
    const packaged = packagedText(readFileSync(path, 'utf8'));
    const out = samTransformText(packaged);
    assert.ok(out.ok, `${path}: ${JSON.stringify(out)}`);
    assert.equal(cfnLint(path), '', path);
  }
});

const API_TYPES = new Set(['AWS::ApiGateway::RestApi', 'AWS::ApiGatewayV2::Api']);

test("for every test template, the document Tollgate serves is the Body SAM's translator writes, intrinsics resolved alike", () => {
  for (const path of templates()) {
    const text = readFileSync(path, 'utf8');
    if (!text.includes('AWS::Serverless-2016-10-31')) continue;
    const out = samTransformText(packagedText(text));
    assert.ok(out.ok, JSON.stringify(out));
    const stack = createStack(out.template as unknown as Record<string, unknown>);
    const apis = Object.entries(out.template.Resources).filter(([, r]) => API_TYPES.has(r.Type));
    assert.ok(apis.length > 0, path);
    for (const [id, api] of apis) {
      // CloudFormation, not SAM, reads an AWS::Include or a DefinitionUri: no Body to compare.
      const body = api.Properties!.Body;
      if (!body || JSON.stringify(body).includes('Fn::Transform')) continue;
      const app = readCloudFormation(parseCloudFormation(text, path).value, {
        baseDir: SAM_DIR,
        api: id,
        readDocument: (location) =>
          parseCloudFormation(readFileSync(join(SAM_DIR, location), 'utf8'), location).value,
      });
      assert.equal(app.api!.logicalId, id, path);
      assert.deepEqual(app.api!.document, stack.resolve(body, ['Body']), `${path}: ${id}`);
    }
  }
  // The comparison can fail: a different authorizer cache TTL is a different document.
  const text = readFileSync(REST, 'utf8');
  const other = readCloudFormation(parseCloudFormation(text, REST).value, {
    baseDir: SAM_DIR,
    parameterOverrides: { CacheSeconds: '5' },
    readDocument: () => assert.fail('no includes here'),
  });
  const original = readCloudFormation(parseCloudFormation(text, REST).value, {
    baseDir: SAM_DIR,
    readDocument: () => assert.fail('no includes here'),
  });
  assert.notDeepEqual(other.api!.document, original.api!.document);
});

test('a REST API from a SAM template: TOKEN default authorizer, REQUEST authorizer, NONE, gateway responses, Globals and parameters', async () => {
  const { running, lines } = await serveTemplate(REST, {
    'parameter-overrides': ['Greeting=bonjour Mode=relaxed'],
  });
  try {
    const url = running.url;
    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}${path}`, { headers });

    const none = await get('/pets');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.equal(none.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.deepEqual(await none.json(), { error: 'unauthorized', detail: 'Unauthorized' });

    // The validation expression refuses before the authorizer runs.
    assert.equal((await get('/pets', { authorization: 'Bearer Allow' })).status, 401);

    const ok = await get('/pets', { authorization: 'Bearer allow' });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as Record<string, Record<string, unknown>>;
    assert.equal(body.stage as unknown, 'test');
    assert.deepEqual(body.stageVariables, { tier: 'gold' });
    assert.deepEqual(body.env, {
      GREETING: 'bonjour',
      STAGE_LABEL: 'local-test',
      OWN: 'pets',
      MODE: 'relaxed-mode',
    });
    assert.equal(body.authorizer!.principalId, 'user-allow');
    assert.equal(body.authorizer!.kind, 'TOKEN');
    // ReauthorizeEvery: 60 → the second call is answered from the cache (same `calls`).
    const again = (await (
      await get('/pets', { authorization: 'Bearer allow' })
    ).json()) as typeof body;
    assert.equal(again.authorizer!.calls, body.authorizer!.calls);

    const denied = await get('/pets', { authorization: 'Bearer deny' });
    assert.equal(denied.status, 403);
    assert.deepEqual(await denied.json(), { error: 'denied' });

    // POST /pets: the REQUEST authorizer, with X-Key and ?team as identity sources, no cache.
    const post = (path: string, headers: Record<string, string>): Promise<Response> =>
      fetch(`${url}${path}`, { method: 'POST', headers });
    assert.equal((await post('/pets', { 'x-key': 'allow' })).status, 401, 'no ?team');
    const request = await post('/pets?team=a', { 'x-key': 'allow' });
    assert.equal(request.status, 200);
    const r1 = (await request.json()) as typeof body;
    assert.equal(r1.authorizer!.kind, 'REQUEST');
    const r2 = (await (await post('/pets?team=a', { 'x-key': 'allow' })).json()) as typeof body;
    assert.equal(Number(r2.authorizer!.calls), Number(r1.authorizer!.calls) + 1, 'TTL 0: no cache');
    assert.equal((await post('/pets?team=a', { 'x-key': 'deny' })).status, 403);

    // Auth.Authorizer: NONE
    assert.equal((await get('/health')).status, 200);
    // The stage may lead the path, as in invoke URLs.
    assert.equal((await get('/test/health')).status, 200);

    // CORS preflight: SAM's OPTIONS mock, without the default authorizer (AddDefaultAuthorizerToCorsPreflight: false).
    const preflight = await fetch(`${url}/pets`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET,OPTIONS,POST');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
    assert.ok(
      lines.some((l) => /local API key PetsApiApiKey = \S{20,}/.test(l)),
      lines.join('\n'),
    );
  } finally {
    await running.close();
  }
});

test("a SAM usage plan: 403 without the API key, then the throttle's 429 with AWS's body", async () => {
  const { running, lines } = await serveTemplate(REST);
  try {
    const key = /local API key PetsApiApiKey = (\S+)/.exec(lines.join('\n'))![1]!;
    const metered = (headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${running.url}/metered`, { headers });
    const missing = await metered();
    assert.equal(missing.status, 403);
    assert.deepEqual(await missing.json(), { message: 'Forbidden' });
    // Burst 2 at 1 request per second: two pass, the third at once is throttled.
    assert.equal((await metered({ 'x-api-key': key })).status, 200);
    assert.equal((await metered({ 'x-api-key': key })).status, 200);
    const throttled = await metered({ 'x-api-key': key });
    assert.equal(throttled.status, 429);
    assert.deepEqual(await throttled.json(), { message: 'Too Many Requests' });
  } finally {
    await running.close();
  }
});

test('template errors: a syntax error with line and column; an unresolvable Ref naming resource and property; an unknown parameter', () => {
  const broken = file('broken.yaml', 'Resources:\n  A:\n    Type: x\n    Type: y\n');
  assert.throws(
    () => loadTemplate(broken),
    /broken\.yaml:4:5: is not valid YAML or JSON: Map keys must be unique/,
  );
  const badTag = file('tag.yaml', 'Resources:\n  A:\n    Type: !Reff X\n');
  assert.throws(
    () => loadTemplate(badTag),
    /tag\.yaml:3:17: !Reff is not a CloudFormation intrinsic/,
  );

  const text = readFileSync(REST, 'utf8').replace(
    'GREETING: !Ref Greeting',
    'GREETING: !Ref Nowhere',
  );
  const bad = file('unresolved.yaml', text);
  // Globals are merged into each function: the message names the function's property.
  assert.throws(
    () => loadTemplate(bad.replace('unresolved', 'unresolved'), {}),
    (e: Error) =>
      /unresolved\.yaml:\d+:\d+: .*Environment\.Variables\.GREETING\.Ref Ref Nowhere: there is no parameter or resource of that name/.test(
        e.message,
      ),
  );
  assert.throws(
    () => loadTemplate(REST, { parameterOverrides: { Nope: '1' } }),
    /--parameter-overrides names Nope, which the template does not declare/,
  );
  assert.throws(
    () => loadTemplate(REST, { parameterOverrides: { Mode: 'loose' } }),
    /Parameters\.Mode\.AllowedValues does not allow "loose"/,
  );
});

test("Auth.DefaultAuthorizer as SAM's transform takes it: a name or a parameter; Fn::If is refused at its line, as sam deploy refuses it", () => {
  const rest = readFileSync(REST, 'utf8');
  const viaIf = file(
    'default-if.yaml',
    rest.replace(
      'DefaultAuthorizer: TokenAuthorizer',
      'DefaultAuthorizer: !If [Strict, TokenAuthorizer, NONE]',
    ),
  );
  assert.throws(
    () => loadTemplate(viaIf, {}),
    /default-if\.yaml:\d+:\d+: .*Auth\.DefaultAuthorizer must be an authorizer's name, or a Ref to a parameter: .*Fn::If/,
  );
  const viaRef = file(
    'default-ref.yaml',
    rest
      .replace('DefaultAuthorizer: TokenAuthorizer', 'DefaultAuthorizer: !Ref AuthName')
      .replace(
        'Parameters:\n',
        'Parameters:\n  AuthName:\n    Type: String\n    Default: TokenAuthorizer\n',
      ),
  );
  const served = loadTemplate(viaRef, {}).api!.document;
  assert.deepEqual(served, loadTemplate(REST, {}).api!.document);
  // AWS's own transform agrees on both (it also wants s3:// CodeUris, which sam package writes).
  const complaints = (path: string) => {
    const out = samTransformText(readFileSync(path, 'utf8'));
    return out.ok ? '' : out.errors.filter((e) => /DefaultAuthorizer/.test(e)).join();
  };
  assert.match(complaints(viaIf), /DefaultAuthorizer is not a string/);
  assert.equal(complaints(viaRef), '');
});

test('serve --template refuses a template without an API, and --api with --template, in one line', async () => {
  const noApi = file(
    'no-api.yaml',
    `AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n`,
  );
  await assert.rejects(
    serveTemplate(noApi),
    (e: Error) => e instanceof UsageError && /has no API to serve/.test(e.message),
  );
  await assert.rejects(
    serveTemplate(REST, { api: 'x.yaml' }),
    (e: Error) => e instanceof UsageError && /--template and --api/.test(e.message),
  );
});

test('an HTTP API from a SAM template: JWT default authorizer with a route scope, a simple-response Lambda authorizer, NONE, CORS', async () => {
  const key = generateKey('RS256');
  const idp = await startOidcProvider([key.jwk]);
  const audience = 'https://api.example.com';
  const { running } = await serveTemplate(join(SAM_DIR, 'http-api.yaml'), {
    'parameter-overrides': [`IssuerUrl=${idp.origin}`],
  });
  try {
    const url = running.url;
    const now = Math.floor(Date.now() / 1000);
    const token = (scope: string): Promise<string> =>
      sign(key, { iss: idp.origin, aud: audience, sub: 'u1', scope, exp: now + 600 });
    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}${path}`, { headers });

    const missing = await get('/pets');
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { message: 'Unauthorized' });
    const ok = await get('/pets', { authorization: `Bearer ${await token('pets/read')}` });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as {
      authorizer: { jwt: { claims: { sub: string } } };
      stage: string;
      stageVariables: unknown;
    };
    assert.equal(body.authorizer.jwt.claims.sub, 'u1');
    assert.equal(body.stage, 'v1');
    assert.deepEqual(body.stageVariables, { tier: 'silver' });
    // AuthorizationScopes: [pets/read] on the route.
    const scopeless = await get('/pets', { authorization: `Bearer ${await token('other')}` });
    assert.equal(scopeless.status, 403);

    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${url}/pets`, { method: 'POST', headers });
    const simple = await post({ 'x-key': 'allow' });
    assert.equal(simple.status, 200);
    assert.deepEqual(((await simple.json()) as { authorizer: unknown }).authorizer, {
      lambda: { via: 'simple' },
    });
    assert.equal((await post({ 'x-key': 'nope' })).status, 403);
    assert.equal((await post({})).status, 401, 'no X-Key: the identity source is missing');

    assert.equal((await get('/health')).status, 200);
    const preflight = await fetch(`${url}/pets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
  } finally {
    await running.close();
    await idp.close();
  }
});

test("SAM's implicit API: routes from Api events without RestApiId, stage Prod, the authorizer from Globals.Api", async () => {
  const { running } = await serveTemplate(join(SAM_DIR, 'implicit-api.yaml'));
  try {
    const hello = (auth?: string): Promise<Response> =>
      fetch(`${running.url}/Prod/hello/ada`, {
        method: 'PUT',
        headers: auth ? { authorization: auth } : {},
      });
    assert.equal((await hello()).status, 401);
    assert.equal((await hello('Bearer deny')).status, 403);
    const ok = await hello('Bearer allow');
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { stage: string; env: { GREETING: string }; path: string };
    assert.equal(body.stage, 'Prod');
    assert.equal(body.env.GREETING, 'from-globals');
  } finally {
    await running.close();
  }
});

test('plain CloudFormation as cdk synth writes it: RestApi from Resource/Method/Authorizer resources, a gateway response, a stage, a usage plan, code from cdk.out assets', async () => {
  const { running, lines } = await serveTemplate(join(SAM_DIR, 'cdk-rest.template.json'));
  try {
    const url = running.url;
    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}${path}`, { headers });
    const root = await get('/');
    assert.equal(root.status, 200);
    assert.deepEqual(await root.json(), { message: 'welcome' });
    const refused = await get('/pets');
    assert.equal(refused.status, 401);
    assert.deepEqual(await refused.json(), { error: 'who are you' });
    assert.equal(refused.headers.get('access-control-allow-origin'), '*');
    assert.equal((await get('/pets', { authorization: 'Bearer deny' })).status, 403);
    const ok = await get('/pets', { authorization: 'Bearer allow' });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as {
      stage: string;
      env: { GREETING: string };
      stageVariables: unknown;
    };
    assert.equal(body.stage, 'prod');
    assert.equal(body.env.GREETING, 'from-cdk');
    assert.deepEqual(body.stageVariables, { tier: 'bronze' });
    // ApiKeyRequired with the plan's key (its Value from the template), burst 1.
    assert.equal((await get('/pets/1')).status, 403);
    const key = { 'x-api-key': 'cdk-test-key-0123456789' };
    assert.equal((await get('/pets/1', key)).status, 200);
    const throttled = await get('/pets/1', key);
    assert.equal(throttled.status, 429);
    assert.deepEqual(await throttled.json(), { message: 'Too Many Requests' });
    assert.ok(!lines.some((l) => /warning/.test(l)), lines.join('\n'));
  } finally {
    await running.close();
  }
});

test('what the local gateway does not run is named in a warning at start: other resource types, other event types', () => {
  const path = join(SAM_DIR, 'unused-parts.yaml');
  const said = loadTemplate(path, {}).warningLines.join('\n');
  assert.match(said, /unused-parts\.yaml:\d+:\d+.*AWS::DynamoDB::Table is not created locally/);
  assert.match(said, /unused-parts\.yaml:\d+:\d+.*AWS::SQS::Queue is not created locally/);
  assert.match(said, /Events\.Jobs\.Type.*SQS events are not emulated/);
  // An event's own settings the gateway does not run: a cache key, timeouts, route settings.
  assert.match(
    said,
    /Events\.Hello\.Properties\.RequestParameters\[1\]\["method\.request\.querystring\.page"\]\.Caching is not emulated: the API cache/,
  );
  assert.match(
    said,
    /Events\.Hello\.Properties\.TimeoutInMillis is not emulated: the gateway's 29 s/,
  );
  // The implicit HTTP API's event, when that API is the one served.
  const http = loadTemplate(path, { api: 'ServerlessHttpApi' }).warningLines.join('\n');
  assert.match(http, /Events\.Routed\.Properties\.RouteSettings is not emulated/);
  assert.match(
    said,
    /HelloFunction\.Properties\.ReservedConcurrentExecutions is not emulated locally: invocations are not limited/,
  );
  // The function's Timeout is honoured (test below), so no warning names it.
  assert.doesNotMatch(said, /Properties\.Timeout\b/);
  // The Api event's route and the function itself are served: no other warning names them.
  assert.equal(said.match(/Events\.Hello\b/g)?.length, 2, said);
});

test("serve names an Api event's TimeoutInMillis and a cached RequestParameter once, at the template line, not again in the generated document", async () => {
  const path = join(SAM_DIR, 'unused-parts.yaml');
  const { running, lines } = await serveTemplate(path);
  try {
    const said = lines.join('\n');
    assert.equal(said.match(/TimeoutInMillis|timeoutInMillis/g)?.length, 1, said);
    assert.equal(said.match(/Caching|cacheKeyParameters/g)?.length, 1, said);
    assert.match(
      said,
      /unused-parts\.yaml:\d+:\d+: .*Events\.Hello\.Properties\.TimeoutInMillis is not emulated/,
    );
  } finally {
    await running.close();
  }
  // The document SAM deploys keeps both, as AWS's translator writes them.
  const sam = JSON.stringify(
    readCloudFormation(parseCloudFormation(readFileSync(path, 'utf8'), path).value, {
      baseDir: SAM_DIR,
      readDocument: () => assert.fail(),
    }).api!.document,
  );
  assert.match(sam, /"timeoutInMillis"/);
  assert.match(sam, /"cacheKeyParameters"/);
});

test("a usage plan's ApiStages entry: another Stage resource does not apply, a per-method Throttle is named in a warning", () => {
  const path = join(SAM_DIR, 'cdk-rest.template.json');
  const template = parseCloudFormation(readFileSync(path, 'utf8'), path).value as {
    Resources: Record<string, { Properties: { ApiStages?: Record<string, unknown>[] } }>;
  };
  const read = (stage: Record<string, unknown>) => {
    const copy = structuredClone(template);
    copy.Resources.PetsUsagePlan!.Properties.ApiStages = [stage];
    return readCloudFormation(copy, { baseDir: SAM_DIR, readDocument: () => assert.fail() });
  };
  const served = read({ ApiId: { Ref: 'PetsApi' }, Stage: { Ref: 'PetsApiStage' } });
  assert.deepEqual(
    served.api!.usagePlans.map((p) => p.name),
    ['PetsUsagePlan'],
  );
  const other = read({ ApiId: { Ref: 'PetsApi' }, Stage: { Ref: 'OtherStage' } });
  assert.deepEqual(other.api!.usagePlans, []);
  const perMethod = read({
    ApiId: { Ref: 'PetsApi' },
    Stage: { Ref: 'PetsApiStage' },
    Throttle: { '/pets/GET': { RateLimit: 5, BurstLimit: 5 } },
  });
  assert.ok(
    perMethod.warnings.some(
      (w) => w.path.join('.') === 'Resources.PetsUsagePlan.Properties.ApiStages.0.Throttle',
    ),
    JSON.stringify(perMethod.warnings),
  );
});

test("a function's Timeout (from Globals) is honoured: past it the proxy integration answers 502 and the authorizer 500, as Lambda's timeout makes API Gateway answer, and the sandbox starts afresh; MemorySize reaches the context", async () => {
  const { running, lines } = await serveTemplate(join(SAM_DIR, 'timeouts.yaml'));
  try {
    assert.ok(!lines.some((l) => /Timeout/.test(l)), lines.join('\n'));
    const slow = (ms: number, token = 'fast'): Promise<Response> =>
      fetch(`${running.url}/slow?ms=${ms}`, { headers: { authorization: `Bearer ${token}` } });
    const first = await slow(0);
    assert.equal(first.status, 200);
    const body = (await first.json()) as Record<string, unknown>;
    assert.equal(body.calls, 1);
    assert.equal(body.memoryLimitInMB, '512', "the function's own MemorySize wins over Globals");
    assert.equal(body.memoryVariable, '512');
    assert.ok(
      Number(body.remainingMs) <= 2000,
      `Timeout 2 s, not the gateway's 29: ${body.remainingMs}`,
    );

    const started = Date.now();
    const timedOut = await slow(3000);
    const waited = Date.now() - started;
    assert.equal(timedOut.status, 502);
    assert.deepEqual(await timedOut.json(), { message: 'Internal server error' });
    assert.ok(waited >= 1900 && waited < 2900, `answered at the function's Timeout: ${waited} ms`);

    // Lambda resets the execution environment after a timeout: module state starts again.
    const after = await slow(0);
    assert.equal(after.status, 200);
    assert.equal(((await after.json()) as { calls: number }).calls, 1);

    const authorizerTimedOut = await slow(0, 'slow');
    assert.equal(authorizerTimedOut.status, 500);
    assert.equal(
      authorizerTimedOut.headers.get('x-amzn-errortype'),
      'AuthorizerConfigurationException',
    );
    assert.deepEqual(await authorizerTimedOut.json(), { message: null });
  } finally {
    await running.close();
  }
});

test("a Timeout or MemorySize outside Lambda's bounds is an error naming the property", () => {
  const text = readFileSync(join(SAM_DIR, 'timeouts.yaml'), 'utf8');
  const path = file('timeouts.yaml', text.replace('Timeout: 2', 'Timeout: 901'));
  assert.throws(
    () => loadTemplate(path),
    /timeouts\.yaml:\d+:\d+: .*Function\.Properties\.Timeout must be a whole number from 1 to 900, got 901/,
  );
  const memory = file('memory.yaml', text.replace('MemorySize: 512', 'MemorySize: 64'));
  assert.throws(() => loadTemplate(memory), /MemorySize must be a whole number from 128 to 10240/);
});

const INCLUDES = join(SAM_DIR, 'includes.yaml');

test('DefinitionBody as Fn::Transform AWS::Include of a local file (its Fn::Sub resolved) and DefinitionUri of a local file (read as written) are served', async () => {
  for (const [api, path, stage] of [
    ['IncludedApi', '/included', 'inc'],
    ['UriApi', '/plain', 'uri'],
  ] as const) {
    const { running, lines } = await serveTemplate(INCLUDES, { 'template-api': api });
    try {
      const answer = await fetch(`${running.url}${path}`);
      assert.equal(answer.status, 200, api);
      const body = (await answer.json()) as { path: string; stage: string; env: unknown };
      assert.equal(body.path, path);
      assert.equal(body.stage, stage);
      assert.deepEqual(body.env, {
        GREETING: 'hello',
        STAGE_LABEL: null,
        OWN: 'echo',
        MODE: 'template',
      });
      const other = api === 'IncludedApi' ? 'UriApi' : 'IncludedApi';
      assert.ok(
        lines.some((l) => l.includes(`API ${other} is not served`)),
        lines.join('\n'),
      );
    } finally {
      await running.close();
    }
  }
  // An included file that is missing is an error at the Location, with line and column.
  const text = readFileSync(INCLUDES, 'utf8').replace('definitions/included.yaml', 'nowhere.yaml');
  const copy = file('includes-missing.yaml', text);
  assert.throws(
    () => loadTemplate(copy),
    /includes-missing\.yaml:\d+:\d+: .*Location names nowhere\.yaml, which cannot be read/,
  );
});

test("--env-vars FILE in SAM's JSON: a function's own values, Parameters for every function, only variables its Environment declares, unknown names warned about", async () => {
  const envVars = file(
    'env.json',
    JSON.stringify({
      EchoFunction: { GREETING: 'from-file', UNDECLARED: 'x' },
      Parameters: { MODE: 'everyone', GREETING: 'overridden-by-own' },
      Ghost: { A: '1' },
    }),
  );
  const { running, lines } = await serveTemplate(INCLUDES, {
    'template-api': 'IncludedApi',
    'env-vars': envVars,
  });
  try {
    const body = (await (await fetch(`${running.url}/included`)).json()) as { env: unknown };
    assert.deepEqual(body.env, {
      GREETING: 'from-file',
      STAGE_LABEL: null,
      OWN: 'echo',
      MODE: 'everyone',
    });
    const said = lines.join('\n');
    assert.match(said, /env\.json: EchoFunction\.UNDECLARED is not in the function's Environment/);
    assert.match(said, /env\.json: Ghost is not a function of the template/);
  } finally {
    await running.close();
  }
  const bad = file('bad-env.json', '{"EchoFunction": ');
  await assert.rejects(
    serveTemplate(INCLUDES, { 'env-vars': bad }),
    (e: Error) => e instanceof UsageError && /bad-env\.json: is not valid JSON/.test(e.message),
  );
  await assert.rejects(
    serveTemplate(INCLUDES, { 'env-vars': join(dir, 'absent.json') }),
    (e: Error) =>
      e instanceof UsageError &&
      /absent\.json: cannot be read: there is no such file/.test(e.message),
  );
});

test('Conditions decide what exists: a function with a Condition (and its route) only when it holds, a stage variable by Fn::If, Fn::Join and Fn::Sub in the environment, as --parameter-overrides choose', async () => {
  const template = join(SAM_DIR, 'conditions.yaml');
  const prod = await serveTemplate(template);
  try {
    const debug = await fetch(`${prod.running.url}/prod/debug`);
    assert.equal(debug.status, 403);
    assert.deepEqual(await debug.json(), { message: 'Missing Authentication Token' });
    const pets = await fetch(`${prod.running.url}/prod/pets`, {
      headers: { authorization: 'Bearer allow' },
    });
    assert.equal(pets.status, 200);
    const body = (await pets.json()) as { stageVariables: unknown; env: Record<string, unknown> };
    assert.deepEqual(body.stageVariables, { tier: 'paid' });
    assert.equal(body.env.GREETING, 'hello-prod');
    assert.equal(body.env.STAGE_LABEL, 'local:prod');
  } finally {
    await prod.running.close();
  }
  const dev = await serveTemplate(template, { 'parameter-overrides': ['Env=dev'] });
  try {
    const debug = await fetch(`${dev.running.url}/dev/debug`);
    assert.equal(debug.status, 200, 'DebugFunction exists, its route has Authorizer NONE');
    const body = (await debug.json()) as { stageVariables: unknown; env: Record<string, unknown> };
    assert.deepEqual(body.stageVariables, { tier: 'free' });
  } finally {
    await dev.running.close();
  }
});
