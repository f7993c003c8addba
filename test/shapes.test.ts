// Event shapes: detection, token sources, method and path, and each shape's answer, on typed base
// events spread per case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { APIGatewayAuthorizerResult, Statement } from 'aws-lambda';
import {
  detectShape,
  EventShapeError,
  extractRequest,
  formatResponse,
  httpV1,
  httpV2,
  MAX_RESULT_BYTES,
  restRequest,
  restToken,
  SHAPES,
  websocket,
  type AuthorizerResult,
  type AuthRequest,
  type DecidedOutcome,
  type FormatInfo,
  type FormatOptions,
  type Formatted,
  type Outcome,
  type Shape,
} from '../src/aws/shapes/index.js';
import {
  DEFAULT_TOKEN_SOURCE,
  parseTokenSource,
  TokenSourceError,
  type TokenSource,
} from '../src/aws/token-source.js';
import { UNAUTHORIZED } from '../src/aws/bearer.js';
import { jsonBytesBound } from '../src/aws/shapes/result.js';
import { evaluate } from './support/iam.js';
import {
  ACCOUNT,
  httpV1Event,
  httpV2Event,
  restRequestEvent,
  restTokenEvent,
  TOKEN,
  websocketConnectEvent,
} from './fixtures/events.js';

const FIXTURES: ReadonlyArray<readonly [Shape, unknown]> = [
  ['rest-token', restTokenEvent],
  ['rest-request', restRequestEvent],
  ['http-v1', httpV1Event],
  ['http-v2', httpV2Event],
  ['websocket', websocketConnectEvent],
];
const ADAPTERS = [restToken, restRequest, httpV1, httpV2, websocket];

const source = (spec: string): TokenSource => parseTokenSource(spec);
const extract = (shape: Shape, event: unknown, spec?: string): AuthRequest =>
  extractRequest(shape, event, spec === undefined ? DEFAULT_TOKEN_SOURCE : source(spec));
const tokenOf = (shape: Shape, event: unknown, spec?: string) => {
  const r = extract(shape, event, spec);
  return { token: r.token, malformed: r.malformedAuth };
};
const FOUND = { token: TOKEN, malformed: false };
const NONE = { token: undefined, malformed: false };
const MALFORMED = { token: undefined, malformed: true };

// ---------------------------------------------------------------- detection

test('each base event is detected as its shape, and exactly one adapter claims it', () => {
  for (const [shape, event] of FIXTURES) {
    assert.equal(detectShape(event), shape, shape);
    assert.deepEqual(
      ADAPTERS.filter((a) => a.check(event) !== undefined).map((a) => a.shape),
      [shape],
      shape,
    );
  }
  assert.deepEqual([...SHAPES].sort(), FIXTURES.map(([s]) => s).sort());
});

test('the AWS documentation examples are detected as their shapes', () => {
  // api-gateway-lambda-authorizer-input: a console test with stage "*" and the root resource.
  assert.equal(
    detectShape({
      type: 'TOKEN',
      authorizationToken: 'allow',
      methodArn: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/',
    }),
    'rest-token',
  );
  // http-api-lambda-authorizer 1.0 example: no multiValueHeaders, identitySource a joined string.
  const { multiValueHeaders: _h, multiValueQueryStringParameters: _q, ...v1 } = httpV1Event;
  assert.equal(detectShape(v1), 'http-v1');
  // A 1.0 authorizer without identity sources (no caching): identitySource absent or null.
  assert.equal(
    detectShape({ ...httpV1Event, identitySource: null, authorizationToken: null }),
    'http-v1',
  );
  assert.equal(detectShape({ ...httpV1Event, identitySource: undefined }), 'http-v1');
  // http-api-lambda-authorizer 2.0 example: the $default route on the $default stage.
  assert.equal(
    detectShape({
      ...httpV2Event,
      routeKey: '$default',
      rawPath: '/my/path',
      routeArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abcdef123/test/GET/request`,
    }),
    'http-v2',
  );
  // The console's test invoke sends null maps (types S12).
  const consoleInvoke = {
    ...restRequestEvent,
    headers: null,
    multiValueHeaders: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
  };
  assert.equal(detectShape(consoleInvoke), 'rest-request');
  assert.equal(
    detectShape({ ...websocketConnectEvent, headers: null, queryStringParameters: null }),
    'websocket',
  );
});

test('malformed and foreign events are undefined, never a guess', () => {
  const arn = restTokenEvent.methodArn;
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['number', 42],
    ['string', 'TOKEN'],
    ['array', [restTokenEvent]],
    ['empty object', {}],
    ['TOKEN without methodArn', { type: 'TOKEN', authorizationToken: 'Bearer x' }],
    ['TOKEN without authorizationToken', { type: 'TOKEN', methodArn: arn }],
    ['TOKEN with a numeric authorizationToken', { ...restTokenEvent, authorizationToken: 7 }],
    ['TOKEN with a nonsense methodArn', { ...restTokenEvent, methodArn: 'nonsense' }],
    [
      'TOKEN with another service ARN',
      { ...restTokenEvent, methodArn: 'arn:aws:lambda:us-east-1:123456789012:function:f' },
    ],
    [
      'TOKEN with no verb after the stage',
      { ...restTokenEvent, methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod' },
    ],
    [
      'TOKEN with a lower-case verb',
      {
        ...restTokenEvent,
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/get/pets',
      },
    ],
    ['lower-case type', { ...restTokenEvent, type: 'token' }],
    ['unknown type', { ...restRequestEvent, type: 'SIGV4' }],
    ['REQUEST without methodArn', { ...restRequestEvent, methodArn: undefined }],
    ['REQUEST with a numeric methodArn', { ...restRequestEvent, methodArn: 1 }],
    ['REQUEST without httpMethod', { ...restRequestEvent, httpMethod: undefined }],
    [
      'REQUEST without path or resource',
      { ...restRequestEvent, path: undefined, resource: undefined },
    ],
    [
      'REQUEST with headers as a string',
      { ...restRequestEvent, headers: 'Authorization: Bearer x' },
    ],
    ['REQUEST with multiValueHeaders as an array', { ...restRequestEvent, multiValueHeaders: [] }],
    ['REQUEST with an unknown version', { ...restRequestEvent, version: '3.0' }],
    ['1.0 with a numeric identitySource', { ...httpV1Event, identitySource: 5 }],
    ['1.0 without methodArn', { ...httpV1Event, methodArn: undefined }],
    ['2.0 without routeArn', { ...httpV2Event, routeArn: undefined }],
    [
      '2.0 with a malformed routeArn',
      { ...httpV2Event, routeArn: 'arn:aws:execute-api:us-east-1' },
    ],
    [
      '2.0 with a methodArn instead',
      { ...httpV2Event, routeArn: undefined, methodArn: httpV2Event.routeArn },
    ],
    ['2.0 without routeKey', { ...httpV2Event, routeKey: undefined }],
    ['2.0 without rawPath', { ...httpV2Event, rawPath: undefined }],
    ['2.0 without requestContext', { ...httpV2Event, requestContext: undefined }],
    ['2.0 with cookies as a string', { ...httpV2Event, cookies: 'a=b' }],
    ['2.0 proxy integration event (no type)', { ...httpV2Event, type: undefined }],
    ['REST proxy integration event (no type)', { ...restRequestEvent, type: undefined }],
    [
      '$connect ARN without a connect context',
      {
        ...websocketConnectEvent,
        requestContext: {
          ...websocketConnectEvent.requestContext,
          eventType: 'MESSAGE',
          routeKey: 'sendmessage',
        },
      },
    ],
    [
      '$connect ARN without requestContext',
      { ...websocketConnectEvent, requestContext: undefined },
    ],
    [
      'connect context with a REST methodArn but no httpMethod',
      { ...websocketConnectEvent, methodArn: restTokenEvent.methodArn },
    ],
    [
      '$disconnect',
      {
        ...websocketConnectEvent,
        methodArn: websocketConnectEvent.methodArn.replace('$connect', '$disconnect'),
      },
    ],
  ];
  for (const [name, event] of cases) assert.equal(detectShape(event), undefined, name);
});

test('extractRequest refuses an event of another shape with a typed error', () => {
  assert.throws(
    () => extractRequest('rest-token', restRequestEvent),
    (e: unknown) =>
      e instanceof EventShapeError && e.code === 'EVENT_SHAPE_MISMATCH' && e.shape === 'rest-token',
  );
  assert.throws(() => extractRequest('http-v2', null), EventShapeError);
  assert.throws(() => extractRequest('websocket', restRequestEvent), EventShapeError);
});

// ---------------------------------------------------------------- token sources

test('token source specs: header, query and cookie; invalid specs name the problem', () => {
  assert.deepEqual(DEFAULT_TOKEN_SOURCE, { kind: 'header', name: 'Authorization' });
  assert.deepEqual(parseTokenSource('header:X-Api-Token'), { kind: 'header', name: 'X-Api-Token' });
  assert.deepEqual(parseTokenSource(' query:access_token '), {
    kind: 'query',
    name: 'access_token',
  });
  assert.deepEqual(parseTokenSource('cookie:__Host-session'), {
    kind: 'cookie',
    name: '__Host-session',
  });
  assert.deepEqual(parseTokenSource('Header:Authorization'), {
    kind: 'header',
    name: 'Authorization',
  });
  const invalid: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['Authorization', /expected header:NAME, query:NAME or cookie:NAME/],
    ['body:token', /unknown kind "body"/],
    ['header:', /header name is empty/],
    ['header:Bad Name', /"Bad Name" is not a valid header name/],
    ['header:X(1)', /not a valid header name/],
    ['query:a&b', /not a valid query name/],
    ['query:a=b', /not a valid query name/],
    ['cookie:a;b', /not a valid cookie name/],
  ];
  for (const [spec, message] of invalid) {
    assert.throws(
      () => parseTokenSource(spec),
      (e: unknown) =>
        e instanceof TokenSourceError &&
        e.code === 'TOKEN_SOURCE_INVALID' &&
        e.spec === spec &&
        message.test(e.message) &&
        e.message.includes(JSON.stringify(spec)),
      spec,
    );
  }
});

test('TOKEN events: authorizationToken is the source, Bearer (any case) or bare; Basic is malformed; empty is missing', () => {
  const t = (authorizationToken: string) =>
    tokenOf('rest-token', { ...restTokenEvent, authorizationToken });
  assert.deepEqual(t(`Bearer ${TOKEN}`), FOUND);
  assert.deepEqual(t(`bearer ${TOKEN}`), FOUND);
  assert.deepEqual(t(`BEARER   ${TOKEN} `), FOUND);
  assert.deepEqual(t(TOKEN), FOUND);
  assert.deepEqual(t('Basic dXNlcjpwYXNz'), MALFORMED);
  assert.deepEqual(t(`Bearer  ${TOKEN} extra`), MALFORMED);
  // bearerToken's fast path leaves inner whitespace to the JWS parser, which refuses it (TOKEN_MALFORMED).
  assert.deepEqual(t(`Bearer ${TOKEN} extra`), { token: `${TOKEN} extra`, malformed: false });
  assert.deepEqual(t(''), NONE);
  assert.deepEqual(t('Bearer '), NONE);
  // The configured source does not apply: API Gateway already chose the header.
  assert.deepEqual(tokenOf('rest-token', restTokenEvent, 'query:access_token'), FOUND);
  assert.equal(
    extract('rest-token', restTokenEvent, 'query:access_token').identityKey,
    'authorizationToken',
  );
});

test('the Authorization header by default: any case of the name, multiValueHeaders, null maps', () => {
  assert.deepEqual(tokenOf('rest-request', restRequestEvent), FOUND);
  assert.deepEqual(tokenOf('http-v1', httpV1Event), FOUND, 'lower-case authorization');
  assert.deepEqual(tokenOf('http-v2', httpV2Event), FOUND);
  for (const name of ['authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn']) {
    assert.deepEqual(
      tokenOf('rest-request', {
        ...restRequestEvent,
        headers: { [name]: `Bearer ${TOKEN}` },
        multiValueHeaders: {},
      }),
      FOUND,
      name,
    );
  }
  // Only the multi-value map (REST keeps the last of repeated headers in `headers`).
  assert.deepEqual(
    tokenOf('rest-request', {
      ...restRequestEvent,
      headers: null,
      multiValueHeaders: { authorization: [`Bearer ${TOKEN}`] },
    }),
    FOUND,
  );
  // The console's test invoke: null maps, no token.
  assert.deepEqual(
    tokenOf('rest-request', { ...restRequestEvent, headers: null, multiValueHeaders: null }),
    NONE,
  );
  assert.deepEqual(tokenOf('http-v2', { ...httpV2Event, headers: undefined }), NONE);
  assert.deepEqual(
    tokenOf('rest-request', {
      ...restRequestEvent,
      headers: { Authorization: '' },
      multiValueHeaders: null,
    }),
    NONE,
  );
  assert.equal(extract('rest-request', restRequestEvent).identityKey, 'header:authorization');
});

test('several different Authorization values are malformed, not a pick; the same value twice is fine', () => {
  const two = {
    ...restRequestEvent,
    multiValueHeaders: { Authorization: [`Bearer ${TOKEN}`, 'Bearer other.token.here'] },
  };
  assert.deepEqual(tokenOf('rest-request', two), MALFORMED);
  const same = {
    ...restRequestEvent,
    multiValueHeaders: { Authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] },
  };
  assert.deepEqual(tokenOf('rest-request', same), FOUND);
  const spellings = {
    ...restRequestEvent,
    headers: { Authorization: `Bearer ${TOKEN}`, authorization: 'Bearer other.token.here' },
    multiValueHeaders: null,
  };
  assert.deepEqual(tokenOf('rest-request', spellings), MALFORMED);
  // HTTP API 2.0 joins repeated headers with commas.
  assert.deepEqual(
    tokenOf('http-v2', {
      ...httpV2Event,
      headers: { authorization: `Bearer ${TOKEN},Bearer other.token.here` },
    }),
    MALFORMED,
  );
});

test('another scheme in the Authorization header is malformed', () => {
  for (const value of ['Basic dXNlcjpwYXNz', 'Digest username="a"', `Token ${TOKEN}`]) {
    assert.deepEqual(
      tokenOf('rest-request', {
        ...restRequestEvent,
        headers: { Authorization: value },
        multiValueHeaders: null,
      }),
      MALFORMED,
      value,
    );
    assert.deepEqual(
      tokenOf('http-v2', { ...httpV2Event, headers: { authorization: value } }),
      MALFORMED,
      value,
    );
  }
});

test('header:X-Name: raw value or Bearer, name matched in any case', () => {
  const ev = (headers: Record<string, string>) => ({
    ...restRequestEvent,
    headers,
    multiValueHeaders: null,
  });
  assert.deepEqual(
    tokenOf('rest-request', ev({ 'X-Api-Token': TOKEN }), 'header:X-Api-Token'),
    FOUND,
  );
  assert.deepEqual(
    tokenOf('rest-request', ev({ 'x-api-token': `Bearer ${TOKEN}` }), 'header:X-Api-Token'),
    FOUND,
  );
  assert.deepEqual(
    tokenOf('http-v2', { ...httpV2Event, headers: { 'x-api-token': TOKEN } }, 'header:X-API-TOKEN'),
    FOUND,
  );
  // The Authorization header is not consulted when another header is configured.
  assert.deepEqual(tokenOf('rest-request', restRequestEvent, 'header:X-Api-Token'), NONE);
  assert.equal(
    extract('rest-request', restRequestEvent, 'header:X-Api-Token').identityKey,
    'header:x-api-token',
  );
});

test('query:NAME: case-sensitive name, multi-value and 2.0 comma-joined repeats are malformed', () => {
  const spec = 'query:access_token';
  assert.deepEqual(tokenOf('websocket', websocketConnectEvent, spec), FOUND);
  assert.deepEqual(
    tokenOf('websocket', websocketConnectEvent),
    NONE,
    'no Authorization header on a browser WebSocket',
  );
  assert.deepEqual(
    tokenOf(
      'rest-request',
      {
        ...restRequestEvent,
        queryStringParameters: { access_token: TOKEN },
        multiValueQueryStringParameters: null,
      },
      spec,
    ),
    FOUND,
  );
  assert.deepEqual(
    tokenOf(
      'rest-request',
      {
        ...restRequestEvent,
        queryStringParameters: { Access_Token: TOKEN },
        multiValueQueryStringParameters: null,
      },
      spec,
    ),
    NONE,
  );
  assert.deepEqual(
    tokenOf(
      'http-v1',
      {
        ...httpV1Event,
        queryStringParameters: null,
        multiValueQueryStringParameters: { access_token: [TOKEN] },
      },
      spec,
    ),
    FOUND,
  );
  assert.deepEqual(
    tokenOf(
      'websocket',
      {
        ...websocketConnectEvent,
        multiValueQueryStringParameters: { access_token: [TOKEN, 'other.token.here'] },
      },
      spec,
    ),
    MALFORMED,
  );
  assert.deepEqual(
    tokenOf('http-v2', { ...httpV2Event, queryStringParameters: { access_token: TOKEN } }, spec),
    FOUND,
  );
  assert.deepEqual(
    tokenOf(
      'http-v2',
      { ...httpV2Event, queryStringParameters: { access_token: `${TOKEN},other.token.here` } },
      spec,
    ),
    MALFORMED,
  );
  assert.deepEqual(
    tokenOf('http-v2', { ...httpV2Event, queryStringParameters: { access_token: '' } }, spec),
    NONE,
  );
  assert.deepEqual(
    tokenOf('http-v2', { ...httpV2Event, queryStringParameters: undefined }, spec),
    NONE,
  );
  assert.equal(extract('websocket', websocketConnectEvent, spec).identityKey, 'query:access_token');
});

test('cookie:NAME: from the Cookie header or the 2.0 cookies array, quoted values, first of repeats, case-sensitive', () => {
  const spec = 'cookie:session';
  const rest = (cookie: string[]) => ({
    ...restRequestEvent,
    headers: null,
    multiValueHeaders: { Cookie: cookie },
  });
  assert.deepEqual(
    tokenOf(
      'rest-request',
      {
        ...restRequestEvent,
        headers: { Cookie: `theme=dark; session=${TOKEN}; lang=en` },
        multiValueHeaders: null,
      },
      spec,
    ),
    FOUND,
  );
  assert.deepEqual(
    tokenOf('rest-request', rest(['theme=dark', `session="${TOKEN}"`]), spec),
    FOUND,
    'two Cookie headers, a quoted value',
  );
  assert.deepEqual(
    tokenOf('rest-request', rest([`session=${TOKEN}; session=older.token.value`]), spec),
    FOUND,
    'RFC 6265: the more specific cookie comes first',
  );
  assert.deepEqual(
    tokenOf('rest-request', rest([`Session=${TOKEN}`]), spec),
    NONE,
    'cookie names are case-sensitive',
  );
  assert.deepEqual(tokenOf('rest-request', rest([`xsession=${TOKEN}`, 'session']), spec), NONE);
  assert.deepEqual(tokenOf('rest-request', rest(['session=']), spec), NONE);
  assert.deepEqual(
    tokenOf('http-v2', { ...httpV2Event, cookies: ['theme=dark', `session=${TOKEN}`] }, spec),
    FOUND,
  );
  assert.deepEqual(
    tokenOf(
      'http-v2',
      { ...httpV2Event, cookies: undefined, headers: { cookie: `session=${TOKEN}` } },
      spec,
    ),
    FOUND,
  );
  assert.deepEqual(tokenOf('http-v2', httpV2Event, spec), NONE);
  assert.deepEqual(
    tokenOf(
      'websocket',
      {
        ...websocketConnectEvent,
        headers: { Cookie: `session=${TOKEN}` },
        multiValueHeaders: null,
      },
      spec,
    ),
    FOUND,
  );
  assert.equal(extract('http-v2', httpV2Event, spec).identityKey, 'cookie:session');
});

// ---------------------------------------------------------------- method and path

test('TOKEN: method and path from the methodArn; root, colons, console stage "*"', () => {
  const r = (methodArn: string) => {
    const { method, path } = extract('rest-token', { ...restTokenEvent, methodArn });
    return { method, path };
  };
  const base = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123`;
  assert.deepEqual(r(`${base}/prod/GET/pets/a1b2`), { method: 'GET', path: '/pets/a1b2' });
  assert.deepEqual(r(`${base}/prod/GET/`), { method: 'GET', path: '/' });
  assert.deepEqual(r(`${base}/prod/GET`), { method: 'GET', path: '/' });
  assert.deepEqual(r(`${base}/prod/POST/orders/2021-08-01T00:00:00Z/items`), {
    method: 'POST',
    path: '/orders/2021-08-01T00:00:00Z/items',
  });
  assert.deepEqual(r(`${base}/prod/DELETE/pets/a:b/c`), { method: 'DELETE', path: '/pets/a:b/c' });
  assert.deepEqual(r(`${base}/*/GET/`), { method: 'GET', path: '/' });
  const full = extract('rest-token', restTokenEvent);
  assert.deepEqual(full, {
    shape: 'rest-token',
    token: TOKEN,
    malformedAuth: false,
    method: 'GET',
    path: '/pets/a1b2',
    arn: restTokenEvent.methodArn,
    arnParts: {
      partition: 'aws',
      region: 'us-east-1',
      account: ACCOUNT,
      apiId: 'abc123',
      stage: 'prod',
      verb: 'GET',
      path: '/pets/a1b2',
    },
    identityKey: 'authorizationToken',
  });
});

test('REST REQUEST: the concrete path from the methodArn, without a custom domain base path', () => {
  const r = extract('rest-request', restRequestEvent);
  assert.deepEqual(
    { method: r.method, path: r.path, arn: r.arn, routeTemplate: r.routeTemplate },
    {
      method: 'GET',
      path: '/pets/a1b2',
      arn: restRequestEvent.methodArn,
      routeTemplate: '/pets/{petId}',
    },
  );
  // api.example.com/v1/pets/a1b2 mapped to stage prod: `path` and requestContext.path keep `/v1`.
  const customDomain = {
    ...restRequestEvent,
    path: '/v1/pets/a1b2',
    requestContext: {
      ...restRequestEvent.requestContext,
      path: '/v1/pets/a1b2',
      domainName: 'api.example.com',
    },
  };
  assert.equal(extract('rest-request', customDomain).path, '/pets/a1b2');
  const root = {
    ...restRequestEvent,
    resource: '/',
    path: '/',
    methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/GET/`,
  };
  assert.deepEqual(
    [extract('rest-request', root).method, extract('rest-request', root).path],
    ['GET', '/'],
  );
  const post = {
    ...restRequestEvent,
    httpMethod: 'POST',
    methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/POST/orders/2021-08-01T00:00:00Z`,
  };
  assert.deepEqual(
    [extract('rest-request', post).method, extract('rest-request', post).path],
    ['POST', '/orders/2021-08-01T00:00:00Z'],
  );
});

test('HTTP API 1.0: the path from the methodArn, without the stage that `path` keeps', () => {
  const r = extract('http-v1', httpV1Event);
  assert.deepEqual(
    { method: r.method, path: r.path, stage: r.arnParts.stage },
    { method: 'GET', path: '/pets/a1b2', stage: 'dev' },
  );
  assert.equal(httpV1Event.path, '/dev/pets/a1b2');
});

test('HTTP API 2.0: rawPath without a named stage; $default and custom domains untouched', () => {
  const r = extract('http-v2', httpV2Event);
  assert.deepEqual(
    { method: r.method, path: r.path, arn: r.arn, routeTemplate: r.routeTemplate },
    {
      method: 'GET',
      path: '/pets/a1b2',
      arn: httpV2Event.routeArn,
      routeTemplate: 'GET /pets/{petId}',
    },
  );
  const v2 = (stage: string, rawPath: string, arnPath: string, method = 'GET') => {
    const routeArn = `arn:aws:execute-api:us-east-1:${ACCOUNT}:def456/${stage}/${method}${arnPath}`;
    return extract('http-v2', {
      ...httpV2Event,
      rawPath,
      routeArn,
      requestContext: {
        ...httpV2Event.requestContext,
        stage,
        http: { ...httpV2Event.requestContext.http, method, path: rawPath },
      },
    }).path;
  };
  assert.equal(v2('$default', '/pets/a1b2', '/pets/a1b2'), '/pets/a1b2');
  assert.equal(v2('$default', '/', '/'), '/');
  assert.equal(v2('dev', '/dev', '/'), '/');
  assert.equal(v2('dev', '/dev/', '/'), '/');
  assert.equal(
    v2('dev', '/dev/dev/x', '/dev/x'),
    '/dev/x',
    'a route that starts with the stage name',
  );
  assert.equal(
    v2('dev', '/devices/1', '/devices/1'),
    '/devices/1',
    'a segment that only starts like the stage',
  );
  assert.equal(
    v2('v1', '/v1/x', '/v1/x'),
    '/v1/x',
    'custom domain: no stage in rawPath, route /v1/x',
  );
  assert.equal(
    v2('dev', '/pets/a%20b', '/pets/a%20b'),
    '/pets/a%20b',
    'custom domain, percent-encoding kept',
  );
  assert.equal(
    v2('dev', '/dev/orders/2021-08-01T00:00:00Z', '/orders/2021-08-01T00:00:00Z', 'POST'),
    '/orders/2021-08-01T00:00:00Z',
  );
  const method = extract('http-v2', {
    ...httpV2Event,
    requestContext: {
      ...httpV2Event.requestContext,
      http: { ...httpV2Event.requestContext.http, method: 'patch' },
    },
  }).method;
  assert.equal(method, 'PATCH');
});

test('WebSocket $connect: no method, path $connect', () => {
  const r = extract('websocket', websocketConnectEvent, 'query:access_token');
  assert.deepEqual(r, {
    shape: 'websocket',
    token: TOKEN,
    malformedAuth: false,
    method: undefined,
    path: '$connect',
    arn: websocketConnectEvent.methodArn,
    arnParts: {
      partition: 'aws',
      region: 'us-east-1',
      account: ACCOUNT,
      apiId: 'ws7890',
      stage: 'production',
      verb: '$connect',
      path: undefined,
    },
    identityKey: 'query:access_token',
    routeTemplate: '$connect',
  });
});

// ---------------------------------------------------------------- answers

const STAGE = (apiId: string, stage: string) =>
  `arn:aws:execute-api:us-east-1:${ACCOUNT}:${apiId}/${stage}/*/*`;
const allowAll = (resource: string): Statement[] => [
  { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource },
];
const denyAll = (resource: string): Statement[] => [
  { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: resource },
];
const SIMPLE: FormatOptions = { v2Response: 'simple' };
const IAM: FormatOptions = { v2Response: 'iam' };

type Ok = { result: AuthorizerResult; info: FormatInfo };

function ok<R>(f: Formatted<R>): { result: R; info: FormatInfo } {
  if (!f.ok) assert.fail(`expected a result, got ${f.error.code}: ${f.error.message}`);
  return { result: f.result, info: f.info };
}

test('golden: REST TOKEN and REQUEST answer IAM policies with a flat context and the usage plan key', () => {
  const allow: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context: { scope: 'read:pets', n: 3, admin: false },
    statements: allowAll(STAGE('abc123', 'prod')),
  };
  for (const shape of ['rest-token', 'rest-request'] as const) {
    assert.deepEqual(
      ok<AuthorizerResult>(
        formatResponse(shape, allow, { ...IAM, usageIdentifierKey: 'key-0123456789' }),
      ).result,
      {
        principalId: 'alice',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'execute-api:Invoke',
              Effect: 'Allow',
              Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*',
            },
          ],
        },
        context: { scope: 'read:pets', n: 3, admin: false },
        usageIdentifierKey: 'key-0123456789',
      },
      shape,
    );
  }
  const deny: Outcome = {
    kind: 'deny',
    principalId: 'alice',
    context: { reason: 'SCOPE_INSUFFICIENT' },
    statements: denyAll(STAGE('abc123', 'prod')),
  };
  assert.deepEqual(
    ok<AuthorizerResult>(formatResponse('rest-request', deny, SIMPLE)).result,
    {
      principalId: 'alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Deny',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*',
          },
        ],
      },
      context: { reason: 'SCOPE_INSUFFICIENT' },
    },
    'v2Response does not apply to REST; an empty usage key is left out',
  );
  const bare = ok<AuthorizerResult>(
    formatResponse('rest-token', { ...allow, context: {} }, { ...IAM, usageIdentifierKey: '' }),
  ).result;
  assert.deepEqual(
    Object.keys(bare),
    ['principalId', 'policyDocument'],
    'no empty context, no empty usage key',
  );
});

test('golden: HTTP API 1.0 and WebSocket answer IAM policies without a usage plan key', () => {
  const allow: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context: { scope: 'read:pets' },
    statements: allowAll(STAGE('def456', 'dev')),
  };
  assert.deepEqual(
    ok<AuthorizerResult>(
      formatResponse('http-v1', allow, { ...SIMPLE, usageIdentifierKey: 'key-0123456789' }),
    ).result,
    {
      principalId: 'alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:def456/dev/*/*',
          },
        ],
      },
      context: { scope: 'read:pets' },
    },
  );
  const connect = `arn:aws:execute-api:us-east-1:${ACCOUNT}:ws7890/production/$connect`;
  const ws: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context: { scope: 'chat:join' },
    statements: allowAll(connect),
  };
  const result = ok<AuthorizerResult>(
    formatResponse('websocket', ws, { ...IAM, usageIdentifierKey: 'key-0123456789' }),
  ).result;
  assert.deepEqual(result, {
    principalId: 'alice',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: connect }],
    },
    context: { scope: 'chat:join' },
  });
  assert.equal(
    evaluate(result as APIGatewayAuthorizerResult, websocketConnectEvent.methodArn),
    'allow',
    'the $ in $connect is matched literally',
  );
  const deny: Outcome = {
    kind: 'deny',
    principalId: 'alice',
    context: {},
    statements: denyAll(connect),
  };
  assert.equal(
    evaluate(
      ok<AuthorizerResult>(formatResponse('websocket', deny, IAM))
        .result as APIGatewayAuthorizerResult,
      websocketConnectEvent.methodArn,
    ),
    'explicit-deny',
  );
});

test('golden: HTTP API 2.0 simple responses carry isAuthorized and a JSON context, whatever the statements', () => {
  const context = { scope: 'read:pets', groups: ['admin', 'ops'], profile: { tier: 'gold' }, n: 1 };
  const allow: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context,
    statements: allowAll(STAGE('def456', 'dev')),
  };
  assert.deepEqual(ok<AuthorizerResult>(formatResponse('http-v2', allow, SIMPLE)).result, {
    isAuthorized: true,
    context,
  });
  const deny: Outcome = {
    kind: 'deny',
    principalId: 'alice',
    context: { reason: 'SCOPE_INSUFFICIENT' },
    statements: [],
  };
  assert.deepEqual(ok<AuthorizerResult>(formatResponse('http-v2', deny, SIMPLE)).result, {
    isAuthorized: false,
    context: { reason: 'SCOPE_INSUFFICIENT' },
  });
  assert.deepEqual(
    ok<AuthorizerResult>(formatResponse('http-v2', { ...deny, context: {} }, SIMPLE)).result,
    { isAuthorized: false, context: {} },
  );
});

test('golden: HTTP API 2.0 IAM responses are policies matched against the routeArn, context as JSON', () => {
  const r = extract('http-v2', httpV2Event);
  const prefix = `arn:${r.arnParts.partition}:execute-api:${r.arnParts.region}:${r.arnParts.account}:${r.arnParts.apiId}/${r.arnParts.stage}`;
  const statements: Statement[] = [
    {
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: [`${prefix}/GET/pets`, `${prefix}/GET/pets/*`],
    },
    { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${prefix}/DELETE/pets/*` },
  ];
  const allow: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context: { groups: ['admin'] },
    statements,
  };
  const result = ok<AuthorizerResult>(
    formatResponse('http-v2', allow, { ...IAM, usageIdentifierKey: 'key-0123456789' }),
  ).result;
  assert.deepEqual(result, {
    principalId: 'alice',
    policyDocument: { Version: '2012-10-17', Statement: statements },
    context: { groups: ['admin'] },
  });
  const policy = result as unknown as APIGatewayAuthorizerResult;
  assert.equal(evaluate(policy, httpV2Event.routeArn), 'allow');
  assert.equal(evaluate(policy, `${prefix}/GET/pets/b2c3`), 'allow');
  assert.equal(evaluate(policy, `${prefix}/DELETE/pets/a1b2`), 'explicit-deny');
});

test('Unauthorized throws exactly Error("Unauthorized") on every shape, in both 2.0 modes', () => {
  for (const shape of SHAPES) {
    for (const options of [SIMPLE, IAM]) {
      assert.throws(
        () => formatResponse(shape, { kind: 'unauthorized' }, options),
        (e: unknown) =>
          e instanceof Error &&
          e.constructor === Error &&
          e.message === UNAUTHORIZED &&
          e.message === 'Unauthorized',
        shape,
      );
    }
  }
});

test('a failure throws an error whose message is not Unauthorized (500), naming the code', () => {
  for (const shape of SHAPES) {
    assert.throws(
      () => formatResponse(shape, { kind: 'failure', code: 'JWKS_UNAVAILABLE' }, SIMPLE),
      (e: unknown) =>
        e instanceof Error && e.message !== 'Unauthorized' && /JWKS_UNAVAILABLE/.test(e.message),
      shape,
    );
  }
});

// ---------------------------------------------------------------- context

test('context: flat for REST, 1.0 and WebSocket (arrays and objects as JSON text); JSON for 2.0; unusable values left out', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const context = {
    s: 'text',
    n: 3.5,
    b: true,
    list: ['a', 'b'],
    obj: { x: 1, deep: [1, 2] },
    big: 12345678901234567890n,
    nested: { big: 1n },
    nul: null,
    undef: undefined,
    inf: Infinity,
    nan: NaN,
    fn: () => 1,
    cyclic,
  };
  const outcome: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context,
    statements: allowAll(STAGE('abc123', 'prod')),
  };
  const invalid = ['nul', 'undef', 'inf', 'nan', 'fn', 'cyclic'];
  for (const shape of ['rest-token', 'rest-request', 'http-v1', 'websocket'] as const) {
    const { result, info }: Ok = ok<AuthorizerResult>(formatResponse(shape, outcome, IAM));
    assert.deepEqual(
      (result as APIGatewayAuthorizerResult).context,
      {
        s: 'text',
        n: 3.5,
        b: true,
        list: '["a","b"]',
        obj: '{"x":1,"deep":[1,2]}',
        big: '12345678901234567890',
        nested: '{"big":"1"}',
      },
      shape,
    );
    for (const v of Object.values((result as APIGatewayAuthorizerResult).context ?? {}))
      assert.ok(['string', 'number', 'boolean'].includes(typeof v), shape);
    assert.deepEqual(info.droppedInvalid, invalid, shape);
  }
  for (const options of [SIMPLE, IAM]) {
    const { result, info }: Ok = ok<AuthorizerResult>(formatResponse('http-v2', outcome, options));
    assert.deepEqual((result as { context: unknown }).context, {
      s: 'text',
      n: 3.5,
      b: true,
      list: ['a', 'b'],
      obj: { x: 1, deep: [1, 2] },
      big: '12345678901234567890',
      nested: { big: '1' },
    });
    assert.deepEqual(info.droppedInvalid, invalid);
  }
});

test('context: claims is reserved in HTTP API 1.0 and left out; principalId never shadowed; __proto__ stays data', () => {
  const context = JSON.parse(
    '{"claims":"x","scope":"read:pets","principalId":"mallory","integrationLatency":1,"__proto__":"p"}',
  ) as Record<string, unknown>;
  const outcome: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context,
    statements: allowAll(STAGE('def456', 'dev')),
  };
  const v1 = ok<AuthorizerResult>(formatResponse('http-v1', outcome, IAM));
  assert.deepEqual(Object.keys((v1.result as APIGatewayAuthorizerResult).context ?? {}).sort(), [
    '__proto__',
    'scope',
  ]);
  assert.deepEqual(v1.info.droppedInvalid, ['claims', 'principalId', 'integrationLatency']);
  const rest = ok<AuthorizerResult>(formatResponse('rest-request', outcome, IAM));
  assert.deepEqual(
    Object.keys((rest.result as APIGatewayAuthorizerResult).context ?? {}).sort(),
    ['__proto__', 'claims', 'scope'],
    'claims is only reserved in 1.0',
  );
  assert.equal(
    Object.getPrototypeOf((rest.result as APIGatewayAuthorizerResult).context),
    Object.prototype,
  );
  assert.match(JSON.stringify(rest.result), /"__proto__":"p"/);
  const v2 = ok<AuthorizerResult>(formatResponse('http-v2', outcome, SIMPLE));
  assert.deepEqual(
    v2.info.droppedInvalid,
    [],
    '2.0 contexts arrive under authorizer.lambda: nothing to shadow',
  );
});

// ---------------------------------------------------------------- limits

test('size: over 8 KB, context keys are dropped largest first and reported; the result fits', () => {
  const context: Record<string, unknown> = {
    small: 'x',
    medium: 'm'.repeat(1500),
    large: 'l'.repeat(4000),
    huge: 'h'.repeat(5000),
    scope: 'read:pets',
  };
  const outcome: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context,
    statements: allowAll(STAGE('abc123', 'prod')),
  };
  for (const [shape, options] of [
    ['rest-token', IAM],
    ['http-v1', IAM],
    ['websocket', IAM],
    ['http-v2', SIMPLE],
    ['http-v2', IAM],
  ] as const) {
    const { result, info }: Ok = ok<AuthorizerResult>(formatResponse(shape, outcome, options));
    assert.deepEqual(info.droppedForSize, ['huge'], shape);
    assert.equal(info.bytes, Buffer.byteLength(JSON.stringify(result)), shape);
    assert.ok(info.bytes <= MAX_RESULT_BYTES, `${shape}: ${info.bytes} bytes`);
    assert.deepEqual(
      Object.keys((result as { context: object }).context),
      ['small', 'medium', 'large', 'scope'],
      shape,
    );
  }
  const tight = ok<AuthorizerResult>(
    formatResponse('rest-token', outcome, { ...IAM, maxResultBytes: 1500 }),
  );
  assert.deepEqual(tight.info.droppedForSize, ['huge', 'large', 'medium']);
  assert.ok(tight.info.bytes <= 1500);
  // Multi-byte characters count as bytes, not characters.
  const wide = ok<AuthorizerResult>(
    formatResponse(
      'rest-token',
      { ...outcome, context: { a: 'é'.repeat(3000), b: 'e'.repeat(3000) } },
      IAM,
    ),
  );
  assert.deepEqual(wide.info.droppedForSize, ['a']);
});

test('size: a result too large without context is an error, never silently shortened statements', () => {
  const resources = Array.from(
    { length: 40 },
    (_, i) =>
      `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/GET/${'segment/'.repeat(25)}${i}`,
  );
  const outcome: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context: { scope: 'read:pets' },
    statements: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources }],
  };
  const f = formatResponse('rest-request', outcome, IAM);
  assert.equal(f.ok, false);
  assert.equal(!f.ok && f.error.code, 'RESULT_TOO_LARGE');
  assert.equal(!f.ok && f.error.name, 'ResultError');
  assert.ok(!f.ok && (f.error.detail.bytes as number) > MAX_RESULT_BYTES);
});

test('policy checks: Resource over 512 characters, no statements, an Allow inside a Deny', () => {
  const long = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/GET/${'x'.repeat(480)}`;
  const code = (f: Formatted<unknown>) => (f.ok ? 'ok' : f.error.code);
  const allow = (statements: Statement[]): DecidedOutcome => ({
    kind: 'allow',
    principalId: 'alice',
    context: {},
    statements,
  });
  assert.equal(code(formatResponse('rest-token', allow(allowAll(long)), IAM)), 'RESOURCE_TOO_LONG');
  assert.equal(
    code(
      formatResponse(
        'rest-token',
        allow([{ Action: 'execute-api:Invoke', Effect: 'Deny', NotResource: [long] }]),
        IAM,
      ),
    ),
    'RESOURCE_TOO_LONG',
  );
  assert.equal(code(formatResponse('http-v2', allow(allowAll(long)), IAM)), 'RESOURCE_TOO_LONG');
  assert.equal(
    code(formatResponse('http-v2', allow(allowAll(long)), SIMPLE)),
    'ok',
    'simple responses carry no policy',
  );
  assert.equal(code(formatResponse('websocket', allow([]), IAM)), 'NO_STATEMENTS');
  assert.equal(
    code(
      formatResponse('http-v1', { ...allow(allowAll(STAGE('def456', 'dev'))), kind: 'deny' }, IAM),
    ),
    'DENY_WITH_ALLOW',
  );
  const exact = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/GET/`.padEnd(512, 'x');
  assert.equal(
    code(formatResponse('rest-token', allow(allowAll(exact)), IAM)),
    'ok',
    '512 characters is allowed',
  );
});

test('the size walk is exact for printable ASCII and an upper bound otherwise, without serialising', () => {
  const text = (v: unknown) =>
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  const exact = (v: unknown) => Buffer.byteLength(text(v));
  const ascii = [
    {
      principalId: 'alice',
      policyDocument: { Version: '2012-10-17', Statement: allowAll(STAGE('abc123', 'prod')) },
      context: { scope: 'read:pets', n: -1.5e-7, big: 1e21, t: true, f: false },
    },
    {
      isAuthorized: false,
      context: { list: ['a', 1, null, true, [], {}], nested: { a: { b: [0] } } },
    },
    [undefined, () => 1, 'x'],
    { skipped: undefined, fn: () => 1, kept: 0, z: -0 },
    { n: 10n, when: new Date(0) },
    '',
  ];
  for (const v of ascii) assert.equal(jsonBytesBound(v), exact(v), text(v));
  // A small deterministic generator: quotes, backslashes, control characters, accents, emoji, lone surrogates.
  const alphabet = [
    'a',
    'Z',
    ' ',
    '"',
    '\\',
    '\n',
    '\u0001',
    '\u007f',
    'é',
    '€',
    '😀',
    '\ud800',
    '/',
    '<',
  ];
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const str = () =>
    Array.from({ length: rand(12) }, () => alphabet[rand(alphabet.length)]).join('');
  const value = (depth: number): unknown => {
    switch (rand(depth > 2 ? 4 : 6)) {
      case 0:
        return str();
      case 1:
        return rand(1000) - 500 + rand(7) / 8;
      case 2:
        return rand(2) === 0;
      case 3:
        return null;
      case 4:
        return Array.from({ length: rand(4) }, () => value(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: rand(4) }, () => [str(), value(depth + 1)]));
    }
  };
  for (let i = 0; i < 500; i++) {
    const v = value(0);
    const bound = jsonBytesBound(v);
    assert.ok(bound >= exact(v), `${bound} < ${exact(v)} for ${text(v)}`);
  }
});

test('formatting reports the exact size of an ASCII result without serialising it', () => {
  const outcome: Outcome = {
    kind: 'allow',
    principalId: 'alice',
    context: { scope: 'read:pets', n: 3 },
    statements: allowAll(STAGE('abc123', 'prod')),
  };
  for (const [shape, options] of [
    ['rest-token', IAM],
    ['http-v1', IAM],
    ['websocket', IAM],
    ['http-v2', SIMPLE],
    ['http-v2', IAM],
  ] as const) {
    const { result, info }: Ok = ok<AuthorizerResult>(formatResponse(shape, outcome, options));
    assert.equal(info.bytes, Buffer.byteLength(JSON.stringify(result)), shape);
  }
});
