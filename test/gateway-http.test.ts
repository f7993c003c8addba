// The local gateway as an HTTP API (API Gateway v2) over real HTTP on 127.0.0.1: Lambda authorizers
// with payload 1.0 and 2.0, simple and IAM answers, the cache across routes, the native JWT
// authorizer against a real discovery + JWKS server, and HTTP API answers (spec sections 5-7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway, type GatewayOptions } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { parseApi, ApiDocumentError } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { generateKey, sign, type TestKey } from './support/keys.js';
import { startOidcProvider, type JwksServer } from './support/jwks-server.js';
import { httpJwtApi, lambdaUri } from './support/apigw.js';

const fn = lambdaUri;
const proxy = (version = '2.0'): string =>
  `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${fn('backend')}', payloadFormatVersion: '${version}' }`;

interface LambdaShape {
  readonly version: '1.0' | '2.0';
  readonly simple?: boolean;
  readonly ttl?: number;
  readonly identitySource?: string;
}

function lambdaApi(shape: LambdaShape, integrationVersion = '2.0'): string {
  return `
openapi: 3.0.1
info: { title: http-test, version: '1' }
x-amazon-apigateway-importexport-version: '1.0'
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: '${fn('auth')}'
        authorizerPayloadFormatVersion: '${shape.version}'
        identitySource: '${shape.identitySource ?? '$request.header.Authorization'}'
        authorizerResultTtlInSeconds: ${shape.ttl ?? 0}
${shape.simple ? '        enableSimpleResponses: true\n' : ''}security:
  - auth: []
paths:
  /pets:
    get:
      ${proxy(integrationVersion)}
  /pets/{petId}:
    get:
      ${proxy(integrationVersion)}
  /open:
    get:
      security: []
      ${proxy(integrationVersion)}
`;
}

/** The backend echoes the event it got, so tests read what API Gateway delivered. */
const backend: LambdaHandler = async (event: unknown) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});

function recording(answer: (event: Record<string, unknown>) => unknown): {
  handler: LambdaHandler;
  events: Record<string, unknown>[];
} {
  const events: Record<string, unknown>[] = [];
  return {
    events,
    handler: (async (event: Record<string, unknown>) => {
      events.push(event);
      return answer(event);
    }) as LambdaHandler,
  };
}

const servers: GatewayServer[] = [];
async function start(
  yaml: string,
  functions: Record<string, LambdaHandler>,
  extra: Partial<GatewayOptions> = {},
): Promise<string> {
  const gateway = createGateway({
    api: parseApi(yaml, 'api.yaml'),
    functions: new Map(Object.entries({ backend, ...functions })),
    log: () => {},
    ...extra,
  });
  const server = createGatewayServer(gateway);
  servers.push(server);
  return (await server.listen(0)).url;
}
after(async () => {
  for (const s of servers) await s.close();
});

async function call(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  body: string;
  json: () => Record<string, unknown>;
  headers: Headers;
}> {
  const r = await fetch(url + path, { headers });
  const body = await r.text();
  return {
    status: r.status,
    body,
    json: () => JSON.parse(body) as Record<string, unknown>,
    headers: r.headers,
  };
}

test('payload 2.0 simple responses: identity checked first, the v2 event, context (lists too) in authorizer.lambda, 403 Forbidden', async () => {
  const auth = recording((e) => ({
    isAuthorized: (e.identitySource as string[])[0] === 'good',
    context: { user: 'u1', roles: ['a', 'b'], n: 1 },
  }));
  const url = await start(lambdaApi({ version: '2.0', simple: true }), { auth: auth.handler });

  const missing = await call(url, '/pets');
  assert.deepEqual([missing.status, missing.body], [401, '{"message":"Unauthorized"}']);
  assert.equal(auth.events.length, 0, 'a missing identity source is refused before invocation');
  assert.ok(missing.headers.get('apigw-requestid'));
  assert.equal(missing.headers.get('x-amzn-errortype'), null, 'HTTP APIs send no x-amzn-ErrorType');

  const ok = await call(url, '/pets/7?a=1&a=2&b=x', {
    authorization: 'good',
    cookie: 'c1=v1; c2=v2',
  });
  assert.equal(ok.status, 200);
  const event = auth.events[0]!;
  assert.equal(event.version, '2.0');
  assert.equal(event.type, 'REQUEST');
  assert.equal(
    event.routeArn,
    'arn:aws:execute-api:us-east-1:123456789012:tollgate00/$default/GET/pets/7',
  );
  assert.equal(event.routeKey, 'GET /pets/{petId}');
  assert.deepEqual(event.identitySource, ['good']);
  assert.equal(event.rawPath, '/pets/7');
  assert.equal(event.rawQueryString, 'a=1&a=2&b=x');
  assert.deepEqual(
    event.queryStringParameters,
    { a: '1,2', b: 'x' },
    'repeated keys are comma-joined',
  );
  assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
  assert.deepEqual(event.pathParameters, { petId: '7' });
  assert.equal((event.headers as Record<string, string>).authorization, 'good');
  assert.equal(
    ((event.requestContext as Record<string, unknown>).http as Record<string, unknown>).method,
    'GET',
  );

  const delivered = ok.json();
  assert.equal(delivered.version, '2.0');
  assert.equal(delivered.routeKey, 'GET /pets/{petId}');
  assert.deepEqual((delivered.requestContext as Record<string, unknown>).authorizer, {
    lambda: { user: 'u1', roles: ['a', 'b'], n: 1 },
  });

  const no = await call(url, '/pets', { authorization: 'bad' });
  assert.deepEqual([no.status, no.body], [403, '{"message":"Forbidden"}']);

  const open = await call(url, '/open');
  assert.equal(open.status, 200, 'a route without an authorizer needs no identity');
});

test('the HTTP API cache: a cached simple answer serves every route; $context.routeKey makes it per route', async () => {
  const shared = recording(() => ({ isAuthorized: true }));
  const url = await start(lambdaApi({ version: '2.0', simple: true, ttl: 300 }), {
    auth: shared.handler,
  });
  for (const path of ['/pets', '/pets/1', '/pets/2'])
    assert.equal((await call(url, path, { authorization: 't' })).status, 200);
  assert.equal(shared.events.length, 1, 'one invocation for every route with the same identity');

  const perRoute = recording(() => ({ isAuthorized: true }));
  const url2 = await start(
    lambdaApi({
      version: '2.0',
      simple: true,
      ttl: 300,
      identitySource: '$request.header.Authorization, $context.routeKey',
    }),
    { auth: perRoute.handler },
  );
  for (const path of ['/pets', '/pets/1', '/pets/2'])
    assert.equal((await call(url2, path, { authorization: 't' })).status, 200);
  assert.equal(perRoute.events.length, 2, 'GET /pets and GET /pets/{petId} are two cache keys');
});

test('payload 2.0 IAM answers are evaluated against the routeArn; a cached route-specific policy refuses the next route', async () => {
  const auth = recording((e) => ({
    principalId: 'p1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: e.routeArn }],
    },
    context: { tier: 'gold' },
  }));
  const url = await start(lambdaApi({ version: '2.0', ttl: 300 }), { auth: auth.handler });
  const first = await call(url, '/pets', { authorization: 't' });
  assert.equal(first.status, 200);
  assert.deepEqual((first.json().requestContext as Record<string, unknown>).authorizer, {
    lambda: { tier: 'gold' },
  });
  const second = await call(url, '/pets/1', { authorization: 't' });
  assert.deepEqual(
    [second.status, second.body],
    [403, '{"message":"Forbidden"}'],
    'the cached policy names only GET /pets',
  );
  assert.equal(auth.events.length, 1);
});

test('HTTP API refusals: a thrown "Unauthorized" is 401, other errors and bad answers 500 (configurable where the spec is unconfirmed)', async () => {
  const thrower = (message: string): LambdaHandler =>
    (() => {
      throw new Error(message);
    }) as LambdaHandler;
  const url = await start(lambdaApi({ version: '2.0', simple: true }), {
    auth: thrower('Unauthorized'),
  });
  assert.deepEqual([(await call(url, '/pets', { authorization: 't' })).status], [401]);
  const strict = await start(
    lambdaApi({ version: '2.0', simple: true }),
    { auth: thrower('Unauthorized') },
    { assumptions: { httpThrownUnauthorized: 'error' } },
  );
  const r = await call(strict, '/pets', { authorization: 't' });
  assert.deepEqual([r.status, r.body], [500, '{"message":"Internal Server Error"}']);
  const broken = await start(lambdaApi({ version: '2.0', simple: true }), {
    auth: (async () => ({ isAuthorized: 'yes' })) as LambdaHandler,
  });
  assert.equal(
    (await call(broken, '/pets', { authorization: 't' })).status,
    500,
    'isAuthorized must be a boolean',
  );
  const deny401 = await start(
    lambdaApi({ version: '2.0', simple: true }),
    { auth: (async () => ({ isAuthorized: false })) as LambdaHandler },
    { assumptions: { httpDeny: 'unauthorized' } },
  );
  assert.equal((await call(deny401, '/pets', { authorization: 't' })).status, 401);
  const unknown = await call(url, '/nowhere');
  assert.deepEqual([unknown.status, unknown.body], [404, '{"message":"Not Found"}']);
});

test('payload 1.0: the joined identity and methodArn in the event, IAM only, context in a 1.0 integration unstringified; claims is reserved', async () => {
  const auth = recording(() => ({
    principalId: 'p1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: 'arn:aws:execute-api:*:*:*/*/*/*',
        },
      ],
    },
    context: { n: 2 },
  }));
  const url = await start(
    lambdaApi(
      { version: '1.0', identitySource: '$request.header.Authorization, $request.querystring.k' },
      '1.0',
    ),
    { auth: auth.handler },
  );
  const r = await call(url, '/pets?k=v', { authorization: 't' });
  assert.equal(r.status, 200);
  const event = auth.events[0]!;
  assert.equal(event.version, '1.0');
  assert.equal(event.type, 'REQUEST');
  assert.equal(event.identitySource, 't,v');
  assert.equal(event.authorizationToken, 't,v');
  assert.equal(
    event.methodArn,
    'arn:aws:execute-api:us-east-1:123456789012:tollgate00/$default/GET/pets',
  );
  const delivered = r.json();
  assert.equal(delivered.version, '1.0');
  assert.deepEqual((delivered.requestContext as Record<string, unknown>).authorizer, {
    n: 2,
    principalId: 'p1',
  });

  const reserved = await start(lambdaApi({ version: '1.0' }), {
    auth: (async () => ({
      principalId: 'p',
      policyDocument: { Statement: [] },
      context: { claims: 'x' },
    })) as LambdaHandler,
  });
  assert.equal((await call(reserved, '/pets', { authorization: 't' })).status, 500);
});

test('documents: HTTP API settings are read and mixed REST/HTTP documents are refused with a position', () => {
  const api = parseApi(lambdaApi({ version: '2.0', simple: true, ttl: 60 }), 'api.yaml');
  assert.equal(api.flavour, 'http');
  const auth = api.authorizers.get('auth')!;
  assert.ok(
    auth.type === 'request' &&
      auth.simpleResponses &&
      auth.payloadFormatVersion === '2.0' &&
      auth.ttlSeconds === 60,
  );
  const simple10 = (): unknown => parseApi(lambdaApi({ version: '1.0', simple: true }), 'api.yaml');
  assert.throws(
    simple10,
    (e: unknown) =>
      e instanceof ApiDocumentError &&
      /enableSimpleResponses needs authorizerPayloadFormatVersion "2.0"/.test(e.message),
  );
  const mixed = lambdaApi({ version: '2.0' }).replace(
    "identitySource: '$request.header.Authorization'",
    "identitySource: 'method.request.header.Authorization'",
  );
  assert.throws(
    () => parseApi(mixed, 'api.yaml'),
    (e: unknown) =>
      e instanceof ApiDocumentError &&
      /is a REST API setting, but .* is an HTTP API one/.test(e.message) &&
      e.line > 0,
  );
});

// ---- The native JWT authorizer ----

let idp: JwksServer;
let key: TestKey;
let issuer: string;
let jwtUrl: string;
const AUD = 'https://api.example.com';

function jwtApi(): string {
  return httpJwtApi(
    issuer,
    AUD,
    `  /pets:
    get:
      security: [{ jwt: [read:pets, admin] }]
      ${proxy()}
  /profile:
    get:
      security: [{ jwt: [] }]
      ${proxy()}
`,
  );
}

before(async () => {
  key = generateKey('RS256');
  idp = await startOidcProvider([key.jwk]);
  issuer = idp.origin;
  jwtUrl = await start(jwtApi(), {});
});
after(async () => idp.close());

const now = (): number => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>): Promise<string> =>
  sign(key, { iss: issuer, aud: AUD, sub: 'user-1', iat: now() - 10, exp: now() + 600, ...claims });

test('JWT authorizer: a valid token with one of the route scopes passes; claims and scopes reach a 2.0 integration', async () => {
  const r = await call(jwtUrl, '/pets', {
    authorization: `Bearer ${await token({ scope: 'read:pets other', groups: ['g1', 'g2'] })}`,
  });
  assert.equal(r.status, 200);
  const jwt = (
    (r.json().requestContext as Record<string, unknown>).authorizer as Record<
      string,
      Record<string, unknown>
    >
  ).jwt!;
  assert.equal((jwt.claims as Record<string, string>).sub, 'user-1');
  assert.equal(
    (jwt.claims as Record<string, string>).groups,
    '[g1 g2]',
    'claim values are strings, lists as [a b]',
  );
  assert.equal(typeof (jwt.claims as Record<string, unknown>).exp, 'string');
  assert.deepEqual(jwt.scopes, ['read:pets', 'other']);
  const bare = await call(jwtUrl, '/profile', { authorization: await token({}) });
  assert.equal(bare.status, 200, 'the token may come without "Bearer "');
});

test('JWT authorizer: 401 with www-authenticate for a bad token, 403 insufficient_scope for a missing scope', async () => {
  const missing = await call(jwtUrl, '/pets');
  assert.deepEqual([missing.status, missing.body], [401, '{"message":"Unauthorized"}']);
  const wrongAud = await call(jwtUrl, '/pets', {
    authorization: `Bearer ${await token({ aud: 'https://other.example.com', scope: 'read:pets' })}`,
  });
  assert.equal(wrongAud.status, 401);
  assert.equal(
    wrongAud.headers.get('www-authenticate'),
    'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"',
  );
  const expired = await call(jwtUrl, '/pets', {
    authorization: `Bearer ${await token({ exp: now() - 60, scope: 'read:pets' })}`,
  });
  assert.equal(expired.status, 401);
  assert.match(
    expired.headers.get('www-authenticate') ?? '',
    /error="invalid_token" error_description="the token has expired"/,
  );
  const noScope = await call(jwtUrl, '/pets', {
    authorization: `Bearer ${await token({ scope: 'write:pets' })}`,
  });
  assert.deepEqual([noScope.status, noScope.body], [403, '{"message":"Forbidden"}']);
  assert.match(
    noScope.headers.get('www-authenticate') ?? '',
    /scope="read:pets admin" error="insufficient_scope"/,
  );
  const forged = await sign(generateKey('RS256', key.jwk.kid as string), {
    iss: issuer,
    aud: AUD,
    sub: 'x',
    exp: now() + 600,
    scope: 'read:pets',
  });
  assert.equal(
    (await call(jwtUrl, '/pets', { authorization: `Bearer ${forged}` })).status,
    401,
    'a token signed by another key with the same kid',
  );
  const es = generateKey('ES256');
  idp.setKeys([key.jwk, es.jwk]);
  const ecToken = await sign(es, {
    iss: issuer,
    aud: AUD,
    sub: 'x',
    exp: now() + 600,
    scope: 'read:pets',
  });
  assert.equal(
    (await call(jwtUrl, '/pets', { authorization: `Bearer ${ecToken}` })).status,
    401,
    'only RSA algorithms, as AWS documents',
  );
});

test('JWT authorizer: without aud, client_id is checked against the audiences', async () => {
  const noAud = await sign(key, {
    iss: issuer,
    client_id: AUD,
    sub: 'svc',
    exp: now() + 600,
    scope: 'read:pets',
  });
  assert.equal((await call(jwtUrl, '/pets', { authorization: `Bearer ${noAud}` })).status, 200);
  const wrongClient = await sign(key, {
    iss: issuer,
    client_id: 'someone-else',
    sub: 'svc',
    exp: now() + 600,
    scope: 'read:pets',
  });
  assert.equal(
    (await call(jwtUrl, '/pets', { authorization: `Bearer ${wrongClient}` })).status,
    401,
  );
});
