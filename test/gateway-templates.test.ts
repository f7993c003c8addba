// Mapping templates for mock and aws (Lambda, non-proxy) integrations over real HTTP on 127.0.0.1,
// rendered by velocityjs: $context (with $context.authorizer.*), $input, $util, $stageVariables;
// integration responses chosen by selection pattern; passthrough behaviours; API Gateway's errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { ApiDocumentError, parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { escapeJavaScript, urlEncode } from '../src/gateway/mapping-templates.js';
import { queryPath } from '../src/gateway/jsonpath.js';
import { lambdaUri } from './support/apigw.js';

const mock = (extra: Record<string, unknown>): Record<string, unknown> => ({
  type: 'mock',
  ...extra,
});
const aws = (fn: string, extra: Record<string, unknown>): Record<string, unknown> => ({
  type: 'aws',
  httpMethod: 'POST',
  uri: lambdaUri(fn),
  ...extra,
});
const op = (integration: Record<string, unknown>, open = true): Record<string, unknown> => ({
  ...(open ? { security: [] } : {}),
  'x-amazon-apigateway-integration': integration,
});

const TRANSFORM = `{
  "name": "$input.path('$.pet.name')",
  "bracket": "$input.path("$['pet']['name']")",
  "first": $input.json('$.tags[0]'),
  "tags": $input.json('$.tags'),
  "size": $input.path('$.tags').size(),
  "q": "$input.params('q')",
  "h": "$input.params('X-Custom')",
  "id": "$input.params('id')",
  "all": {#foreach($type in $input.params().keySet())"$type": {#foreach($k in $input.params().get($type).keySet())#if($k != 'Host' && $k != 'host')"$k": "$util.escapeJavaScript($input.params().get($type).get($k))"#if($foreach.hasNext),#end#end#end}#if($foreach.hasNext),#end#end},
  "escaped": "$util.escapeJavaScript($input.path('$.quote'))",
  "enc": "$util.urlEncode('a b&c/~')",
  "dec": "$util.urlDecode('a+b%26c')",
  "b64": "$util.base64Encode('hi')",
  "unb64": "$util.base64Decode('aGk=')",
  "parsed": "$util.parseJson('{"k":"v"}').k",
  "stageVar": "$stageVariables.env",
  "missing": "$input.params('nope')$context.nothing.here",
  "len": $input.path('$.pet.name').length(),
  "raw": "$util.escapeJavaScript($input.body)"
}`;

const doc = {
  openapi: '3.0.1',
  info: { title: 'templates', version: '1' },
  components: {
    securitySchemes: {
      auth: {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        'x-amazon-apigateway-authorizer': {
          type: 'token',
          authorizerUri: lambdaUri('auth'),
          authorizerResultTtlInSeconds: 0,
        },
      },
    },
  },
  security: [{ auth: [] }],
  paths: {
    '/issue': {
      get: op(
        mock({
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          responses: {
            default: {
              statusCode: '200',
              responseTemplates: { 'application/json': '{"p":"$context.authorizer.principalId"}' },
            },
          },
        }),
        false,
      ),
    },
    '/whoami': {
      get: op(
        mock({
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          responses: {
            default: {
              statusCode: '200',
              responseParameters: {
                'method.response.header.X-Principal': 'context.authorizer.principalId',
                'method.response.header.X-Env': 'stageVariables.env',
                'method.response.header.X-Fixed': "'yes'",
              },
              responseTemplates: {
                'application/json':
                  '{"p":"$context.authorizer.principalId","tier":"$context.authorizer.tier","n":"$context.authorizer.n","admin":"$context.authorizer.admin","method":"$context.httpMethod","resource":"$context.resourcePath","stage":"$context.stage","ip":"$context.identity.sourceIp","rid":"$context.requestId"}',
                'text/plain': 'hello $context.authorizer.principalId',
              },
            },
          },
        }),
        false,
      ),
    },
    '/status/{code}': {
      get: op(
        mock({
          requestTemplates: { 'application/json': '{"statusCode": $input.params(\'code\')}' },
          responses: {
            default: {
              statusCode: '200',
              responseTemplates: { 'application/json': '{"ok":true}' },
            },
            '4\\d{2}': {
              statusCode: '404',
              responseParameters: { 'method.response.header.X-Reason': "'not-found'" },
              responseTemplates: { 'application/json': '{"missing":"$input.params(\'code\')"}' },
            },
          },
        }),
      ),
    },
    '/no-default': {
      get: op(
        mock({
          requestTemplates: { 'application/json': '{"statusCode": 500}' },
          responses: { '2\\d{2}': { statusCode: '200' } },
        }),
      ),
    },
    '/transform/{id}': {
      post: op(
        aws('echo', {
          requestTemplates: { 'application/json': TRANSFORM },
          responses: {
            default: {
              statusCode: '200',
              responseTemplates: {
                'application/json':
                  '{"from":"lambda","name":"$input.path(\'$.name\')","event":$input.json(\'$\')}',
              },
            },
          },
        }),
      ),
    },
    '/fail/{kind}': {
      get: op(
        aws('failer', {
          requestTemplates: { 'application/json': '{"kind":"$input.params(\'kind\')"}' },
          responses: {
            default: { statusCode: '200' },
            'NotFound:.*': {
              statusCode: '404',
              responseParameters: {
                'method.response.header.X-Error-Type': 'integration.response.body.errorType',
              },
              responseTemplates: {
                'application/json': '{"error":"$input.path(\'$.errorMessage\')"}',
              },
            },
            Gone: { statusCode: '410' },
          },
        }),
      ),
    },
    '/never': {
      post: op(
        mock({
          passthroughBehavior: 'NEVER',
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          responses: { default: { statusCode: '200' } },
        }),
      ),
    },
    '/no-templates': {
      post: op(
        mock({
          passthroughBehavior: 'WHEN_NO_TEMPLATES',
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          responses: { default: { statusCode: '200' } },
        }),
      ),
    },
    '/passthrough': {
      post: op(
        aws('echo', {
          requestTemplates: { 'application/json': '{"templated":true}' },
          responses: { default: { statusCode: '200' } },
        }),
      ),
    },
  },
};

const authorizer: LambdaHandler = async (event: {
  authorizationToken: string;
  methodArn: string;
}) => {
  if (event.authorizationToken !== 'good') throw new Error('Unauthorized');
  return {
    principalId: 'alice',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }],
    },
    context: { tier: 'gold', n: 7, admin: true },
  };
};
const echo: LambdaHandler = async (event: unknown) => event;
const failer: LambdaHandler = async (event: { kind: string }) => {
  if (event.kind === 'ok') return { fine: true };
  throw new Error(
    event.kind === 'missing'
      ? 'NotFound: pet missing'
      : event.kind === 'gone'
        ? 'Gone'
        : event.kind === 'gone-forever'
          ? 'Gone forever'
          : 'Boom',
  );
};

let server: GatewayServer;
let url: string;
const logs: Record<string, unknown>[] = [];

before(async () => {
  const api = parseApi(JSON.stringify(doc), 'templates.json');
  const gateway = createGateway({
    api,
    functions: new Map([
      ['auth', authorizer],
      ['echo', echo],
      ['failer', failer],
    ]),
    stageVariables: { env: 'test' },
    log: (e) => logs.push(e),
  });
  server = createGatewayServer(gateway);
  ({ url } = await server.listen(0, '127.0.0.1'));
});
after(() => server.close());

async function call(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${url}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

test('the issue: a mock template {"p":"$context.authorizer.principalId"} renders the principal', async () => {
  const r = await call('/issue', { headers: { authorization: 'good' } });
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"p":"alice"}');
  assert.equal(r.headers.get('content-type'), 'application/json');
});

test('$context: the authorizer output stringified, the request, the stage, the source IP; header parameters from context and stage variables', async () => {
  const r = await call('/whoami', { headers: { authorization: 'good' } });
  assert.equal(r.status, 200);
  const body = JSON.parse(r.text) as Record<string, string>;
  assert.deepEqual(
    {
      p: body.p,
      tier: body.tier,
      n: body.n,
      admin: body.admin,
      method: body.method,
      resource: body.resource,
      stage: body.stage,
      ip: body.ip,
    },
    {
      p: 'alice',
      tier: 'gold',
      n: '7',
      admin: 'true',
      method: 'GET',
      resource: '/whoami',
      stage: 'local',
      ip: '127.0.0.1',
    },
  );
  assert.equal(body.rid, r.headers.get('x-amzn-requestid'));
  assert.equal(r.headers.get('x-principal'), 'alice');
  assert.equal(r.headers.get('x-env'), 'test');
  assert.equal(r.headers.get('x-fixed'), 'yes');
});

test('the response template follows the first Accept type', async () => {
  const r = await call('/whoami', { headers: { authorization: 'good', accept: 'text/plain' } });
  assert.equal(r.text, 'hello alice');
  assert.equal(r.headers.get('content-type'), 'text/plain');
  assert.equal(
    (await call('/whoami', { headers: { authorization: 'bad' } })).status,
    401,
    'the authorizer still guards mock routes',
  );
});

test('a mock: the request template selects the status; selection patterns match the whole status code', async () => {
  const ok = await call('/status/200');
  assert.equal(ok.status, 200);
  assert.equal(ok.text, '{"ok":true}');
  const missing = await call('/status/404');
  assert.equal(missing.status, 404);
  assert.equal(missing.text, '{"missing":"404"}');
  assert.equal(missing.headers.get('x-reason'), 'not-found');
  assert.equal((await call('/status/201')).status, 200, '201 matches no pattern: default');
});

test('no matching integration response and no default: 500, with the reason in the log', async () => {
  const r = await call('/no-default');
  assert.equal(r.status, 500);
  assert.equal(r.text, '{"message": "Internal server error"}');
  assert.match(
    String(logs.filter((l) => l.event === 'request').at(-1)?.integrationError),
    /no integration response matches "500"/,
  );
});

test('an aws Lambda integration: the request template builds the event from $input, $util, $stageVariables; the response template maps the result', async () => {
  const body = { pet: { name: 'Rex' }, tags: ['a', 'b'], quote: 'say "hi" / \n' };
  const r = await call('/transform/42?q=search', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-custom': 'custom-value' },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, r.text);
  const out = JSON.parse(r.text) as { from: string; name: string; event: Record<string, unknown> };
  assert.equal(out.from, 'lambda');
  assert.equal(out.name, 'Rex');
  const e = out.event;
  assert.equal(e.name, 'Rex');
  assert.equal(e.bracket, 'Rex');
  assert.equal(e.first, 'a');
  assert.deepEqual(e.tags, ['a', 'b']);
  assert.equal(e.size, 2);
  assert.equal(e.q, 'search');
  assert.equal(e.h, 'custom-value');
  assert.equal(e.id, '42');
  const all = e.all as Record<string, Record<string, string>>;
  assert.deepEqual(all.path, { id: '42' });
  assert.deepEqual(all.querystring, { q: 'search' });
  assert.equal(all.header!['x-custom'], 'custom-value');
  assert.equal(
    e.escaped,
    body.quote,
    'escapeJavaScript output is a valid JSON string body (without single quotes)',
  );
  assert.equal(e.enc, 'a+b%26c%2F%7E');
  assert.equal(e.dec, 'a b&c');
  assert.equal(e.b64, 'aGk=');
  assert.equal(e.unb64, 'hi');
  assert.equal(e.parsed, 'v');
  assert.equal(e.stageVar, 'test');
  assert.equal(e.missing, '', 'undefined references render as nothing');
  assert.equal(e.len, 3, 'Java String methods on strings');
  assert.equal(e.raw, JSON.stringify(body));
});

test('a Lambda error: its errorMessage selects the integration response by whole-string match; unmatched errors take the default', async () => {
  const missing = await call('/fail/missing');
  assert.equal(missing.status, 404);
  assert.equal(missing.text, '{"error":"NotFound: pet missing"}');
  assert.equal(missing.headers.get('x-error-type'), 'Error');
  assert.equal((await call('/fail/gone')).status, 410);
  const forever = await call('/fail/gone-forever');
  assert.equal(
    forever.status,
    200,
    '"Gone" does not match "Gone forever": the pattern must match the whole message',
  );
  assert.deepEqual(JSON.parse(forever.text), { errorMessage: 'Gone forever', errorType: 'Error' });
  const ok = await call('/fail/ok');
  assert.equal(ok.status, 200);
  assert.equal(ok.text, '{"fine":true}', 'no response template: the result passes through');
});

test('passthroughBehavior: NEVER and WHEN_NO_TEMPLATES refuse an unmatched Content-Type with 415; WHEN_NO_MATCH passes the body through', async () => {
  const never = await call('/never', {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'x',
  });
  assert.equal(never.status, 415);
  assert.equal(never.text, '{"message": "Unsupported Media Type"}');
  assert.equal(never.headers.get('x-amzn-errortype'), 'UnsupportedMediaTypeException');
  assert.equal(
    (
      await call('/never', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).status,
    200,
  );
  assert.equal(
    (await call('/never', { method: 'POST' })).status,
    200,
    'no Content-Type reads as application/json',
  );
  assert.equal(
    (
      await call('/no-templates', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      })
    ).status,
    415,
  );
  const through = await call('/passthrough', {
    method: 'POST',
    headers: { 'content-type': 'application/x-custom' },
    body: '{"raw":1}',
  });
  assert.equal(through.status, 200);
  assert.equal(through.text, '{"raw":1}');
  const templated = await call('/passthrough', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"raw":1}',
  });
  assert.equal(templated.text, '{"templated":true}');
});

test("a template reading a body that is not JSON: 400 with API Gateway's message", async () => {
  const r = await call('/transform/1', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{not json',
  });
  assert.equal(r.status, 400);
  assert.match(
    (JSON.parse(r.text) as { message: string }).message,
    /^Could not parse request body into json: /,
  );
});

test('documents with bad mapping settings are refused at load, naming the setting', () => {
  const withOp = (integration: Record<string, unknown>): string =>
    JSON.stringify({ ...doc, paths: { '/x': { get: op(integration) } } });
  const refused = (integration: Record<string, unknown>, pattern: RegExp): void =>
    assert.throws(
      () => parseApi(withOp(integration), 'bad.json'),
      (e: unknown) => e instanceof ApiDocumentError && pattern.test(e.message),
    );
  refused(
    mock({ requestTemplates: { 'application/json': '#if($x' } }),
    /requestTemplates.*application\/json.*not a valid Velocity template/,
  );
  refused(
    mock({
      responses: {
        default: { responseParameters: { 'method.response.header.X': 'method.request.body' } },
      },
    }),
    /responseParameters.*quoted literal/,
  );
  refused(mock({ passthroughBehavior: 'SOMETIMES' }), /passthroughBehavior.*WHEN_NO_MATCH/);
  refused(mock({ responses: { '(': { statusCode: '400' } } }), /not a valid selection pattern/);
  refused(
    { type: 'aws', uri: 'arn:aws:apigateway:us-east-1:s3:path/bucket/key' },
    /emulated for Lambda only/,
  );
  refused(
    mock({ responses: { default: { statusCode: '200', contentHandling: 'CONVERT_TO_TEXT' } } }),
    /contentHandling.*not emulated/,
  );
});

test('escapeJavaScript, urlEncode and the JSONPath subset', () => {
  assert.equal(escapeJavaScript(`a'b"c\\d/e\n\té`), `a\\'b\\"c\\\\d\\/e\\n\\t\\u00E9`);
  assert.equal(urlEncode('a b*~.-_!'), 'a+b*%7E.-_%21');
  const data = { a: { b: [10, 20, { c: 'x' }] }, 'odd key': 1 };
  assert.deepEqual(queryPath(data, '$'), data);
  assert.equal(queryPath(data, '$.a.b[1]'), 20);
  assert.equal(queryPath(data, '$.a.b[-1].c'), 'x');
  assert.equal(queryPath(data, "$['odd key']"), 1);
  assert.deepEqual(queryPath(data, '$.a.b[*]'), [10, 20, { c: 'x' }]);
  assert.equal(queryPath(data, '$.nope.deeper'), undefined);
  assert.throws(() => queryPath(data, '$..c'), /not supported/);
});

test('mapping failures are gateway responses the document can customise: UNSUPPORTED_MEDIA_TYPE, API_CONFIGURATION_ERROR, BAD_REQUEST_BODY', async () => {
  const customised = {
    ...doc,
    'x-amazon-apigateway-gateway-responses': {
      UNSUPPORTED_MEDIA_TYPE: {
        statusCode: '400',
        responseTemplates: { 'application/json': '{"unsupported":"$context.error.responseType"}' },
      },
      API_CONFIGURATION_ERROR: {
        responseParameters: { 'gatewayresponse.header.x-config': "'broken'" },
      },
      BAD_REQUEST_BODY: {
        responseTemplates: { 'application/json': '{"bad":$context.error.messageString}' },
      },
    },
  };
  const gateway = createGateway({
    api: parseApi(JSON.stringify(customised), 'custom.json'),
    functions: new Map([
      ['auth', authorizer],
      ['echo', echo],
      ['failer', failer],
    ]),
    log: () => {},
  });
  const custom = createGatewayServer(gateway);
  const { url: base } = await custom.listen(0, '127.0.0.1');
  try {
    const media = await fetch(`${base}/never`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.equal(media.status, 400);
    assert.equal(await media.text(), '{"unsupported":"UNSUPPORTED_MEDIA_TYPE"}');
    const config = await fetch(`${base}/no-default`);
    assert.equal(config.status, 500);
    assert.equal(config.headers.get('x-config'), 'broken');
    const body = await fetch(`${base}/transform/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(body.status, 400);
    assert.match(
      ((await body.json()) as { bad: string }).bad,
      /^Could not parse request body into json: /,
    );
  } finally {
    await custom.close();
  }
});
