// x-amazon-apigateway-cors on an HTTP API over real HTTP on 127.0.0.1: the gateway answers
// preflights itself without the authorizer, adds the configured headers to every answer (its own
// 401s included) and drops the integration's; origins not allowed get no CORS headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiDocumentError, parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { lambdaUri } from './support/apigw.js';
import { gatewayStarter } from './support/gateway-server.js';

const proxy = `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('backend')}', payloadFormatVersion: '2.0' }`;

const api = (cors: string, extraPaths = ''): string => `
openapi: 3.0.1
info: { title: cors, version: '1' }
x-amazon-apigateway-importexport-version: '1.0'
x-amazon-apigateway-cors:
${cors}
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: '${lambdaUri('auth')}'
        authorizerPayloadFormatVersion: '2.0'
        enableSimpleResponses: true
        identitySource: '$request.header.Authorization'
security:
  - auth: []
paths:
  /pets:
    get:
      ${proxy}
    post:
      ${proxy}
${extraPaths}`;

const CORS = `  allowOrigins: ['https://app.example.com', 'http://*']
  allowMethods: [GET, POST]
  allowHeaders: [authorization, content-type]
  exposeHeaders: [x-request-id]
  maxAge: 600
  allowCredentials: true`;

let authorizerCalls = 0;
const auth: LambdaHandler = (async (event: { headers?: Record<string, string> }) => {
  authorizerCalls++;
  return { isAuthorized: event.headers?.authorization === 'ok' };
}) as LambdaHandler;
// The backend sets CORS headers of its own, which API Gateway ignores when CORS is configured.
const backend: LambdaHandler = (async () => ({
  statusCode: 200,
  headers: {
    'access-control-allow-origin': 'https://evil.example',
    'x-request-id': 'r1',
    vary: 'Accept',
  },
  body: 'pets',
})) as LambdaHandler;

const start = gatewayStarter({ auth, backend });

const preflight = (url: string, origin: string): Promise<Response> =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    },
  });

test('a preflight is answered by the gateway (204), without the authorizer, where no route takes OPTIONS', async () => {
  const url = await start(api(CORS));
  authorizerCalls = 0;
  const res = await preflight(`${url}/pets`, 'https://app.example.com');
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET,POST');
  assert.equal(res.headers.get('access-control-allow-headers'), 'authorization,content-type');
  assert.equal(res.headers.get('access-control-max-age'), '600');
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(res.headers.get('vary'), 'Origin');
  assert.equal(await res.text(), '');
  assert.equal(authorizerCalls, 0, 'a preflight never reaches the authorizer');
  // Even for a path without routes.
  assert.equal(
    (await preflight(`${url}/nowhere`, 'http://localhost:5173')).headers.get(
      'access-control-allow-origin',
    ),
    'http://localhost:5173',
  );
});

test('an origin that is not allowed gets a 204 preflight and answers without CORS headers', async () => {
  const url = await start(api(CORS));
  const pre = await preflight(`${url}/pets`, 'https://other.example.com');
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  assert.equal(pre.headers.get('access-control-allow-methods'), null);
  const get = await fetch(`${url}/pets`, {
    headers: { origin: 'https://other.example.com', authorization: 'ok' },
  });
  assert.equal(get.status, 200);
  assert.equal(
    get.headers.get('access-control-allow-origin'),
    null,
    "the integration's own CORS header is dropped too",
  );
});

test("responses carry the configured headers, not the integration's; the gateway's 401 and 403 too", async () => {
  const url = await start(api(CORS));
  const ok = await fetch(`${url}/pets`, {
    headers: { origin: 'https://app.example.com', authorization: 'ok' },
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
  assert.equal(ok.headers.get('access-control-expose-headers'), 'x-request-id');
  assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(ok.headers.get('vary'), 'Accept, Origin');
  assert.equal(await ok.text(), 'pets');
  for (const [authorization, status] of [
    [undefined, 401],
    ['no', 403],
  ] as const) {
    const refused = await fetch(`${url}/pets`, {
      headers: { origin: 'https://app.example.com', ...(authorization ? { authorization } : {}) },
    });
    assert.equal(refused.status, status);
    assert.equal(
      refused.headers.get('access-control-allow-origin'),
      'https://app.example.com',
      `CORS headers on the ${status}`,
    );
  }
  const plain = await fetch(`${url}/pets`, { headers: { authorization: 'ok' } });
  assert.equal(
    plain.headers.get('access-control-allow-origin'),
    null,
    'no Origin, no CORS headers',
  );
});

test('allowOrigins * answers *; a route that takes OPTIONS (ANY, $default) gets the preflight instead', async () => {
  const star = `  allowOrigins: ['*']\n  allowMethods: ['*']`;
  const withAny = api(star, `  /things:\n    x-amazon-apigateway-any-method:\n      ${proxy}\n`);
  const url = await start(withAny);
  const pre = await preflight(`${url}/pets`, 'https://anyone.example');
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.equal(pre.headers.get('vary'), null);
  authorizerCalls = 0;
  // As AWS users find (an ANY route with an authorizer guards its preflights): the route answers.
  const guarded = await preflight(`${url}/things`, 'https://anyone.example');
  assert.equal(guarded.status, 401);
  assert.equal(guarded.headers.get('access-control-allow-origin'), '*');
});

test('settings AWS refuses stop the start with their place; a REST API ignores the extension with a warning', () => {
  const refused = (cors: string, pattern: RegExp): void =>
    assert.throws(
      () => parseApi(api(cors), 'api.yaml'),
      (e: unknown) => e instanceof ApiDocumentError && pattern.test(e.message) && e.line > 0,
      cors,
    );
  refused(
    `  allowOrigins: ['*']\n  allowCredentials: true`,
    /allowCredentials cannot be true when allowOrigins contains "\*"/,
  );
  refused(
    `  allowOrigins: ['https://app.example.com/path']`,
    /allowOrigins\[0\] must be \*, http:\/\/\*, https:\/\/\*/,
  );
  refused(`  allowOrigins: ['*']\n  maxAge: 100000`, /maxAge must be a whole number/);
  const rest = parseApi(
    `openapi: 3.0.1\ninfo: { title: r, version: '1' }\nx-amazon-apigateway-cors: { allowOrigins: ['*'] }\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: { type: mock }\n`,
    'rest.yaml',
  );
  assert.equal(rest.cors, undefined);
  assert.match(
    (rest.warnings ?? []).map((w) => w.text).join('\n'),
    /rest\.yaml:3:1: x-amazon-apigateway-cors is an HTTP API setting/,
  );
});
