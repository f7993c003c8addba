// tollgate serve beyond the PetStore: functions in their own sandboxes (environment, busy loops,
// --watch), the serve: section of the config file (usage plans, positions of its errors),
// --verbose, and an HTTP API served with Tollgate's own authorizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer } from '../src/gateway/server.js';
import { parseApi } from '../src/gateway/openapi.js';
import { startFunctionWorker } from '../src/gateway/function-worker.js';
import { serve } from '../src/cli/serve-command.js';
import { UsageError } from '../src/core/errors.js';
import { mintDevToken } from '../src/cli/token-command.js';
import { lambdaUri } from './support/apigw.js';
import { useTempHome } from './support/temp-home.js';

let dir: string;
useTempHome('tollgate-serve-features-', (path) => (dir = path));
const fn = lambdaUri;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('a function runs in its own worker: its own environment, a busy loop costs one 504 and a fresh sandbox', async () => {
  const module = file(
    'worker-fn.mjs',
    `let calls = 0;
export async function handler(event) {
  calls++;
  if (event.path === '/spin') for (;;) {}
  return { statusCode: 200, body: JSON.stringify({ own: process.env.OWN_SETTING ?? null, calls, remaining: typeof arguments[1].getRemainingTimeInMillis() }) };
}`,
  );
  const worker = startFunctionWorker({
    name: 'w',
    file: module,
    exportName: 'handler',
    environment: { OWN_SETTING: 'only-here' },
  });
  await worker.ready();
  const api = parseApi(
    `openapi: 3.0.1\ninfo: { title: t, version: '1' }\npaths:\n  /{p}:\n    get:\n      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${fn('w')}' }\n`,
    'api.yaml',
  );
  // The request after the hang pays for the ping (250 ms) and a new sandbox: a budget that covers both.
  const server = createGatewayServer(
    createGateway({
      api,
      functions: new Map([['w', worker.handler]]),
      integrationTimeoutMs: 2000,
      log: () => {},
    }),
  );
  const { url } = await server.listen(0);
  try {
    const first = (await (await fetch(`${url}/a`)).json()) as {
      own: string;
      calls: number;
      remaining: string;
    };
    assert.deepEqual(first, { own: 'only-here', calls: 1, remaining: 'number' });
    assert.equal(
      process.env.OWN_SETTING,
      undefined,
      "the function's variables stay in its sandbox",
    );
    const spin = await fetch(`${url}/spin`);
    assert.equal(spin.status, 504, 'a function past its timeout is an integration timeout');
    const after = (await (await fetch(`${url}/a`)).json()) as { calls: number };
    assert.equal(after.calls, 1, 'the hung sandbox was replaced: the module was loaded again');
  } finally {
    await server.close();
    await worker.close();
  }
});

test('serve --watch reloads a function when its file changes; --verbose logs the authorizer event and result', async () => {
  const backend = file(
    'watched.mjs',
    `export const handler = async () => ({ statusCode: 200, body: 'v1' });\n`,
  );
  const authorizer = file(
    'allow-all.mjs',
    `export const handler = async (event) => ({ principalId: 'p', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: event.methodArn.split('/')[0] + '/*' }] } });\n`,
  );
  const api = file(
    'watch-api.yaml',
    `openapi: 3.0.1
info: { title: watch, version: '1' }
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer: { type: token, authorizerUri: '${fn('auth')}', authorizerResultTtlInSeconds: 0 }
security: [{ auth: [] }]
paths:
  /v:
    get:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${fn('watched')}' }
`,
  );
  const lines: Record<string, unknown>[] = [];
  const running = await serve(
    {
      api,
      function: [`watched=${backend}`, `auth=${authorizer}`],
      port: '0',
      watch: true,
      verbose: true,
    },
    () => {},
    (e) => lines.push(e),
  );
  try {
    const get = async (): Promise<string> =>
      (await fetch(`${running.url}/v`, { headers: { authorization: 'anything' } })).text();
    assert.equal(await get(), 'v1');
    const verbose = lines.find((l) => l.event === 'authorizer');
    assert.ok(verbose, 'an authorizer line');
    assert.equal((verbose!.authorizerEvent as { type: string }).type, 'TOKEN');
    assert.equal((verbose!.authorizerResult as { principalId: string }).principalId, 'p');
    writeFileSync(
      backend,
      `export const handler = async () => ({ statusCode: 200, body: 'v2' });\n`,
    );
    let body = 'v1';
    for (let i = 0; i < 100 && body !== 'v2'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      body = await get();
    }
    assert.equal(body, 'v2');
    assert.ok(lines.some((l) => l.event === 'function_reloaded' && l.function === 'watched'));
  } finally {
    await running.close();
  }
});

test('usage plans from the serve: section: 403 without a key, 429 past the burst; errors point into the file', async () => {
  file(
    'keys-api.yaml',
    `openapi: 3.0.1
info: { title: keys, version: '1' }
components:
  securitySchemes:
    api_key: { type: apiKey, in: header, name: x-api-key }
paths:
  /metered:
    get:
      security: [{ api_key: [] }]
      x-amazon-apigateway-integration:
        type: mock
        responses: { default: { statusCode: '200', responseTemplates: { application/json: '{"ok":true}' } } }
`,
  );
  const config = file(
    'keys.config.yaml',
    `serve:
  api: ./keys-api.yaml
  page: false
  usagePlans:
    - name: tiny
      throttle: { rateLimit: 0.001, burstLimit: 2 }
      apiKeys:
        - { name: dev, value: local-development-key-01 }
`,
  );
  const running = await serve(
    { config, port: '0' },
    () => {},
    () => {},
  );
  try {
    const call = (key?: string): Promise<Response> =>
      fetch(`${running.url}/metered`, { headers: key ? { 'x-api-key': key } : {} });
    const none = await call();
    assert.deepEqual([none.status, await none.text()], [403, '{"message":"Forbidden"}']);
    assert.equal((await call('not-a-key-of-any-plan-00')).status, 403);
    assert.equal((await call('local-development-key-01')).status, 200);
    assert.equal((await call('local-development-key-01')).status, 200);
    const throttled = await call('local-development-key-01');
    assert.deepEqual(
      [throttled.status, await throttled.text()],
      [429, '{"message":"Too Many Requests"}'],
    );
  } finally {
    await running.close();
  }
  const bad = file(
    'bad.config.yaml',
    `serve:\n  api: ./keys-api.yaml\n  usagePlans:\n    - name: x\n      apiKeys: [{ name: k, value: short }]\n`,
  );
  await assert.rejects(
    serve(
      { config: bad, port: '0' },
      () => {},
      () => {},
    ),
    (e: unknown) =>
      e instanceof UsageError &&
      /bad\.config\.yaml:5:\d+: serve\.usagePlans\[0\]\.apiKeys\[0\]\.value/.test(e.message),
  );
  const typo = file('typo.config.yaml', `serve:\n  api: ./keys-api.yaml\n  prot: 3000\n`);
  await assert.rejects(
    serve(
      { config: typo, port: '0' },
      () => {},
      () => {},
    ),
    (e: unknown) =>
      e instanceof UsageError &&
      /typo\.config\.yaml:3:3: serve\.prot is not a known key/.test(e.message),
  );
});

test("an HTTP API (payload 2.0, simple responses) behind Tollgate's own authorizer and the development provider", async () => {
  const backend = file(
    'v2-backend.mjs',
    `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event.requestContext.authorizer ?? null) });\n`,
  );
  const api = file(
    'http-api.yaml',
    `openapi: 3.0.1
info: { title: http, version: '1' }
x-amazon-apigateway-importexport-version: '1.0'
components:
  securitySchemes:
    tollgate:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: '${fn('tollgate')}'
        authorizerPayloadFormatVersion: '2.0'
        enableSimpleResponses: true
        identitySource: '$request.header.Authorization'
security: [{ tollgate: [] }]
paths:
  /items:
    get:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${fn('items')}', payloadFormatVersion: '2.0' }
`,
  );
  const running = await serve(
    { api, function: [`items=${backend}`], port: '0' },
    () => {},
    () => {},
  );
  try {
    const anonymous = await fetch(`${running.url}/items`);
    assert.deepEqual(
      [anonymous.status, await anonymous.text()],
      [401, '{"message":"Unauthorized"}'],
    );
    const { token } = await mintDevToken({ iss: running.devProvider!.issuer, scope: 'read:pets' });
    const ok = await fetch(`${running.url}/items`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.status, 200);
    assert.ok(
      (JSON.parse(await ok.text()) as { lambda: Record<string, unknown> }).lambda,
      "the simple answer's context reaches the integration as authorizer.lambda",
    );
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal(
      (await fetch(`${running.url}/items`, { headers: { authorization: `Bearer ${forged}` } }))
        .status,
      401,
    );
  } finally {
    await running.close();
  }
});

test("serve.websocket: $connect over a real upgrade with Tollgate's own authorizer, then messages to a local route", async () => {
  const { WebSocket } = await import('ws');
  file(
    'echo.mjs',
    `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ got: event.body, principal: event.requestContext.authorizer?.principalId ?? null }) });\n`,
  );
  file(
    'ws-api.yaml',
    `openapi: 3.0.1\ninfo: { title: ws, version: '1' }\npaths:\n  /public:\n    get:\n      x-amazon-apigateway-integration: { type: mock, responses: { default: { statusCode: '200' } } }\n`,
  );
  const config = file(
    'ws.config.yaml',
    `serve:
  api: ./ws-api.yaml
  page: false
  functions:
    echo: ./echo.mjs
  websocket:
    path: /ws
    identitySource: route.request.header.Authorization
    routes: { $default: echo }
`,
  );
  const running = await serve(
    { config, port: '0' },
    () => {},
    () => {},
  );
  const wsUrl = running.url.replace('http:', 'ws:') + '/ws';
  const refused = (headers: Record<string, string>): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('connected')));
      ws.on('error', () => {});
    });
  try {
    assert.equal(await refused({}), 401, 'no identity: 401 without invoking the authorizer');
    assert.equal(await refused({ authorization: 'Bearer not.a.token' }), 401);
    const { token } = await mintDevToken({
      iss: running.devProvider!.issuer,
      sub: 'ws-user',
      scope: 'read:pets',
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (data) => {
        resolve(String(data));
        ws.close();
      });
      ws.on('unexpected-response', (_req, res) =>
        reject(new Error(`refused with ${res.statusCode}`)),
      );
    });
    assert.deepEqual(JSON.parse(reply), { got: 'hello', principal: 'ws-user' });
  } finally {
    await running.close();
  }
});

test('function sandboxes: an async hang does not cost a responsive sandbox its other calls; reload lets calls finish; process.exit is a quick 502', async () => {
  const module = file(
    'sandbox-fn.mjs',
    `export async function handler(event) {
  if (event.path === '/hang') return new Promise(() => {});
  if (event.path === '/cpu') { const end = Date.now() + 200; while (Date.now() < end) {} return { statusCode: 200, body: 'cpu' }; }
  if (event.path === '/slow') { await new Promise((r) => setTimeout(r, 300)); return { statusCode: 200, body: 'slow' }; }
  if (event.path === '/exit') process.exit(3);
  return { statusCode: 200, body: 'ok' };
}`,
  );
  const worker = startFunctionWorker({
    name: 's',
    file: module,
    exportName: 'handler',
    environment: {},
  });
  await worker.ready();
  const api = parseApi(
    `openapi: 3.0.1\ninfo: { title: t, version: '1' }\npaths:\n  /{p}:\n    get:\n      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${fn('s')}' }\n`,
    'api.yaml',
  );
  const server = createGatewayServer(
    createGateway({
      api,
      functions: new Map([['s', worker.handler]]),
      integrationTimeoutMs: 500,
      log: () => {},
    }),
  );
  const { url } = await server.listen(0);
  try {
    const hang = fetch(`${url}/hang`);
    await new Promise((r) => setTimeout(r, 400));
    const cpu = fetch(`${url}/cpu`);
    assert.equal((await hang).status, 504);
    const cpuAnswer = await cpu;
    assert.deepEqual(
      [cpuAnswer.status, await cpuAnswer.text()],
      [200, 'cpu'],
      'the sandbox answered its ping: it was not replaced under the CPU-bound call',
    );
    const slow = fetch(`${url}/slow`);
    await new Promise((r) => setTimeout(r, 50));
    await worker.reload();
    const slowAnswer = await slow;
    assert.deepEqual(
      [slowAnswer.status, await slowAnswer.text()],
      [200, 'slow'],
      'a reload lets the old sandbox finish what it has',
    );
    const exited = await fetch(`${url}/exit`);
    assert.equal(exited.status, 502, 'an exiting sandbox is a failed invocation, not a timeout');
    assert.equal(
      await (await fetch(`${url}/a`)).text(),
      'ok',
      'and the next call gets a fresh sandbox',
    );
  } finally {
    await server.close();
    await worker.close();
  }
});

test("a method that requires an API key is refused without usage plans; an HTTP API IAM authorizer runs Tollgate's own in the IAM form", async () => {
  const keyed = parseApi(
    `openapi: 3.0.1\ninfo: { title: k, version: '1' }\ncomponents:\n  securitySchemes:\n    api_key: { type: apiKey, in: header, name: x-api-key }\npaths:\n  /secret:\n    get:\n      security: [{ api_key: [] }]\n      x-amazon-apigateway-integration: { type: mock, responses: { default: { statusCode: '200' } } }\n`,
    'k.yaml',
  );
  const server = createGatewayServer(
    createGateway({ api: keyed, functions: new Map(), log: () => {} }),
  );
  const { url } = await server.listen(0);
  try {
    const r = await fetch(`${url}/secret`, {
      headers: { 'x-api-key': 'any-key-at-all-0000000000' },
    });
    assert.deepEqual([r.status, await r.text()], [403, '{"message":"Forbidden"}']);
  } finally {
    await server.close();
  }

  const backend = file(
    'iam-backend.mjs',
    `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event.requestContext.authorizer ?? null) });\n`,
  );
  const api = file(
    'http-iam-api.yaml',
    `openapi: 3.0.1
info: { title: http-iam, version: '1' }
x-amazon-apigateway-importexport-version: '1.0'
components:
  securitySchemes:
    tollgate:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer: { type: request, authorizerUri: '${fn('tollgate')}', authorizerPayloadFormatVersion: '2.0', identitySource: '$request.header.Authorization' }
security: [{ tollgate: [] }]
paths:
  /items:
    get:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${fn('items')}', payloadFormatVersion: '2.0' }
`,
  );
  const running = await serve(
    { api, function: [`items=${backend}`], port: '0' },
    () => {},
    () => {},
  );
  try {
    const { token } = await mintDevToken({ iss: running.devProvider!.issuer, scope: 'read:pets' });
    const ok = await fetch(`${running.url}/items`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(
      ok.status,
      200,
      'without enableSimpleResponses, Tollgate answers with an IAM policy',
    );
  } finally {
    await running.close();
  }
});
