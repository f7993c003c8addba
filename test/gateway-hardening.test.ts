// Issue 10 on the local gateway, in process over real HTTP on 127.0.0.1: bodies read only after
// authorization and bounded (each, together, in time), slow clients closed, authorizer answers
// limited to 8 KB before caching, the cache bounded in bytes, tokens kept out of --verbose logs,
// and `//host/path` read as a path.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createGateway } from '../src/gateway/gateway.js';
import {
  createGatewayServer,
  parseTarget,
  type GatewayServer,
  type GatewayServerOptions,
} from '../src/gateway/server.js';
import { createAuthorizerCache, type AuthorizerCache } from '../src/gateway/authorizer-cache.js';
import { parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { redact } from '../src/gateway/redact.js';
import { jsonBytesUpTo } from '../src/gateway/invoke.js';
import fc from 'fast-check';
import { proxyTo, restTokenApi } from './support/apigw.js';

const API = restTokenApi(`
  /pets:
    get:
      ${proxyTo('echo')}
    post:
      ${proxyTo('echo')}
`);

/** A token the authorizer allows, long and JWT-shaped, so the log checks have something to find. */
export const GOOD =
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInNjb3BlIjoicmVhZDpwZXRzIn0.c2lnbmF0dXJlLW9mLWEtdGVzdC10b2tlbi1mb3ItdGhlLWxvZ3M';

const policy = (context: Record<string, unknown> = {}) => ({
  principalId: 'alice',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:*' },
    ],
  },
  context,
});

let authCalls = 0;
/** `Bearer GOOD` is allowed; `huge` and `wide` answer with oversized contexts; anything else is refused. */
const auth: LambdaHandler = async (event: { authorizationToken: string }) => {
  authCalls++;
  const token = event.authorizationToken;
  if (token === `Bearer ${GOOD}`) return policy({ note: 'ok' });
  if (token === 'Bearer huge') return policy({ blob: 'x'.repeat(20 * 1024 * 1024) });
  if (token === 'Bearer wide')
    return policy(Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i])));
  if (token === 'Bearer leaky') throw new Error(`cannot use ${GOOD}`);
  throw new Error('Unauthorized');
};
const echo: LambdaHandler = async (event: { body: string | null }) => ({
  statusCode: 200,
  body: String(event.body?.length ?? 0),
});

const running: GatewayServer[] = [];
after(() => Promise.all(running.map((s) => s.close())));

async function start(
  options: GatewayServerOptions = {},
  verbose = false,
): Promise<{ url: string; port: number; logs: Record<string, unknown>[]; cache: AuthorizerCache }> {
  const logs: Record<string, unknown>[] = [];
  const cache = createAuthorizerCache();
  const gateway = createGateway({
    api: parseApi(API, 'hardening.yaml'),
    functions: new Map([
      ['auth', auth],
      ['echo', echo],
    ]),
    log: (e) => logs.push(e),
    cache,
    verbose,
  });
  const server = createGatewayServer(gateway, options);
  running.push(server);
  const bound = await server.listen(0);
  return { ...bound, logs, cache };
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

function call(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends raw bytes, then waits for the server's answer or its close; never for longer than `ms`. */
function raw(port: number, text: string, ms = 5000): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply, closed: false });
    }, ms);
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closed: true });
    });
    socket.write(text);
  });
}

const bearer = { authorization: `Bearer ${GOOD}` };

test('an unauthenticated body is never read: refused with 401 even when it could never fit the body budget', async () => {
  const { url } = await start({ bodyBudgetBytes: 1024 });
  const body = Buffer.alloc(64 * 1024, 'a');
  const refused = await call(url, 'POST', '/pets', { 'content-type': 'application/json' }, body);
  assert.equal(refused.status, 401, 'authorized first: the body was not what refused it');
  assert.equal(
    refused.headers.connection,
    'close',
    'an unread body closes the connection instead of being drained',
  );
  const accepted = await call(url, 'POST', '/pets', bearer, Buffer.alloc(512, 'b'));
  assert.equal(accepted.status, 200);
  assert.equal(accepted.body, '512');
});

test('the in-flight body budget: a body that does not fit gets 503 Service Unavailable; the budget is returned afterwards', async () => {
  const { url, logs } = await start({ bodyBudgetBytes: 1000 });
  const over = await call(url, 'POST', '/pets', bearer, Buffer.alloc(2000, 'c'));
  assert.equal(over.status, 503);
  assert.equal(over.body, '{"message":"Service Unavailable"}');
  assert.equal(over.headers['x-amzn-errortype'], 'ServiceUnavailableException');
  assert.ok(logs.some((l) => l.reason === 'BODY_BUDGET_EXCEEDED'));
  // Each body's share is released when its response is done: many in a row all fit.
  for (let i = 0; i < 5; i++)
    assert.equal((await call(url, 'POST', '/pets', bearer, Buffer.alloc(900, 'd'))).status, 200);
});

test('over 10 MB: 413 Request Too Long, whether declared or chunked', async () => {
  const { url, port } = await start({ maxBodyBytes: 1000 });
  const declared = await call(url, 'POST', '/pets', bearer, Buffer.alloc(1001));
  assert.equal(declared.status, 413);
  assert.equal(declared.body, '{"message":"Request Too Long"}');
  const chunk = Buffer.alloc(600, 'e').toString();
  const chunked = await raw(
    port,
    `POST /pets HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${GOOD}\r\ntransfer-encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`,
  );
  assert.match(chunked.reply, /^HTTP\/1\.1 413 /);
  assert.match(chunked.reply, /Request Too Long/);
});

test('a body left idle gets 408 and a closed connection; the gateway serves the next request', async () => {
  const { url, port } = await start({ bodyIdleTimeoutMs: 200 });
  const slow = await raw(
    port,
    `POST /pets HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${GOOD}\r\ncontent-length: 100\r\n\r\n0123456789`,
  );
  assert.match(slow.reply, /^HTTP\/1\.1 408 /);
  assert.match(slow.reply, /Request Timeout/);
  assert.ok(slow.closed);
  assert.equal((await call(url, 'GET', '/pets', bearer)).status, 200);
});

test('headers trickled past the headers timeout: the connection is closed', async () => {
  const { port } = await start({ headersTimeoutMs: 300 });
  const slowloris = await raw(port, 'GET /pets HTTP/1.1\r\nhost: x\r\nx-slow: 1', 4000);
  assert.ok(slowloris.closed, "closed by the server, not by the test's own time limit");
  assert.match(slowloris.reply, /^HTTP\/1\.1 408 Request Timeout/);
});

test('a path starting with // is a path, not a host: GET //evil.example/pets is no resource (403 Missing Authentication Token)', async () => {
  assert.equal(parseTarget('//evil.example/pets')?.path, '//evil.example/pets');
  assert.equal(parseTarget('/pets?a=1')?.path, '/pets');
  const { url, port, logs } = await start();
  const r = await raw(
    port,
    `GET //evil.example/pets HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${GOOD}\r\nconnection: close\r\n\r\n`,
  );
  assert.match(r.reply, /^HTTP\/1\.1 403 /);
  assert.match(r.reply, /Missing Authentication Token/);
  assert.ok(logs.some((l) => l.path === '//evil.example/pets' && l.reason === 'NO_ROUTE'));
  assert.equal(
    (await call(url, 'GET', '/pets', bearer)).status,
    200,
    'the real /pets still answers',
  );
});

test('an authorizer answer over 8 KB is a 500 and is not cached; a 200,000-key context is refused too', async () => {
  const { url, logs, cache } = await start();
  const before = authCalls;
  for (let i = 0; i < 2; i++) {
    const r = await call(url, 'GET', '/pets', { authorization: 'Bearer huge' });
    assert.equal(r.status, 500);
    assert.equal(r.body, '{"message":null}');
  }
  assert.equal(authCalls - before, 2, 'invoked again: nothing was cached');
  assert.equal(cache.size().entries, 0);
  assert.match(String(logs.at(-1)!.detail), /over 8192 bytes of JSON/);
  const wide = await call(url, 'GET', '/pets', { authorization: 'Bearer wide' });
  assert.equal(wide.status, 500);
  assert.equal(cache.size().entries, 0);
  assert.equal((await call(url, 'GET', '/pets', bearer)).status, 200);
  assert.equal(cache.size().entries, 1, 'a normal answer is cached');
});

test('the result cache is bounded in bytes as well as entries', () => {
  const cache = createAuthorizerCache({ maxBytes: 64 * 1024, maxEntries: 1_000_000 });
  const output = {
    principalId: 'p',
    policyDocument: { Statement: [] },
    context: { pad: 'x'.repeat(4000) },
    usageIdentifierKey: undefined,
    isAuthorized: undefined,
  };
  for (let i = 0; i < 100; i++) cache.set('auth', [`token-${i}`], 300, output, 'arn');
  const { entries, bytes } = cache.size();
  assert.ok(bytes <= 64 * 1024, `${bytes} bytes kept`);
  assert.ok(entries > 0 && entries < 100, `${entries} entries kept`);
  assert.ok(cache.get('auth', ['token-99']), 'the newest stays');
  assert.equal(cache.get('auth', ['token-0']), undefined, 'the oldest went first');
  cache.clear();
  assert.deepEqual(cache.size(), { entries: 0, bytes: 0 });
});

test('--verbose logs the authorizer event and result without any part of the token; error details are scrubbed too', async () => {
  const { url, logs } = await start({}, true);
  assert.equal(
    (await call(url, 'GET', '/pets?x=1', { ...bearer, cookie: 'session=s3cr3t-cookie-value' }))
      .status,
    200,
  );
  assert.equal((await call(url, 'GET', '/pets', { authorization: 'Bearer leaky' })).status, 500);
  const text = JSON.stringify(logs);
  assert.ok(
    logs.some((l) => l.event === 'authorizer' && typeof l.authorizerEvent === 'object'),
    'the event is still logged',
  );
  for (const part of GOOD.split('.'))
    assert.ok(!text.includes(part), `a token part leaked: ${part.slice(0, 12)}…`);
  assert.ok(!text.includes('s3cr3t-cookie-value'));
  assert.match(text, /\[redacted\]/);
});

test('redact: sensitive names whole, compact tokens and known secrets anywhere, other values kept', () => {
  const out = redact(
    {
      headers: { Authorization: 'Bearer x', Host: 'petstore.example.com' },
      identitySource: ['abc'],
      q: { token2: 'prefix-supersecretvalue' },
      note: `see ${GOOD} here`,
      n: 3,
    },
    ['supersecretvalue'],
  );
  assert.deepEqual(out, {
    headers: { Authorization: '[redacted]', Host: 'petstore.example.com' },
    identitySource: ['[redacted]'],
    q: { token2: 'prefix-[redacted]' },
    note: 'see [redacted] here',
    n: 3,
  });
});

test('jsonBytesUpTo: the exact size of any JSON value as JSON, and past a limit it stops early (over the limit)', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.nat({ max: 400 }), (value, limit) => {
      const exact = Buffer.byteLength(JSON.stringify(value));
      assert.equal(jsonBytesUpTo(value, 1e9), exact);
      const cut = jsonBytesUpTo(value, limit);
      assert.equal(cut > limit, exact > limit);
    }),
    { numRuns: 500 },
  );
  assert.equal(
    jsonBytesUpTo({ a: undefined, b: [undefined, () => 1], c: new Date(0) }, 1e9),
    Buffer.byteLength(JSON.stringify({ a: undefined, b: [undefined, () => 1], c: new Date(0) })),
  );
});
