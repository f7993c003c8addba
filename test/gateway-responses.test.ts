// x-amazon-apigateway-gateway-responses over real HTTP on 127.0.0.1: statuses, header mappings
// (static, from the request), Velocity templates with $context.error.* and $context.authorizer.*,
// the DEFAULT_4XX / DEFAULT_5XX fallbacks, and the serverless/examples CORS fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiDocumentError, parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { lambdaUri } from './support/apigw.js';
import { gatewayStarter } from './support/gateway-server.js';

const proxy = (name: string): string =>
  `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri(name)}' }`;

// Shaped like serverless/examples' auth0 custom authorizer API: CORS headers on UNAUTHORIZED and
// EXPIRED_TOKEN, plus a custom ACCESS_DENIED status and fallbacks.
const API = `
openapi: 3.0.1
info: { title: responses, version: '1' }
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: '${lambdaUri('auth')}'
        authorizerResultTtlInSeconds: 0
security:
  - auth: []
x-amazon-apigateway-gateway-responses:
  UNAUTHORIZED:
    statusCode: 401
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
      gatewayresponse.header.Access-Control-Allow-Credentials: "'true'"
  EXPIRED_TOKEN:
    statusCode: 401
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
  ACCESS_DENIED:
    statusCode: '404'
    responseParameters:
      gatewayresponse.header.x-trace: method.request.header.x-trace
      gatewayresponse.header.x-q: method.request.querystring.q
      gatewayresponse.header.x-id: method.request.path.id
    responseTemplates:
      application/json: '{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId","who":"$context.authorizer.principalId","tier":"$context.authorizer.tier","missing":"$context.authorizer.nothing","stage":"$stageVariables.env"}'
      text/plain: 'denied: $context.error.message'
  INTEGRATION_FAILURE:
    statusCode: 503
    responseTemplates:
      application/json: '{"oops":"$context.error.message","type":"$context.error.responseType"}'
  REQUEST_TOO_LARGE:
    responseParameters:
      gatewayresponse.header.x-limit: "'small'"
  DEFAULT_4XX:
    statusCode: 418
    responseParameters:
      gatewayresponse.header.x-fallback: "'4xx'"
  DEFAULT_5XX:
    responseParameters:
      gatewayresponse.header.x-fallback: "'5xx'"
paths:
  /things/{id}:
    get:
      ${proxy('backend')}
  /broken:
    get:
      ${proxy('broken')}
    post:
      security: []
      ${proxy('backend')}
`;

/** TOKEN authorizer: `ok` allows, `deny` denies with a context, `bad` is a 401, anything else a 500. */
const auth: LambdaHandler = (async (event: { authorizationToken: string; methodArn: string }) => {
  const token = event.authorizationToken;
  if (token === 'bad') throw new Error('Unauthorized');
  if (token !== 'ok' && token !== 'deny') throw new Error('boom');
  return {
    principalId: 'alice',
    context: { tier: 'gold' },
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: token === 'ok' ? 'Allow' : 'Deny', Action: 'execute-api:Invoke', Resource: '*' },
      ],
    },
  };
}) as LambdaHandler;
const backend: LambdaHandler = (async () => ({ statusCode: 200, body: 'fine' })) as LambdaHandler;
const broken: LambdaHandler = (async () => {
  throw new Error('the backend fell over');
}) as LambdaHandler;

const serveApi = gatewayStarter({ auth, backend, broken });
const start = (yaml = API, maxBodyBytes?: number): Promise<string> =>
  serveApi(yaml, { stageVariables: { env: 'test' } }, maxBodyBytes ? { maxBodyBytes } : {});

test('UNAUTHORIZED carries the CORS headers the document maps, with the default body', async () => {
  const url = await start();
  for (const headers of [{}, { authorization: 'bad' }] as Record<string, string>[]) {
    const res = await fetch(`${url}/things/1`, { headers });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(
      res.headers.get('x-fallback'),
      null,
      'a customised type answers alone, without DEFAULT_4XX',
    );
    assert.equal(await res.text(), '{"message":"Unauthorized"}');
  }
});

test('ACCESS_DENIED: custom status, request values in headers, a Velocity template with $context.error and $context.authorizer', async () => {
  const url = await start();
  const res = await fetch(`${url}/things/42?q=hello`, {
    headers: { authorization: 'deny', 'x-trace': 'abc' },
  });
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('x-trace'), 'abc');
  assert.equal(res.headers.get('x-q'), 'hello');
  assert.equal(res.headers.get('x-id'), '42');
  assert.equal(res.headers.get('content-type'), 'application/json');
  const body = (await res.json()) as Record<string, string>;
  assert.equal(body.error, 'User is not authorized to access this resource with an explicit deny');
  assert.equal(body.type, 'ACCESS_DENIED');
  assert.equal(body.id, res.headers.get('x-amzn-requestid'));
  assert.equal(body.who, 'alice');
  assert.equal(body.tier, 'gold');
  assert.equal(body.missing, '', 'an undefined variable renders empty, as on API Gateway');
  assert.equal(body.stage, 'test');
});

test('the template is chosen by Accept, application/json otherwise', async () => {
  const url = await start();
  const res = await fetch(`${url}/things/1`, {
    headers: { authorization: 'deny', accept: 'text/plain' },
  });
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('content-type'), 'text/plain');
  assert.equal(
    await res.text(),
    'denied: User is not authorized to access this resource with an explicit deny',
  );
});

test('DEFAULT_4XX stands in for uncustomised 4XX types, its status included; DEFAULT_5XX for 5XX ones', async () => {
  const url = await start();
  const missing = await fetch(`${url}/nowhere`);
  assert.equal(missing.status, 418);
  assert.equal(missing.headers.get('x-fallback'), '4xx');
  assert.equal(await missing.text(), '{"message":"Missing Authentication Token"}');
  const crash = await fetch(`${url}/things/1`, { headers: { authorization: 'crash' } });
  assert.equal(crash.status, 500, 'DEFAULT_5XX sets no status: the default stays');
  assert.equal(crash.headers.get('x-fallback'), '5xx');
  assert.equal(crash.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');
  assert.equal(await crash.text(), '{"message":null}');
});

test('INTEGRATION_FAILURE is customised with its own status and template', async () => {
  const url = await start();
  const res = await fetch(`${url}/broken`, { headers: { authorization: 'ok' } });
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), {
    oops: 'Internal server error',
    type: 'INTEGRATION_FAILURE',
  });
  const fine = await fetch(`${url}/broken`, { method: 'POST' });
  assert.equal(fine.status, 200, 'integration answers are not gateway responses');
  assert.equal(fine.headers.get('x-fallback'), null);
});

test('REQUEST_TOO_LARGE from the listener is customised too', async () => {
  const url = await start(API, 16);
  const res = await fetch(`${url}/broken`, { method: 'POST', body: 'x'.repeat(64) });
  // It sets no status of its own, so DEFAULT_4XX's 418 replaces the 413, as AWS documents.
  assert.equal(res.status, 418);
  assert.equal(await res.text(), '{"message":"Request Too Long"}');
  assert.equal(res.headers.get('x-limit'), 'small');
});

test('without gateway responses the defaults are byte for byte unchanged', async () => {
  const plain = API.replace(/x-amazon-apigateway-gateway-responses:[\s\S]*?(?=paths:)/, '');
  const url = await start(plain);
  const res = await fetch(`${url}/things/1`, { headers: { authorization: 'deny' } });
  assert.equal(res.status, 403);
  assert.equal(
    await res.text(),
    '{"Message":"User is not authorized to access this resource with an explicit deny"}',
  );
});

test('types AWS raises only for features not emulated are named in a warning; bad settings are refused with their place', () => {
  const api = parseApi(API, 'api.yaml');
  const texts = (api.warnings ?? []).map((w) => w.text);
  assert.ok(
    texts.some((t) =>
      /^warning: api\.yaml:\d+:\d+: x-amazon-apigateway-gateway-responses\.EXPIRED_TOKEN never applies locally: .*SigV4/.test(
        t,
      ),
    ),
    texts.join('\n'),
  );
  const bad = (fragment: string, pattern: RegExp): void => {
    const doc = API.replace(
      'x-amazon-apigateway-gateway-responses:\n',
      `x-amazon-apigateway-gateway-responses:\n${fragment}`,
    );
    assert.throws(
      () => parseApi(doc, 'api.yaml'),
      (e: unknown) => e instanceof ApiDocumentError && pattern.test(e.message) && e.line > 0,
      fragment,
    );
  };
  bad('  NOT_A_TYPE: { statusCode: 400 }\n', /NOT_A_TYPE is not a gateway response type/);
  bad('  THROTTLED: { statusCode: 4000 }\n', /statusCode must be an HTTP status code/);
  bad(
    "  THROTTLED: { responseParameters: { 'x-header': \"'v'\" } }\n",
    /must be gatewayresponse\.header\.NAME/,
  );
  bad(
    "  THROTTLED: { responseParameters: { 'gatewayresponse.header.x': 'request.body' } }\n",
    /use a quoted literal/,
  );
  // A broken template is refused at start, not answered with a 500 at the first refusal.
  bad(
    "  THROTTLED: { responseTemplates: { application/json: '#if($x' } }\n",
    /responseTemplates.*is not a valid Velocity template/,
  );
});

test('an HTTP API ignores gateway responses, as API Gateway does, and says so', () => {
  const http = `openapi: 3.0.1\ninfo: { title: h, version: '1' }\nx-amazon-apigateway-importexport-version: '1.0'\nx-amazon-apigateway-gateway-responses:\n  UNAUTHORIZED: { statusCode: 401 }\npaths:\n  /a:\n    get:\n      ${proxy('backend')}\n`;
  const api = parseApi(http, 'http.yaml');
  assert.equal(api.gatewayResponses, undefined);
  assert.match(
    (api.warnings ?? []).map((w) => w.text).join('\n'),
    /http\.yaml:4:1: x-amazon-apigateway-gateway-responses is a REST API setting; API Gateway ignores it in an HTTP API/,
  );
});
