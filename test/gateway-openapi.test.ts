// Reading API Gateway's OpenAPI and Swagger documents: what is accepted, where errors point, and
// which operation a concrete path reaches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiDocumentError, parseApi } from '../src/gateway/openapi.js';
import { createAuthorizerCache, type AuthorizerOutput } from '../src/gateway/authorizer-cache.js';
import { clock } from './support/verifier.js';

const uri = (name: string): string =>
  `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`;
const MOCK = `x-amazon-apigateway-integration: { type: mock, responses: { default: { statusCode: '200' } } }`;

function doc(authorizer: string, paths: string): string {
  return `openapi: 3.0.1
info: { title: t, version: '1' }
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer:
${authorizer}
paths:
${paths}`;
}

const TOKEN = `        type: token\n        authorizerUri: ${uri('auth')}`;
const ONE_PATH = `  /pets:\n    get:\n      security: [{ auth: [] }]\n      ${MOCK}\n`;

function error(source: string): ApiDocumentError {
  try {
    parseApi(source, 'api.yaml');
  } catch (e) {
    assert.ok(e instanceof ApiDocumentError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('a TOKEN authorizer: header from the scheme, TTL 300 by default, function from the ARN', () => {
  const api = parseApi(doc(TOKEN, ONE_PATH), 'api.yaml');
  assert.deepEqual(api.authorizers.get('auth'), {
    name: 'auth',
    type: 'token',
    functionName: 'auth',
    identitySources: [
      { kind: 'header', name: 'Authorization', expression: 'method.request.header.Authorization' },
    ],
    validationExpression: undefined,
    ttlSeconds: 300,
    payloadFormatVersion: undefined,
    simpleResponses: false,
  });
  assert.equal(api.routes.operations[0]!.authorizer, 'auth');
});

test('errors name the file, line, column and key', () => {
  const ttl = error(doc(`${TOKEN}\n        authorizerResultTtlInSeconds: 3601`, ONE_PATH));
  assert.equal(ttl.line, 12);
  assert.equal(
    ttl.message,
    'api.yaml:12:39: components.securitySchemes.auth["x-amazon-apigateway-authorizer"].authorizerResultTtlInSeconds must be a whole number of seconds from 0 (no caching) to 3600',
  );

  const type = error(
    doc(`        type: cognito_userpools\n        authorizerUri: ${uri('auth')}`, ONE_PATH),
  );
  assert.match(
    type.message,
    /^api\.yaml:10:15: .*\.type must be "token", "request", "jwt" or "cognito_user_pools"/,
  );

  const regex = error(doc(`${TOKEN}\n        identityValidationExpression: '^(Bearer'`, ONE_PATH));
  assert.match(regex.message, /identityValidationExpression is not a valid regular expression/);

  const missing = error(doc(TOKEN, `  /pets:\n    get:\n      summary: x\n`));
  assert.match(
    missing.message,
    /^api\.yaml:15:7: paths\["\/pets"\]\.get\["x-amazon-apigateway-integration"\] is missing/,
  );

  const unknown = error(
    doc(TOKEN, `  /pets:\n    get:\n      security: [{ other: [] }]\n      ${MOCK}\n`),
  );
  assert.match(
    unknown.message,
    /security\[0\]\.other is not a security scheme defined in the document/,
  );

  const template = error(doc(TOKEN, `  /pets/{id:\n    get:\n      ${MOCK}\n`));
  assert.equal(
    template.message,
    'api.yaml:13:3: paths["/pets/{id"] has an unbalanced brace in the segment "{id"',
  );

  const dup = error(
    doc(
      TOKEN,
      `  /pets/{id}:\n    get:\n      ${MOCK}\n  /pets/{petId}:\n    get:\n      ${MOCK}\n`,
    ),
  );
  assert.match(dup.message, /repeats GET \/pets\/\{id\}/);

  const request = error(
    doc(`        type: request\n        authorizerUri: ${uri('auth')}`, ONE_PATH),
  );
  assert.match(
    request.message,
    /needs an identitySource when authorizerResultTtlInSeconds is not 0/,
  );

  const yaml = error('openapi: 3.0.1\npaths: [\n');
  assert.match(yaml.message, /^api\.yaml:\d+:\d+: is not valid YAML or JSON/);

  const version = error('openapi: 3.1.0\npaths: {}\n');
  assert.match(version.message, /^api\.yaml:1:10: openapi must be an OpenAPI 3\.0 document/);

  // Fail closed: a scheme API Gateway does not enforce does not leave the route open.
  const oauth = error(
    `openapi: 3.0.1\ncomponents:\n  securitySchemes:\n    key: { type: apiKey, in: query, name: token }\npaths:\n  /p:\n    get:\n      security: [{ key: [] }]\n      ${MOCK}\n`,
  );
  assert.match(
    oauth.message,
    /security\[0\]\.key is a security scheme API Gateway does not enforce/,
  );
  // API Gateway's own API key scheme marks the method as requiring a key.
  const keyed = parseApi(
    `openapi: 3.0.1\ncomponents:\n  securitySchemes:\n    api_key: { type: apiKey, in: header, name: x-api-key }\npaths:\n  /p:\n    get:\n      security: [{ api_key: [] }]\n      ${MOCK}\n`,
    'api.yaml',
  );
  assert.equal(keyed.routes.operations[0]!.apiKeyRequired, true);
  assert.equal(keyed.routes.operations[0]!.authorizer, undefined);
});

test('Swagger 2.0 in JSON, REQUEST authorizer with several identity sources, http_proxy and ANY', () => {
  const swagger = {
    swagger: '2.0',
    info: { title: 'sw', version: '1' },
    securityDefinitions: {
      req: {
        type: 'apiKey',
        name: 'Unused',
        in: 'header',
        'x-amazon-apigateway-authorizer': {
          type: 'request',
          authorizerUri: uri('reqauth'),
          identitySource:
            'method.request.header.HeaderAuth1, method.request.querystring.QueryString1, stageVariables.s, context.identity.sourceIp',
          authorizerResultTtlInSeconds: 0,
        },
      },
    },
    paths: {
      '/{proxy+}': {
        'x-amazon-apigateway-any-method': {
          security: [{ req: [] }],
          'x-amazon-apigateway-integration': {
            type: 'http_proxy',
            httpMethod: 'ANY',
            uri: 'http://127.0.0.1:9/{proxy}',
          },
        },
      },
    },
  };
  const api = parseApi(JSON.stringify(swagger, null, 2), 'api.json');
  const spec = api.authorizers.get('req')!;
  assert.equal(spec.ttlSeconds, 0);
  assert.deepEqual(
    spec.identitySources.map((s) => `${s.kind}:${s.name}`),
    ['header:HeaderAuth1', 'query:QueryString1', 'stageVariable:s', 'context:identity.sourceIp'],
  );
  const m = api.routes.match('DELETE', '/a/b/c')!;
  assert.equal(m.operation.method, 'ANY');
  assert.deepEqual(m.pathParameters, { proxy: 'a/b/c' });
});

test('route precedence: literal > {param} > {proxy+}, then a method > ANY', () => {
  const paths =
    ['/pets/mine', '/pets/{petId}', '/pets/{proxy+}', '/']
      .map((p) => `  ${p}:\n    get:\n      ${MOCK}\n`)
      .join('') +
    `  /pets/{petId}/toys:\n    x-amazon-apigateway-any-method:\n      ${MOCK}\n    get:\n      ${MOCK}\n`;
  const api = parseApi(doc(TOKEN, paths), 'api.yaml');
  const route = (method: string, path: string): string | undefined => {
    const m = api.routes.match(method, path);
    return m && `${m.operation.method} ${m.operation.template} ${JSON.stringify(m.pathParameters)}`;
  };
  assert.equal(route('GET', '/pets/mine'), 'GET /pets/mine {}');
  assert.equal(route('GET', '/pets/7'), 'GET /pets/{petId} {"petId":"7"}');
  assert.equal(route('GET', '/pets/7/x/y'), 'GET /pets/{proxy+} {"proxy":"7/x/y"}');
  assert.equal(route('GET', '/pets/7/toys'), 'GET /pets/{petId}/toys {"petId":"7"}');
  assert.equal(route('POST', '/pets/7/toys'), 'ANY /pets/{petId}/toys {"petId":"7"}');
  assert.equal(route('GET', '/'), 'GET / {}');
  assert.equal(route('GET', '/Pets/mine'), undefined, 'paths are case-sensitive');
  assert.equal(route('POST', '/pets/mine'), undefined);
  assert.equal(route('GET', '/pets//x'), undefined);
});

test('the result cache: per authorizer, keyed by every identity value, expiring on the injected clock', () => {
  const c = clock();
  const cache = createAuthorizerCache({ now: c.now, maxEntries: 2 });
  const out: AuthorizerOutput = {
    principalId: 'p',
    policyDocument: { Statement: [] },
    context: {},
    usageIdentifierKey: undefined,
    isAuthorized: undefined,
  };
  cache.set('a', ['t1'], 10, out, 'arn1');
  assert.equal(cache.get('a', ['t1'])?.issuedFor, 'arn1');
  assert.equal(cache.get('b', ['t1']), undefined, 'another authorizer');
  cache.set('a', ['x', 'y'], 10, out, 'arn2');
  assert.equal(cache.get('a', ['x,y']), undefined, 'values are kept apart');
  cache.set('a', ['t0'], 0, out, 'arn3');
  assert.equal(cache.get('a', ['t0']), undefined, 'TTL 0 stores nothing');
  c.advance(9_999);
  assert.ok(cache.get('a', ['t1']));
  c.advance(1);
  assert.equal(cache.get('a', ['t1']), undefined);
  cache.set('a', ['1'], 10, out, '');
  cache.set('a', ['2'], 10, out, '');
  cache.set('a', ['3'], 10, out, '');
  assert.equal(cache.get('a', ['1']), undefined, 'the oldest entry goes first');
  assert.ok(cache.get('a', ['3']));
});
