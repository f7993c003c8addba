// The local WebSocket API over real upgrades on 127.0.0.1 with a real `ws` client: the $connect
// authorizer (spec section 8), the $connect and $disconnect routes, and message routing.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import {
  attachWebSocketApi,
  WebSocketConfigError,
  type RouteFunction,
  type WebSocketApi,
  type WebSocketApiOptions,
} from '../src/gateway/websocket.js';
import { invoke, type LambdaHandler } from '../src/gateway/invoke.js';
import { LOCAL_API } from '../src/gateway/events.js';
import { authorizerConfig } from '../src/settings/authorizer-config.js';
import { createAuthorizer } from '../src/lambda/authorizer.js';
import { createHandler } from '../src/lambda/handler.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import {
  AUDIENCE,
  claims,
  generateKey,
  ISSUER,
  NOW_MS,
  sign,
  type TestKey,
} from './support/keys.js';

type Event = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A local function as the gateway would run it, through invoke(): timeouts, thrown errors and JSON in and out. */
const fn =
  (handler: (event: Event) => unknown): RouteFunction =>
  (event) =>
    invoke(handler as unknown as LambdaHandler, event, {
      functionName: 'f',
      requestId: 'r',
      timeoutMs: 5000,
      now: Date.now,
      region: LOCAL_API.region,
      account: LOCAL_API.account,
    });

interface Served {
  readonly url: string;
  readonly port: number;
  readonly logs: Record<string, unknown>[];
  readonly api: WebSocketApi;
  readonly server: Server;
}
const open: Served[] = [];
after(async () => {
  for (const s of open) {
    await s.api.close();
    s.server.closeAllConnections();
    await new Promise((resolve) => s.server.close(resolve));
  }
});

async function serve(options: Omit<WebSocketApiOptions, 'path' | 'log'>): Promise<Served> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const logs: Record<string, unknown>[] = [];
  const api = attachWebSocketApi(server, {
    path: '/ws',
    stage: 'test',
    log: (e) => logs.push(e),
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const served = { url: `ws://127.0.0.1:${port}/ws`, port, logs, api, server };
  open.push(served);
  return served;
}

type Attempt =
  | { status: 101; ws: WebSocket }
  | { status: number; body: string; headers: Record<string, unknown> };

/** Opens a WebSocket; a refused handshake resolves with its HTTP status and body instead of throwing. */
function connect(
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    ws.on('error', reject);
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      ws.removeListener('error', reject);
      ws.on('error', () => {});
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
  });
}

async function connected(
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<WebSocket> {
  const attempt = await connect(url, options);
  assert.equal(
    attempt.status,
    101,
    `expected a connection, got ${attempt.status} ${'body' in attempt ? attempt.body : ''}`,
  );
  return (attempt as { ws: WebSocket }).ws;
}

function refused(attempt: Attempt): {
  status: number;
  body: string;
  headers: Record<string, unknown>;
} {
  assert.ok(attempt.status !== 101 && 'body' in attempt, 'expected a refused handshake');
  return attempt;
}

/** Sends a text frame and waits for the next message. */
function ask(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(String(data)));
    ws.send(text);
  });
}

function closeClient(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000, 'bye');
  });
}

const policy = (effect: 'Allow' | 'Deny', resource: string) => ({
  Version: '2012-10-17',
  Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
});
const CONNECT_ARN = `arn:aws:execute-api:${LOCAL_API.region}:${LOCAL_API.account}:${LOCAL_API.apiId}/test/$connect`;

/** Echoes what a route saw: its route key, event type, body and authorizer context. */
const echo = fn((event) => ({
  statusCode: 200,
  body: JSON.stringify({
    route: event.requestContext.routeKey,
    eventType: event.requestContext.eventType,
    body: event.body,
    authorizer: event.requestContext.authorizer ?? null,
    connectionId: event.requestContext.connectionId,
  }),
}));

test('no token: 401 Unauthorized without invoking the authorizer, and one log line', async () => {
  let calls = 0;
  const { url, logs } = await serve({
    authorizer: {
      identitySources: ['route.request.querystring.access_token', 'route.request.header.X-Tenant'],
      invoke: fn(() => (calls++, { principalId: 'x', policyDocument: policy('Allow', '*') })),
    },
    routes: { $default: echo },
  });
  for (const attempt of [
    connect(url),
    connect(`${url}?access_token=`, { headers: { 'x-tenant': 't1' } }),
    connect(`${url}?access_token=abc`),
  ]) {
    const r = refused(await attempt);
    assert.equal(r.status, 401);
    assert.equal(r.body, '{"message":"Unauthorized"}');
    assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException');
  }
  assert.equal(calls, 0);
  const lines = logs.filter((l) => l.event === 'websocket_connect');
  assert.equal(lines.length, 3);
  for (const l of lines) {
    assert.equal(l.status, 401);
    assert.equal(l.reason, 'IDENTITY_MISSING');
    assert.equal(l.invoked, false);
    assert.equal(typeof l.durationMs, 'number');
  }
});

test('the authorizer gets the $connect REQUEST event of spec section 8', async () => {
  const events: Event[] = [];
  const { url, port } = await serve({
    stageVariables: { env: 'dev' },
    authorizer: {
      identitySources: ['route.request.querystring.access_token', 'route.request.header.x-tenant'],
      invoke: fn(
        (e) => (
          events.push(e),
          { principalId: 'alice', policyDocument: policy('Allow', e.methodArn) }
        ),
      ),
    },
    routes: {},
  });
  const ws = await connected(`${url}?access_token=tok&tag=a&tag=b`, {
    headers: { 'X-Tenant': 't1', 'User-Agent': 'test-agent' },
  });
  await closeClient(ws);
  assert.equal(events.length, 1);
  const e = events[0]!;
  assert.deepEqual(Object.keys(e).sort(), [
    'headers',
    'methodArn',
    'multiValueHeaders',
    'multiValueQueryStringParameters',
    'queryStringParameters',
    'requestContext',
    'stageVariables',
    'type',
  ]);
  assert.equal(e.type, 'REQUEST');
  assert.equal(e.methodArn, CONNECT_ARN);
  assert.equal(e.headers['X-Tenant'], 't1', 'header names keep their case');
  assert.deepEqual(e.multiValueHeaders['X-Tenant'], ['t1']);
  assert.equal(e.headers['Sec-WebSocket-Version'], '13');
  assert.deepEqual(e.queryStringParameters, { access_token: 'tok', tag: 'b' });
  assert.deepEqual(e.multiValueQueryStringParameters, { access_token: ['tok'], tag: ['a', 'b'] });
  assert.deepEqual(e.stageVariables, { env: 'dev' });
  const ctx = e.requestContext;
  assert.deepEqual(
    Object.keys(ctx).sort(),
    [
      'apiId',
      'connectedAt',
      'connectionId',
      'domainName',
      'eventType',
      'extendedRequestId',
      'identity',
      'messageDirection',
      'requestId',
      'requestTime',
      'requestTimeEpoch',
      'routeKey',
      'stage',
    ].sort(),
  );
  assert.equal(ctx.routeKey, '$connect');
  assert.equal(ctx.eventType, 'CONNECT');
  assert.equal(ctx.messageDirection, 'IN');
  assert.equal(ctx.stage, 'test');
  assert.equal(ctx.apiId, LOCAL_API.apiId);
  assert.equal(ctx.domainName, `127.0.0.1:${port}`);
  assert.deepEqual(ctx.identity, { sourceIp: '127.0.0.1', userAgent: 'test-agent' });
  assert.match(ctx.connectionId, /^[A-Za-z0-9_-]{14}=$/);
  assert.match(ctx.requestId, /^[A-Za-z0-9_-]{14}=$/);
  assert.equal(ctx.extendedRequestId, ctx.requestId);
  assert.equal(ctx.connectedAt, ctx.requestTimeEpoch);
  assert.match(ctx.requestTime, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
});

test('a Deny is 403 explicit deny, a policy without a matching Allow is 403', async () => {
  const { url, logs } = await serve({
    authorizer: {
      identitySources: ['route.request.querystring.t'],
      invoke: fn((e) => ({
        principalId: 'bob',
        policyDocument:
          e.queryStringParameters.t === 'deny'
            ? policy('Deny', e.methodArn)
            : policy('Allow', `${e.methodArn.replace('$connect', '')}$default`),
      })),
    },
    routes: { $default: echo },
  });
  const deny = refused(await connect(`${url}?t=deny`));
  assert.equal(deny.status, 403);
  assert.equal(
    deny.body,
    '{"Message":"User is not authorized to access this resource with an explicit deny"}',
  );
  assert.equal(deny.headers['x-amzn-errortype'], 'AccessDeniedException');
  const other = refused(await connect(`${url}?t=other`));
  assert.equal(other.status, 403);
  assert.equal(other.body, '{"Message":"User is not authorized to access this resource"}');
  assert.deepEqual(
    logs.map((l) => [l.status, l.reason, l.invoked]),
    [
      [403, 'EXPLICIT_DENY', true],
      [403, 'IMPLICIT_DENY', true],
    ],
  );
});

test('a thrown "Unauthorized" is 401; any other failure of the authorizer is 500', async () => {
  const { url, logs } = await serve({
    authorizer: {
      identitySources: ['route.request.querystring.t'],
      invoke: fn((e) => {
        const t = e.queryStringParameters.t;
        if (t === 'unauthorized') throw new Error('Unauthorized');
        if (t === 'expired') throw new Error('Unauthorized: token expired');
        if (t === 'object')
          return {
            principalId: 'x',
            policyDocument: policy('Allow', '*'),
            context: { nested: { a: 1 } },
          };
        return 'Unauthorized';
      }),
    },
    routes: {},
  });
  const r401 = refused(await connect(`${url}?t=unauthorized`));
  assert.equal(r401.status, 401);
  assert.equal(r401.body, '{"message":"Unauthorized"}');
  for (const t of ['expired', 'object', 'returned']) {
    const r = refused(await connect(`${url}?t=${t}`));
    assert.equal(r.status, 500, t);
    assert.equal(r.body, '{"message":null}');
    assert.equal(r.headers['x-amzn-errortype'], 'AuthorizerConfigurationException');
  }
  assert.deepEqual(
    logs.map((l) => l.reason),
    ['UNAUTHORIZED', 'AUTHORIZER_ERROR', 'CONTEXT_INVALID', 'RESULT_INVALID'],
  );
});

test('an authorizer answer over 8 KB is a 500, whether counted whole or cut short at the limit', async () => {
  const big = {
    principalId: 'x',
    policyDocument: policy('Allow', '*'),
    context: { pad: 'p'.repeat(9000) },
  };
  const limited: RouteFunction = (event) =>
    invoke((() => big) as unknown as LambdaHandler, event, {
      functionName: 'f',
      requestId: 'r',
      timeoutMs: 5000,
      now: Date.now,
      region: LOCAL_API.region,
      account: LOCAL_API.account,
      maxResultBytes: 8192,
    });
  for (const invokeFn of [fn(() => big), limited]) {
    const { url, logs } = await serve({
      authorizer: { identitySources: ['route.request.querystring.t'], invoke: invokeFn },
      routes: {},
    });
    const r = refused(await connect(`${url}?t=x`));
    assert.equal(r.status, 500);
    assert.equal(r.body, '{"message":null}');
    assert.equal(logs.at(-1)!.reason, 'RESULT_INVALID');
  }
});

test('an Allow connects; {"action":"echo"} reaches the echo route with the authorizer context, anything else $default', async () => {
  const { url, logs, api } = await serve({
    authorizer: {
      identitySources: ['route.request.querystring.access_token'],
      invoke: fn((e) => ({
        principalId: 'alice',
        policyDocument: policy('Allow', e.methodArn),
        context: { tenant: 't1', level: 3, admin: false },
      })),
    },
    routes: {
      echo,
      $default: fn((e) => ({
        statusCode: 200,
        body: JSON.stringify({ route: e.requestContext.routeKey, body: e.body }),
      })),
    },
  });
  const ws = await connected(`${url}?access_token=tok`);
  assert.equal(api.connectionCount, 1);
  const line = logs.find((l) => l.event === 'websocket_connect')!;
  assert.equal(line.status, 101);
  assert.equal(line.reason, 'CONNECTED');
  assert.equal(line.principal, 'alice');

  const echoed = JSON.parse(await ask(ws, '{"action":"echo","text":"hi"}'));
  assert.equal(echoed.route, 'echo');
  assert.equal(echoed.eventType, 'MESSAGE');
  assert.equal(echoed.body, '{"action":"echo","text":"hi"}');
  assert.equal(echoed.connectionId, line.connectionId);
  // REST-like delivery: principalId, integrationLatency, and the context as strings.
  assert.equal(echoed.authorizer.principalId, 'alice');
  assert.equal(typeof echoed.authorizer.integrationLatency, 'number');
  assert.equal(echoed.authorizer.tenant, 't1');
  assert.equal(echoed.authorizer.level, '3');
  assert.equal(echoed.authorizer.admin, 'false');

  for (const text of [
    'plain text',
    '{"action":"nope"}',
    '{"action":{"x":1}}',
    '{"action":"constructor"}',
    '{"action":"$connect"}',
    '[1,2]',
  ]) {
    assert.deepEqual(JSON.parse(await ask(ws, text)), { route: '$default', body: text }, text);
  }
  assert.equal(api.postToConnection(String(line.connectionId), 'pushed'), true);
  assert.equal(
    await new Promise((resolve) => ws.once('message', (d) => resolve(String(d)))),
    'pushed',
  );
  assert.equal(api.postToConnection('nobody', 'x'), false);
  await closeClient(ws);
});

test('a failing route answers "Internal server error" and the connection and server carry on; no route and no $default is "Forbidden"', async () => {
  const { url, logs } = await serve({
    routes: {
      echo,
      boom: fn(() => {
        throw new Error('route bug');
      }),
      // A route function that itself throws, instead of reporting through invoke().
      raw: async () => {
        throw new Error('adapter bug');
      },
      bad: fn(() => ({ statusCode: 200, body: { not: 'a string' } })),
    },
  });
  const ws = await connected(url);
  const { connectionId } = JSON.parse(await ask(ws, '{"action":"echo"}'));
  for (const action of ['boom', 'raw', 'bad']) {
    const answer = await ask(ws, JSON.stringify({ action }));
    const m =
      /^\{"message": "Internal server error", "connectionId":"([^"]+)", "requestId":"([^"]+)"\}$/.exec(
        answer,
      );
    assert.ok(m, answer);
    assert.equal(m[1], connectionId);
  }
  const forbidden = await ask(ws, '{"action":"missing"}');
  assert.match(
    forbidden,
    /^\{"message": "Forbidden", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/,
  );
  assert.equal(
    JSON.parse(await ask(ws, '{"action":"echo"}')).route,
    'echo',
    'the connection still works',
  );
  const second = await connected(url);
  assert.equal(
    JSON.parse(await ask(second, '{"action":"echo"}')).route,
    'echo',
    'the server still accepts connections',
  );
  assert.deepEqual(
    logs.filter((l) => l.event === 'websocket_route_error').map((l) => [l.routeKey, l.detail]),
    [
      ['boom', 'route bug'],
      ['raw', 'adapter bug'],
      ['bad', 'body is not a string'],
    ],
  );
  await closeClient(ws);
  await closeClient(second);
});

test('$connect refuses with its non-2xx status; $disconnect runs on close with the authorizer context', async () => {
  const disconnects: Event[] = [];
  let disconnected!: () => void;
  const gone = new Promise<void>((resolve) => (disconnected = resolve));
  const connects: Event[] = [];
  const { url, logs } = await serve({
    authorizer: {
      identitySources: ['route.request.header.Authorization'],
      invoke: fn((e) => ({
        principalId: 'carol',
        policyDocument: policy('Allow', e.methodArn),
        context: { tier: 'gold' },
      })),
    },
    routes: {
      $connect: fn(
        (e) => (
          connects.push(e),
          e.queryStringParameters?.room === 'closed'
            ? { statusCode: 403, body: 'room closed' }
            : e.queryStringParameters?.room === 'silent'
              ? null
              : { statusCode: 200 }
        ),
      ),
      $disconnect: fn((e) => {
        disconnects.push(e);
        disconnected();
        return { statusCode: 200 };
      }),
      $default: echo,
    },
  });
  const headers = { Authorization: 'Bearer x' };
  const closed = refused(await connect(`${url}?room=closed`, { headers }));
  assert.equal(closed.status, 403);
  assert.equal(closed.body, 'room closed');
  const silent = refused(await connect(`${url}?room=silent`, { headers }));
  assert.equal(silent.status, 502, 'a $connect answer without statusCode refuses the connection');

  const ws = await connected(`${url}?room=open`, { headers });
  const last = connects[connects.length - 1]!;
  assert.equal(last.requestContext.eventType, 'CONNECT');
  assert.equal(last.requestContext.authorizer.principalId, 'carol');
  assert.equal(last.requestContext.authorizer.tier, 'gold');
  assert.equal(last.headers.Authorization, 'Bearer x');
  assert.equal(last.isBase64Encoded, false);
  await closeClient(ws);
  await gone;
  const d = disconnects[0]!;
  assert.equal(d.requestContext.routeKey, '$disconnect');
  assert.equal(d.requestContext.eventType, 'DISCONNECT');
  assert.equal(d.requestContext.disconnectStatusCode, 1000);
  assert.equal(d.requestContext.disconnectReason, 'bye');
  assert.equal(d.requestContext.connectionId, last.requestContext.connectionId);
  assert.equal(d.requestContext.authorizer.tier, 'gold');
  assert.deepEqual(
    logs.filter((l) => l.event === 'websocket_connect').map((l) => [l.status, l.reason]),
    [
      [403, 'CONNECT_ROUTE_REFUSED'],
      [502, 'CONNECT_ROUTE_FAILED'],
      [101, 'CONNECTED'],
    ],
  );
});

test('passAuthorizerContext: false keeps the context from message routes; the subprotocol is the one $connect returns', async () => {
  const { url } = await serve({
    passAuthorizerContext: false,
    authorizer: {
      identitySources: ['route.request.querystring.t'],
      invoke: fn((e) => ({ principalId: 'dave', policyDocument: policy('Allow', e.methodArn) })),
    },
    routes: {
      $connect: fn(() => ({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'chat.v2' } })),
      $default: echo,
    },
  });
  const ws = await connected(`${url}?t=1`, { protocols: ['chat.v1', 'chat.v2'] });
  assert.equal(ws.protocol, 'chat.v2');
  assert.equal(JSON.parse(await ask(ws, 'hello')).authorizer, null);
  await closeClient(ws);
});

test('a bad handshake and other paths never reach the authorizer', async () => {
  let calls = 0;
  const { url, port, logs } = await serve({
    authorizer: {
      identitySources: [],
      invoke: fn(() => (calls++, { principalId: 'x', policyDocument: policy('Allow', '*') })),
    },
    routes: {},
  });
  const other = refused(await connect(url.replace('/ws', '/other')));
  assert.equal(other.status, 404);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ws',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 400);
  assert.equal(calls, 0);
  assert.deepEqual(
    logs.map((l) => [l.status, l.reason]),
    [[400, 'BAD_HANDSHAKE']],
  );
  // Without identity sources the authorizer runs on every connect (they are optional when nothing is cached).
  await closeClient(await connected(url));
  assert.equal(calls, 1);
});

test('bad settings are refused when the API is attached', () => {
  const server = createServer();
  const attach = (options: Partial<WebSocketApiOptions>) => () =>
    attachWebSocketApi(server, { path: '/ws', routes: {}, log: () => {}, ...options });
  const check = (options: Partial<WebSocketApiOptions>, message: RegExp) =>
    assert.throws(
      attach(options),
      (e: unknown) =>
        e instanceof WebSocketConfigError &&
        e.code === 'WEBSOCKET_CONFIG_INVALID' &&
        message.test(e.message),
    );
  const never = fn(() => null);
  check(
    { authorizer: { identitySources: ['method.request.header.Authorization'], invoke: never } },
    /^authorizer\.identitySources has "method\.request\.header\.Authorization": a WebSocket identity source is route\.request\.header\.NAME/,
  );
  check(
    { authorizer: { identitySources: ['route.request.header.Bad Name'], invoke: never } },
    /"Bad Name" is not a valid header name/,
  );
  check(
    {
      authorizer: {
        identitySources: ['route.request.querystring.t'],
        ttlSeconds: 300,
        invoke: never,
      },
    },
    /^authorizer\.ttlSeconds must be 0 or unset/,
  );
  check(
    { routeSelectionExpression: '$request.header.action' },
    /^routeSelectionExpression is "\$request\.header\.action"/,
  );
  check({ path: 'ws' }, /^path must start with "\/"/);
  const first = attachWebSocketApi(server, { path: '/ws', routes: {}, log: () => {} });
  check({}, /^path "\/ws" already has a WebSocket API on this server/);
  return first.close();
});

// Tollgate's own authorizer, as deployed: the handler behind invoke(), keys from a local JWKS.
let jwks: JwksServer;
let key: TestKey;
before(async () => {
  key = generateKey('RS256');
  jwks = await startJwksServer([key.jwk]);
});
after(() => jwks.close());

test("Tollgate's authorizer accepts a valid token from the query string and refuses a bad one", async () => {
  const config = authorizerConfig({
    TOKEN_ISSUER: ISSUER,
    AUDIENCE,
    JWKS_URI: jwks.url,
    ALGORITHMS: 'RS256',
    TOKEN_SOURCE: 'query:access_token',
  });
  const handler = createHandler(createAuthorizer(config, { now: () => NOW_MS, log: () => {} }));
  const { url, logs } = await serve({
    authorizer: {
      name: 'tollgate',
      identitySources: ['route.request.querystring.access_token'],
      invoke: fn(handler as (event: Event) => unknown),
    },
    routes: { echo },
  });
  const token = await sign(key, claims({ sub: 'alice' }));
  const ws = await connected(`${url}?access_token=${token}`);
  const echoed = JSON.parse(await ask(ws, '{"action":"echo"}'));
  assert.equal(echoed.authorizer.principalId, 'alice');
  await closeClient(ws);

  const tampered = `${token.slice(0, -6)}AAAAAA`;
  const bad = refused(await connect(`${url}?access_token=${tampered}`));
  assert.equal(bad.status, 401);
  assert.equal(bad.body, '{"message":"Unauthorized"}');
  const wrongAudience = refused(
    await connect(
      `${url}?access_token=${await sign(key, claims({ aud: 'https://other.example.com' }))}`,
    ),
  );
  assert.equal(wrongAudience.status, 401);
  // The token in a header is not where this authorizer looks: 401 before invoking.
  const inHeader = refused(await connect(url, { headers: { Authorization: `Bearer ${token}` } }));
  assert.equal(inHeader.status, 401);
  assert.deepEqual(
    logs.filter((l) => l.event === 'websocket_connect').map((l) => [l.status, l.reason]),
    [
      [101, 'CONNECTED'],
      [401, 'UNAUTHORIZED'],
      [401, 'UNAUTHORIZED'],
      [401, 'IDENTITY_MISSING'],
    ],
  );
});
