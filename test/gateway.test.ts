// The local REST API Gateway over real HTTP on 127.0.0.1: the authorizer pipeline (spec sections
// 1-5), the result cache with an injected clock, and a server no handler can take down.
import { repoPath } from './support/paths.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createGateway, type GatewayOptions } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { loadApi, parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { createHandler } from '../src/lambda/handler.js';
import { singleIssuerAuthorizer } from '../src/lambda/authorizer.js';
import { generateKey, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { clock, testRuntime } from './support/verifier.js';
import { lambdaUri } from './support/apigw.js';

const UNAUTHORIZED = '{"message":"Unauthorized"}';
const EXPLICIT_DENY =
  '{"Message":"User is not authorized to access this resource with an explicit deny"}';
const IMPLICIT_DENY = '{"Message":"User is not authorized to access this resource"}';
const CONFIG_ERROR = '{"message":null}';

const fn = lambdaUri;

interface ApiShape {
  readonly type?: 'token' | 'request';
  readonly ttl?: number;
  readonly validation?: string;
  readonly identitySource?: string;
}

/** A small API: pets behind the authorizer `auth`, a public route, and routes whose integrations misbehave. */
function apiYaml(shape: ApiShape = {}): string {
  const ext = [
    `type: ${shape.type ?? 'token'}`,
    `authorizerUri: ${fn('auth')}`,
    ...(shape.ttl === undefined ? [] : [`authorizerResultTtlInSeconds: ${shape.ttl}`]),
    ...(shape.validation === undefined
      ? []
      : [`identityValidationExpression: '${shape.validation}'`]),
    ...(shape.identitySource === undefined ? [] : [`identitySource: '${shape.identitySource}'`]),
  ];
  const proxy = (name: string): string =>
    `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${fn(name)}' }`;
  return `
openapi: 3.0.1
info: { title: test, version: '1' }
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer:
${ext.map((l) => `        ${l}`).join('\n')}
security:
  - auth: []
paths:
  /pets:
    get:
      ${proxy('pets')}
    post:
      ${proxy('pets')}
  /pets/{petId}:
    get:
      ${proxy('pets')}
  /public:
    get:
      security: []
      ${proxy('pets')}
  /boom:
    get:
      security: []
      ${proxy('boom')}
  /hang:
    get:
      security: []
      ${proxy('hang')}
`;
}

/** The backend: echoes what API Gateway gave it, so tests can read the proxy event. */
const pets: LambdaHandler = async (event: {
  requestContext: { authorizer?: unknown };
  pathParameters: unknown;
  path: string;
}) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    path: event.path,
    pathParameters: event.pathParameters,
    authorizer: event.requestContext.authorizer ?? null,
  }),
});

const boom: LambdaHandler = () => {
  throw new Error('the backend broke');
};
const hang: LambdaHandler = () => new Promise(() => {});

/** An authorizer that counts its invocations. */
function counting(answer: (event: APIGatewayTokenAuthorizerEvent) => unknown): {
  handler: LambdaHandler;
  calls: () => number;
  events: unknown[];
} {
  const events: unknown[] = [];
  const handler: LambdaHandler = async (event: APIGatewayTokenAuthorizerEvent) => {
    events.push(event);
    return answer(event);
  };
  return { handler, calls: () => events.length, events };
}

const STAGE_WIDE = (event: APIGatewayTokenAuthorizerEvent): string =>
  event.methodArn.split('/').slice(0, 2).join('/') + '/*/*';
const allow =
  (
    resource: (e: APIGatewayTokenAuthorizerEvent) => string,
    context: Record<string, unknown> = {},
  ) =>
  (event: APIGatewayTokenAuthorizerEvent) => ({
    principalId: 'alice',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource(event) }],
    },
    context,
  });

interface Running {
  readonly url: string;
  readonly logs: Record<string, unknown>[];
  readonly server: GatewayServer;
  readonly clock: ReturnType<typeof clock>;
}

const running: GatewayServer[] = [];
after(async () => {
  await Promise.all(running.map((s) => s.close()));
});

async function start(
  shape: ApiShape,
  auth: LambdaHandler,
  options: Partial<GatewayOptions> & { maxBodyBytes?: number } = {},
): Promise<Running> {
  const c = clock();
  const logs: Record<string, unknown>[] = [];
  const gateway = createGateway({
    api: parseApi(apiYaml(shape), 'test.yaml'),
    stage: 'prod',
    functions: new Map<string, LambdaHandler>([
      ['auth', auth],
      ['pets', pets],
      ['boom', boom],
      ['hang', hang],
    ]),
    now: c.now,
    log: (e) => logs.push(e),
    ...options,
  });
  const server = createGatewayServer(gateway, { maxBodyBytes: options.maxBodyBytes });
  running.push(server);
  const { url } = await server.listen(0);
  return { url, logs, server, clock: c };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method, headers: { ...headers, connection: 'close' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = { Authorization: 'Bearer a.b.c' };

function assertGateway(answer: Answer, status: number, body: string, errorType: string): void {
  assert.equal(answer.status, status, answer.body);
  assert.equal(answer.body, body);
  assert.equal(answer.headers['x-amzn-errortype'], errorType);
  assert.equal(answer.headers['content-type'], 'application/json');
}

test('identity source missing or empty: 401 without invoking the authorizer', async () => {
  const auth = counting(allow(STAGE_WIDE));
  const { url, logs } = await start({}, auth.handler);
  assertGateway(await call(url, 'GET', '/pets'), 401, UNAUTHORIZED, 'UnauthorizedException');
  assertGateway(
    await call(url, 'GET', '/pets', { Authorization: '' }),
    401,
    UNAUTHORIZED,
    'UnauthorizedException',
  );
  assert.equal(auth.calls(), 0);
  assert.equal(logs.at(-1)?.reason, 'IDENTITY_MISSING');
  // Header names are case-insensitive.
  assert.equal((await call(url, 'GET', '/pets', { authorization: 'Bearer a.b.c' })).status, 200);
  assert.equal(auth.calls(), 1);
});

test('validation expression mismatch: 401 without invoking; a match invokes', async () => {
  const auth = counting(allow(STAGE_WIDE));
  const { url } = await start({ validation: '^Bearer [a-z.]+$' }, auth.handler);
  assertGateway(
    await call(url, 'GET', '/pets', { Authorization: 'Basic dXNlcg==' }),
    401,
    UNAUTHORIZED,
    'UnauthorizedException',
  );
  assert.equal(auth.calls(), 0);
  assert.equal((await call(url, 'GET', '/pets', bearer)).status, 200);
  assert.equal(auth.calls(), 1);
});

test('Allow: 200, the TOKEN event as API Gateway sends it, the context stringified in the proxy event', async () => {
  const auth = counting(allow(STAGE_WIDE, { user: 'alice', n: 3, admin: true }));
  const { url, logs } = await start({}, auth.handler);
  const answer = await call(url, 'GET', '/pets/a1b2', bearer);
  assert.equal(answer.status, 200);
  const echoed = JSON.parse(answer.body) as {
    path: string;
    pathParameters: unknown;
    authorizer: Record<string, unknown>;
  };
  assert.deepEqual(echoed.pathParameters, { petId: 'a1b2' });
  const { integrationLatency, ...authorizer } = echoed.authorizer;
  assert.equal(typeof integrationLatency, 'number');
  assert.deepEqual(authorizer, { principalId: 'alice', user: 'alice', n: '3', admin: 'true' });
  assert.deepEqual(auth.events[0], {
    type: 'TOKEN',
    authorizationToken: 'Bearer a.b.c',
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:tollgate00/prod/GET/pets/a1b2',
  });
  const line = logs.find((l) => l.event === 'request')!;
  assert.equal(line.status, 200);
  assert.equal(line.reason, 'ALLOW');
  assert.equal(line.cache, 'miss');
  assert.equal(line.principal, 'alice');
  assert.equal(typeof line.authorizerLatencyMs, 'number');
});

test('Deny: 403 with the exact bodies, explicit and implicit', async () => {
  const denyAll = counting((e) => ({
    principalId: 'bob',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: e.methodArn }],
    },
  }));
  const explicit = await start({ ttl: 0 }, denyAll.handler);
  assertGateway(
    await call(explicit.url, 'GET', '/pets', bearer),
    403,
    EXPLICIT_DENY,
    'AccessDeniedException',
  );
  assert.equal(explicit.logs.at(-1)?.reason, 'EXPLICIT_DENY');

  // Allow and Deny on the same ARN: Deny wins.
  const both = counting((e) => ({
    principalId: 'bob',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:*', Effect: 'Allow', Resource: '*' },
        { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: e.methodArn },
      ],
    },
  }));
  assertGateway(
    await call((await start({ ttl: 0 }, both.handler)).url, 'GET', '/pets', bearer),
    403,
    EXPLICIT_DENY,
    'AccessDeniedException',
  );

  const elsewhere = counting(
    allow(() => 'arn:aws:execute-api:us-east-1:123456789012:tollgate00/prod/GET/other'),
  );
  const implicit = await start({ ttl: 0 }, elsewhere.handler);
  assertGateway(
    await call(implicit.url, 'GET', '/pets', bearer),
    403,
    IMPLICIT_DENY,
    'AccessDeniedException',
  );
  assert.equal(implicit.logs.at(-1)?.reason, 'IMPLICIT_DENY');
});

test('errors: exactly "Unauthorized" → 401; any other error → 500 {"message":null}', async () => {
  const cases: Array<[LambdaHandler, number, string, string]> = [
    [
      async () => {
        throw new Error('Unauthorized');
      },
      401,
      UNAUTHORIZED,
      'UnauthorizedException',
    ],
    [(_e, _c, callback) => callback('Unauthorized'), 401, UNAUTHORIZED, 'UnauthorizedException'],
    [
      async () => {
        throw new Error('Unauthorized: token expired');
      },
      500,
      CONFIG_ERROR,
      'AuthorizerConfigurationException',
    ],
    [
      async () => {
        throw new Error('unauthorized');
      },
      500,
      CONFIG_ERROR,
      'AuthorizerConfigurationException',
    ],
    [
      () => {
        throw new Error('sync bug');
      },
      500,
      CONFIG_ERROR,
      'AuthorizerConfigurationException',
    ],
    [async () => 'Unauthorized', 500, CONFIG_ERROR, 'AuthorizerConfigurationException'],
  ];
  for (const [handler, status, body, type] of cases) {
    const { url } = await start({ ttl: 300 }, handler);
    assertGateway(await call(url, 'GET', '/pets', bearer), status, body, type);
    // Neither outcome is cached: the next request invokes again and gets the same answer.
    assertGateway(await call(url, 'GET', '/pets', bearer), status, body, type);
  }
});

test('malformed output and bad context → 500 {"message":null}', async () => {
  const outputs: unknown[] = [
    { principalId: 'alice', policyDocument: {} },
    { principalId: 42, policyDocument: { Version: '2012-10-17', Statement: [] } },
    allow(STAGE_WIDE, { nested: { a: 1 } }),
    allow(STAGE_WIDE, { list: ['a'] }),
    allow(STAGE_WIDE, { empty: null }),
  ];
  for (const output of outputs) {
    const auth = counting(
      typeof output === 'function'
        ? (output as (e: APIGatewayTokenAuthorizerEvent) => unknown)
        : () => output,
    );
    const { url, logs } = await start({}, auth.handler);
    assertGateway(
      await call(url, 'GET', '/pets', bearer),
      500,
      CONFIG_ERROR,
      'AuthorizerConfigurationException',
    );
    assert.match(String(logs.at(-1)?.reason), /RESULT_INVALID|CONTEXT_INVALID/);
  }
  // The null-context assumption is configurable.
  const { url } = await start({}, counting(allow(STAGE_WIDE, { empty: null, kept: 'x' })).handler, {
    assumptions: { nullContextValues: 'omit' },
  });
  const answer = await call(url, 'GET', '/pets', bearer);
  assert.equal(answer.status, 200);
  assert.equal(
    (JSON.parse(answer.body) as { authorizer: Record<string, unknown> }).authorizer.kept,
    'x',
  );
});

test('a hanging authorizer → 500 after the (injected) timeout; the server keeps serving', async () => {
  const { url, logs } = await start({}, () => new Promise(() => {}), { authorizerTimeoutMs: 50 });
  assertGateway(
    await call(url, 'GET', '/pets', bearer),
    500,
    CONFIG_ERROR,
    'AuthorizerConfigurationException',
  );
  assert.equal(logs.at(-1)?.reason, 'AUTHORIZER_TIMEOUT');
  assert.equal((await call(url, 'GET', '/public')).status, 200);
});

test('TTL: within it the cached output answers without invoking; after it the authorizer runs again', async () => {
  const auth = counting(allow(STAGE_WIDE));
  const { url, clock: c, logs } = await start({ ttl: 60 }, auth.handler);
  assert.equal((await call(url, 'GET', '/pets', bearer)).status, 200);
  c.advance(59_000);
  assert.equal((await call(url, 'GET', '/pets/1', bearer)).status, 200);
  assert.equal(auth.calls(), 1);
  assert.equal(logs.at(-1)?.cache, 'hit');
  // Another token is another cache key.
  assert.equal((await call(url, 'GET', '/pets', { Authorization: 'Bearer x.y.z' })).status, 200);
  assert.equal(auth.calls(), 2);
  c.advance(1_000);
  assert.equal((await call(url, 'GET', '/pets', bearer)).status, 200);
  assert.equal(auth.calls(), 3);
  assert.equal(logs.at(-1)?.cache, 'miss');
});

test('the result cache is per stage: an Allow cached for /dev/pets does not answer GET /pets (another stage)', async () => {
  // No stage configured: `/dev/pets` is stage `dev`, `/pets` the default stage `local`. Each stage
  // has its own authorizer cache in API Gateway, so a stage-wide policy for one never answers the other.
  const auth = counting(allow(STAGE_WIDE));
  const { url } = await start({ ttl: 300 }, auth.handler, { stage: undefined });
  assert.equal((await call(url, 'GET', '/dev/pets', bearer)).status, 200);
  const other = await call(url, 'GET', '/pets', bearer);
  assert.equal(other.status, 200, other.body);
  assert.equal(auth.calls(), 2, 'the authorizer is asked again for the other stage');
  assert.match((auth.events[1] as { methodArn: string }).methodArn, /\/local\/GET\/pets$/);
  // Each stage's entry keeps answering its own stage without an invocation.
  assert.equal((await call(url, 'GET', '/dev/pets/1', bearer)).status, 200);
  assert.equal((await call(url, 'GET', '/pets/1', bearer)).status, 200);
  assert.equal(auth.calls(), 2);
  // With a stage configured, `/prod/pets` and `/pets` are one stage: one entry, one invocation.
  const one = counting(allow(STAGE_WIDE));
  const prod = await start({ ttl: 300 }, one.handler);
  assert.equal((await call(prod.url, 'GET', '/prod/pets', bearer)).status, 200);
  assert.equal((await call(prod.url, 'GET', '/pets', bearer)).status, 200);
  assert.equal(one.calls(), 1);
});

test('TTL unset is 300 s; TTL 0 never caches', async () => {
  const defaulted = counting(allow(STAGE_WIDE));
  const d = await start({}, defaulted.handler);
  await call(d.url, 'GET', '/pets', bearer);
  d.clock.advance(299_000);
  await call(d.url, 'GET', '/pets', bearer);
  assert.equal(defaulted.calls(), 1);
  d.clock.advance(1_000);
  await call(d.url, 'GET', '/pets', bearer);
  assert.equal(defaulted.calls(), 2);

  const off = counting(allow(STAGE_WIDE));
  const o = await start({ ttl: 0 }, off.handler);
  await call(o.url, 'GET', '/pets', bearer);
  await call(o.url, 'GET', '/pets', bearer);
  assert.equal(off.calls(), 2);
  assert.equal(o.logs.at(-1)?.cache, 'off');
});

test('REQUEST authorizer: every identity source is required and part of the cache key', async () => {
  const auth = counting(allow(STAGE_WIDE));
  const { url } = await start(
    {
      type: 'request',
      identitySource: 'method.request.header.X-Key, method.request.querystring.tenant',
    },
    auth.handler,
  );
  assertGateway(
    await call(url, 'GET', '/pets', { 'X-Key': 'k1' }),
    401,
    UNAUTHORIZED,
    'UnauthorizedException',
  );
  assertGateway(
    await call(url, 'GET', '/pets?Tenant=a', { 'X-Key': 'k1' }),
    401,
    UNAUTHORIZED,
    'UnauthorizedException',
  );
  assert.equal(auth.calls(), 0);
  assert.equal((await call(url, 'GET', '/pets?tenant=a', { 'X-Key': 'k1' })).status, 200);
  assert.equal((await call(url, 'GET', '/pets?tenant=a', { 'x-key': 'k1' })).status, 200);
  assert.equal(auth.calls(), 1);
  assert.equal((await call(url, 'GET', '/pets?tenant=b', { 'X-Key': 'k1' })).status, 200);
  assert.equal(auth.calls(), 2);
  const event = auth.events[0] as Record<string, unknown>;
  assert.equal(event.type, 'REQUEST');
  assert.equal(event.resource, '/pets');
  assert.equal(event.httpMethod, 'GET');
  assert.deepEqual(event.queryStringParameters, { tenant: 'a' });
  assert.equal('body' in event, false);
});

test('THE CACHE BUG: a policy for only the first methodArn answers 403 on the next route from the cache', async () => {
  const auth = counting(allow((e) => e.methodArn));
  const { url, logs } = await start({ ttl: 300 }, auth.handler);
  assert.equal((await call(url, 'GET', '/pets/1', bearer)).status, 200);
  assertGateway(
    await call(url, 'GET', '/pets/2', bearer),
    403,
    IMPLICIT_DENY,
    'AccessDeniedException',
  );
  assertGateway(
    await call(url, 'POST', '/pets', bearer, '{}'),
    403,
    IMPLICIT_DENY,
    'AccessDeniedException',
  );
  assert.equal(auth.calls(), 1, 'the authorizer is not asked again within the TTL');
  const stale = logs.filter((l) => l.event === 'stale_cached_policy');
  assert.equal(stale.length, 2);
  assert.equal(
    stale[0]!.issuedFor,
    'arn:aws:execute-api:us-east-1:123456789012:tollgate00/prod/GET/pets/1',
  );
  assert.equal(
    stale[0]!.methodArn,
    'arn:aws:execute-api:us-east-1:123456789012:tollgate00/prod/GET/pets/2',
  );
  assert.match(String(stale[0]!.explanation), /every route/);
  // The first route still works from the same cached policy.
  assert.equal((await call(url, 'GET', '/pets/1', bearer)).status, 200);
});

let key: TestKey;
let jwks: JwksServer;
before(async () => {
  key = generateKey('RS256');
  jwks = await startJwksServer([key.jwk]);
});
after(() => jwks.close());

test("Tollgate's own handler does not have the cache bug: one invocation, every route allowed", async () => {
  const runtime = testRuntime(jwks.url);
  const tollgate = createHandler(singleIssuerAuthorizer(runtime));
  let calls = 0;
  const counted: LambdaHandler = (event, context) => {
    calls++;
    return tollgate(event, context);
  };
  const { url, logs } = await start({ ttl: 300 }, counted);
  const auth = { Authorization: `Bearer ${await sign(key)}` };
  assert.equal((await call(url, 'GET', '/pets/1', auth)).status, 200);
  assert.equal((await call(url, 'GET', '/pets/2', auth)).status, 200);
  assert.equal((await call(url, 'POST', '/pets', auth, '{}')).status, 200);
  assert.equal(calls, 1);
  assert.equal(logs.filter((l) => l.event === 'stale_cached_policy').length, 0);
  // A bad token is exactly Unauthorized: 401, not 500.
  assertGateway(
    await call(url, 'GET', '/pets', { Authorization: 'Bearer not-a-jwt' }),
    401,
    UNAUTHORIZED,
    'UnauthorizedException',
  );
  const answer = await call(url, 'GET', '/pets', auth);
  assert.equal(
    (JSON.parse(answer.body) as { authorizer: Record<string, unknown> }).authorizer.principalId,
    'user-1',
  );
});

test('the server survives integrations that throw or hang, and malformed requests', async () => {
  const { url } = await start({}, counting(allow(STAGE_WIDE)).handler, {
    integrationTimeoutMs: 50,
    maxBodyBytes: 1024,
  });
  assertGateway(
    await call(url, 'GET', '/boom'),
    502,
    '{"message": "Internal server error"}',
    'InternalServerErrorException',
  );
  assertGateway(
    await call(url, 'GET', '/hang'),
    504,
    '{"message": "Endpoint request timed out"}',
    'InternalServerErrorException',
  );
  assertGateway(
    await call(url, 'POST', '/pets', bearer, 'x'.repeat(2048)),
    413,
    '{"message":"Request Too Long"}',
    'RequestTooLargeException',
  );
  assertGateway(
    await call(url, 'GET', '/nowhere'),
    403,
    '{"message":"Missing Authentication Token"}',
    'MissingAuthenticationTokenException',
  );
  assertGateway(
    await call(url, 'DELETE', '/pets', bearer),
    403,
    '{"message":"Missing Authentication Token"}',
    'MissingAuthenticationTokenException',
  );
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () =>
      socket.write('NOT HTTP AT ALL\r\n\r\n'),
    );
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(raw, /^HTTP\/1\.1 400 /);
  assert.equal((await call(url, 'GET', '/public')).status, 200);
});

test('the PetStore example loads, and an anonymous GET /pets is 401', async () => {
  const api = await loadApi(repoPath('examples', 'petstore.openapi.yaml'));
  assert.deepEqual(
    api.routes.operations.map((o) => `${o.method} ${o.template} ${o.authorizer ?? '-'}`),
    ['GET /public -', 'GET /pets tollgate', 'POST /pets tollgate', 'GET /pets/{petId} tollgate'],
  );
  const gateway = createGateway({
    api,
    functions: new Map<string, LambdaHandler>([
      ['tollgate', counting(allow(STAGE_WIDE)).handler],
      ['pets', pets],
    ]),
    log: () => {},
  });
  const server = createGatewayServer(gateway);
  running.push(server);
  const { url } = await server.listen(0);
  assertGateway(await call(url, 'GET', '/pets'), 401, UNAUTHORIZED, 'UnauthorizedException');
  assert.equal((await call(url, 'GET', '/public')).status, 200);
});

test('http_proxy forwards method, path parameter, query and body; the authorizer gets a Lambda context with a deadline', async () => {
  const seen: Array<{ method: string; url: string; body: string; auth: string | undefined }> = [];
  const backend = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        body: Buffer.concat(chunks).toString(),
        auth: req.headers.authorization,
      });
      res.writeHead(201, { 'content-type': 'text/plain', 'x-backend': 'yes' }).end('created');
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const port = (backend.address() as AddressInfo).port;
  let remaining: unknown;
  const auth: LambdaHandler = async (event: APIGatewayTokenAuthorizerEvent, context) => {
    remaining = context.getRemainingTimeInMillis();
    return allow(STAGE_WIDE)(event);
  };
  const api = parseApi(
    `swagger: '2.0'
info: { title: p, version: '1' }
securityDefinitions:
  auth: { type: apiKey, in: header, name: Authorization, x-amazon-apigateway-authorizer: { type: token, authorizerUri: '${fn('auth')}' } }
paths:
  /items/{proxy+}:
    x-amazon-apigateway-any-method:
      security: [{ auth: [] }]
      x-amazon-apigateway-integration: { type: http_proxy, httpMethod: ANY, uri: 'http://127.0.0.1:${port}/backend/{proxy}' }
`,
    'proxy.yaml',
  );
  const server = createGatewayServer(
    createGateway({ api, functions: new Map([['auth', auth]]), now: clock().now, log: () => {} }),
  );
  running.push(server);
  const { url } = await server.listen(0);
  try {
    const answer = await call(url, 'PUT', '/items/a/b?x=1&x=2', bearer, 'payload');
    assert.equal(answer.status, 201);
    assert.equal(answer.body, 'created');
    assert.equal(answer.headers['x-backend'], 'yes');
    assert.deepEqual(seen, [
      { method: 'PUT', url: '/backend/a/b?x=1&x=2', body: 'payload', auth: 'Bearer a.b.c' },
    ]);
    assert.equal(
      remaining,
      10_000,
      'the injected clock has not moved: the whole 10 s budget is left',
    );
  } finally {
    backend.closeAllConnections();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  }
});
