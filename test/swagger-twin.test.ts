// Swagger 2.0 documents as API Gateway imports them, against their OpenAPI 3.0 twins over real HTTP:
// the same answers (status, body, the headers that matter) and the same events to the authorizer and
// the backend, basePath included under each import mode; requests with or without the stage as
// their first path segment, as invoke URLs carry it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway, type GatewayOptions } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { parseApi, ApiDocumentError, type ImportOptions } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { lambdaUri } from './support/apigw.js';

const proxy = (fn: string): Record<string, unknown> => ({
  type: 'aws_proxy',
  httpMethod: 'POST',
  uri: lambdaUri(fn),
  passthroughBehavior: 'when_no_match',
});
const authorizer = {
  type: 'token',
  authorizerUri: lambdaUri('auth'),
  authorizerResultTtlInSeconds: 0,
};

// The paths both documents share; Swagger's operations carry `produces` and schema refs, as the
// Auth0 tutorial's PetStore and serverless/examples' documents do.
function paths(swagger: boolean): Record<string, unknown> {
  const ok = swagger
    ? { '200': { description: 'OK', schema: { $ref: '#/definitions/Empty' } } }
    : {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Empty' } } },
        },
      };
  const op = (fn: string, secured: boolean): Record<string, unknown> => ({
    ...(swagger ? { produces: ['application/json'] } : {}),
    responses: ok,
    ...(secured ? {} : { security: [] }),
    'x-amazon-apigateway-integration': proxy(fn),
  });
  const petId = swagger
    ? { name: 'petId', in: 'path', required: true, type: 'string' }
    : { name: 'petId', in: 'path', required: true, schema: { type: 'string' } };
  return {
    '/public': { get: op('backend', false) },
    '/private': { get: op('backend', true) },
    '/pets': { get: op('backend', true), post: op('backend', true) },
    '/pets/{petId}': { parameters: [petId], get: op('backend', true) },
  };
}

const scheme = {
  type: 'apiKey',
  name: 'Authorization',
  in: 'header',
  'x-amazon-apigateway-authtype': 'custom',
  'x-amazon-apigateway-authorizer': authorizer,
};

function swaggerDoc(basePath: string): string {
  return JSON.stringify({
    swagger: '2.0',
    info: { title: 'PetStore', version: '1.0' },
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    basePath,
    schemes: ['https'],
    securityDefinitions: { auth0: scheme },
    security: [{ auth0: [] }],
    paths: paths(true),
    definitions: { Empty: { type: 'object', title: 'Empty Schema' } },
  });
}

function openApiDoc(basePath: string): string {
  return JSON.stringify({
    openapi: '3.0.1',
    info: { title: 'PetStore', version: '1.0' },
    servers: [
      {
        url: 'https://abc123.execute-api.us-east-1.amazonaws.com/{basePath}',
        variables: { basePath: { default: basePath.replace(/^\//, '') } },
      },
    ],
    components: {
      securitySchemes: { auth0: scheme },
      schemas: { Empty: { type: 'object', title: 'Empty Schema' } },
    },
    security: [{ auth0: [] }],
    paths: paths(false),
  });
}

// What each function received, per gateway, in order.
function functions(seen: unknown[]): Map<string, LambdaHandler> {
  const auth: LambdaHandler = (async (event: { authorizationToken: string; methodArn: string }) => {
    seen.push({ authorizer: event });
    if (event.authorizationToken === 'bad') throw new Error('Unauthorized');
    const effect = event.authorizationToken === 'deny' ? 'Deny' : 'Allow';
    return {
      principalId: 'user-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: effect, Action: 'execute-api:Invoke', Resource: event.methodArn }],
      },
      context: { tier: 'gold', n: 1 },
    };
  }) as LambdaHandler;
  const backend: LambdaHandler = (async (event: Record<string, unknown>) => {
    seen.push({ backend: event });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: event.path, resource: event.resource }),
    };
  }) as LambdaHandler;
  return new Map([
    ['auth', auth],
    ['backend', backend],
  ]);
}

const servers: GatewayServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(
  doc: string,
  importOptions: ImportOptions,
  extra: Partial<GatewayOptions>,
  seen: unknown[],
): Promise<string> {
  const gateway = createGateway({
    api: parseApi(doc, 'api.json', importOptions),
    functions: functions(seen),
    log: () => {},
    ...extra,
  });
  const server = createGatewayServer(gateway);
  servers.push(server);
  return (await server.listen(0)).url;
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly body?: string;
}

/** An answer without what differs on every request (ids, times, latencies, the local port). */
async function answer(url: string, r: Request): Promise<Record<string, unknown>> {
  const res = await fetch(url + r.path, {
    method: r.method,
    headers: { ...(r.token ? { authorization: r.token } : {}), 'content-type': 'application/json' },
    ...(r.body ? { body: r.body } : {}),
  });
  const keep = [
    'content-type',
    'x-amzn-errortype',
    'www-authenticate',
    'access-control-allow-origin',
  ];
  return {
    status: res.status,
    body: await res.text(),
    headers: Object.fromEntries(keep.map((h) => [h, res.headers.get(h)])),
  };
}

const VOLATILE = new Set([
  'requestId',
  'extendedRequestId',
  'requestTime',
  'requestTimeEpoch',
  'integrationLatency',
  'Host',
  'host',
  'domainName',
]);
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !VOLATILE.has(k))
      .map(([k, v]) => [k, stable(v)]),
  );
}

/** Sends the table to the Swagger document and its twin; both answer and deliver the same. */
async function twins(
  basePath: string,
  importOptions: ImportOptions,
  extra: Partial<GatewayOptions>,
  table: readonly Request[],
): Promise<Record<string, unknown>[]> {
  const seenSwagger: unknown[] = [];
  const seenOpenApi: unknown[] = [];
  const swaggerUrl = await start(swaggerDoc(basePath), importOptions, extra, seenSwagger);
  const openApiUrl = await start(openApiDoc(basePath), importOptions, extra, seenOpenApi);
  const answers: Record<string, unknown>[] = [];
  for (const r of table) {
    const a = await answer(swaggerUrl, r);
    assert.deepEqual(a, await answer(openApiUrl, r), `${r.method} ${r.path} ${r.token ?? ''}`);
    answers.push(a);
  }
  assert.ok(
    seenSwagger.length > 0 || answers.every((a) => a.status === 403),
    'the functions ran for the requests that routed',
  );
  assert.deepEqual(
    stable(seenSwagger),
    stable(seenOpenApi),
    'the authorizer and the backend received the same events',
  );
  return answers;
}

const TABLE: readonly Request[] = [
  { method: 'GET', path: '/public' },
  { method: 'GET', path: '/private', token: 'allow' },
  { method: 'GET', path: '/private' },
  { method: 'GET', path: '/private', token: 'deny' },
  { method: 'GET', path: '/private', token: 'bad' },
  { method: 'GET', path: '/pets/42?x=1&x=2', token: 'allow' },
  { method: 'POST', path: '/pets', token: 'allow', body: '{"name":"Rex"}' },
  { method: 'DELETE', path: '/pets', token: 'allow' },
  { method: 'GET', path: '/nope' },
];

test('a Swagger 2.0 document answers as its OpenAPI 3.0 twin: basePath ignored, as API Gateway imports by default', async () => {
  const answers = await twins('/api', {}, {}, [
    ...TABLE,
    { method: 'GET', path: '/api/private', token: 'allow' },
  ]);
  // /api/private: with the base path ignored, `api` is read as a stage in the URL (no stage configured).
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 401, 403, 401, 200, 200, 403, 403, 200],
  );
  assert.equal(answers[1]!.body, '{"path":"/private","resource":"/private"}');
  assert.equal(
    (answers[7]!.headers as Record<string, string>)['x-amzn-errortype'],
    'MissingAuthenticationTokenException',
    'no DELETE on /pets',
  );
});

test('basePath prepended or split: the routes are served under it, in both documents alike', async () => {
  const prepended = await twins('/api', { basePath: 'prepend' }, {}, [
    { method: 'GET', path: '/api/private', token: 'allow' },
    { method: 'GET', path: '/private', token: 'allow' },
    { method: 'GET', path: '/api/pets/7', token: 'allow' },
  ]);
  assert.deepEqual(
    prepended.map((a) => a.status),
    [200, 403, 200],
  );
  assert.equal(prepended[2]!.body, '{"path":"/api/pets/7","resource":"/api/pets/{petId}"}');
  // split: the base path's first segment is dropped, the rest prepended (/v1/api → /api/...).
  const split = await twins('/v1/api', { basePath: 'split' }, {}, [
    { method: 'GET', path: '/api/private', token: 'allow' },
    { method: 'GET', path: '/v1/api/private', token: 'allow' },
  ]);
  // /v1/api/private: `v1` is read as the stage in the URL, which is what split is for.
  assert.deepEqual(
    split.map((a) => a.status),
    [200, 200],
  );
  const configured = await twins('/v1/api', { basePath: 'split' }, { stage: 'prod' }, [
    { method: 'GET', path: '/v1/api/private', token: 'allow' },
  ]);
  assert.equal(configured[0]!.status, 403, 'with a stage configured, only it is a prefix');
});

test('the stage as the first path segment routes like the unprefixed path, with that stage in the ARN and the event', async () => {
  // No stage configured: a first segment that is no route of its own is taken as the stage.
  const seen: unknown[] = [];
  const url = await start(openApiDoc('/api'), {}, {}, seen);
  for (const path of ['/pets', '/prod/pets'])
    assert.equal((await answer(url, { method: 'GET', path, token: 'allow' })).status, 200, path);
  const [unprefixed, prefixed] = seen.filter((s) => 'authorizer' in (s as object)) as {
    authorizer: { methodArn: string };
  }[];
  assert.match(unprefixed!.authorizer.methodArn, /\/local\/GET\/pets$/);
  assert.match(prefixed!.authorizer.methodArn, /\/prod\/GET\/pets$/, 'the stage the URL names');
  const backendEvent = (
    seen.at(-1) as { backend: { path: string; requestContext: { stage: string; path: string } } }
  ).backend;
  assert.deepEqual(
    [backendEvent.path, backendEvent.requestContext.stage, backendEvent.requestContext.path],
    ['/pets', 'prod', '/prod/pets'],
  );

  // A configured stage: only it is a prefix; the twins agree on the prefixed and unprefixed forms.
  const answers = await twins('/api', { basePath: 'prepend' }, { stage: 'dev' }, [
    { method: 'GET', path: '/dev/api/private', token: 'allow' },
    { method: 'GET', path: '/api/private', token: 'allow' },
    { method: 'GET', path: '/prod/api/private', token: 'allow' },
    { method: 'GET', path: '/dev/public' },
  ]);
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 403, 403],
  );
  assert.equal(answers[0]!.body, answers[1]!.body);
});

test('base paths are read as API Gateway reads them, and a bad one is refused with its position', () => {
  const base = (
    doc: Record<string, unknown>,
    options: ImportOptions = { basePath: 'prepend' },
  ): string[] =>
    parseApi(
      JSON.stringify({
        info: { title: 't' },
        paths: { '/x': { get: { 'x-amazon-apigateway-integration': { type: 'mock' } } } },
        ...doc,
      }),
      'api.json',
      options,
    ).routes.operations.map((o) => o.template);
  assert.deepEqual(base({ swagger: '2.0', basePath: '/v1/' }), ['/v1/x']);
  assert.deepEqual(base({ swagger: '2.0', basePath: '/' }), ['/x'], '/ is no base path');
  assert.deepEqual(
    base({ openapi: '3.0.1', servers: [{ url: 'https://api.example.com/stage/v2' }] }),
    ['/stage/v2/x'],
    "the server url's path",
  );
  assert.deepEqual(
    base({
      openapi: '3.0.1',
      servers: [
        { url: 'https://api.example.com/ignored' },
        { url: 'https://x/{basePath}', variables: { basePath: { default: '/v3' } } },
      ],
    }),
    ['/v3/x'],
    'a basePath variable wins',
  );
  assert.deepEqual(base({ openapi: '3.0.1', servers: [{ url: 'https://api.example.com' }] }), [
    '/x',
  ]);
  assert.deepEqual(base({ swagger: '2.0', basePath: '/v1' }, {}), ['/x'], 'ignore is the default');
  const api = parseApi(
    JSON.stringify({
      swagger: '2.0',
      basePath: '/v1',
      info: { title: 't' },
      paths: { '/x': { get: { 'x-amazon-apigateway-integration': { type: 'mock' } } } },
    }),
    'api.json',
  );
  assert.deepEqual(
    [api.basePath, api.basePathMode],
    ['/v1', 'ignore'],
    'the base path is reported even when ignored',
  );
  assert.throws(
    () => base({ swagger: '2.0', basePath: 'v1' }),
    (e: unknown) =>
      e instanceof ApiDocumentError &&
      /basePath must be a path starting with \//.test(e.message) &&
      e.line > 0,
  );
  assert.throws(
    () => base({ swagger: '2.0', basePath: '/v 1' }),
    (e: unknown) => e instanceof ApiDocumentError && /resource paths are segments/.test(e.message),
  );
});
