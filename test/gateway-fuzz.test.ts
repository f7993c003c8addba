// Property-based tests of the local gateway's HTTP surface (issue 10): random methods, request
// targets (`//`, `..`, percent-escapes, long paths), headers, bodies with honest and lying lengths,
// and tokens (valid, tampered, truncated, foreign, random), as raw bytes over real sockets to a
// gateway whose authorizer is Tollgate's own, verifying against a real JWKS server.
// Invariants: no 2xx on a protected route without the valid token; no 5xx; every request answered
// or closed within a bound; no unhandled error; the gateway serves normally afterwards.
// FUZZ_RUNS sets the number of runs (npm run fuzz runs many more).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { createHandler } from '../src/lambda/handler.js';
import { singleIssuerAuthorizer } from '../src/lambda/authorizer.js';
import { claims, generateKey, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { testRuntime } from './support/verifier.js';
import { proxyTo, restTokenApi } from './support/apigw.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
/** A refusal or an answer must come within this, whatever the client sent (idle and header timeouts are shorter). */
const BOUND_MS = 3000;

const API = restTokenApi(`
  /pets:
    get:
      ${proxyTo('echo')}
    post:
      ${proxyTo('echo')}
  /pets/{petId}:
    get:
      ${proxyTo('echo')}
  /files/{proxy+}:
    x-amazon-apigateway-any-method:
      ${proxyTo('echo')}
  /public:
    get:
      security: []
      ${proxyTo('echo')}
`);

/** The backend marks its answers, so a 2xx from it is told apart from any gateway answer. */
const echo: LambdaHandler = async (event: { resource: string; body: string | null }) => ({
  statusCode: 200,
  body: `BACKEND ${event.resource} ${event.body?.length ?? 0}`,
});

let key: TestKey;
let foreign: TestKey;
let jwks: JwksServer;
let server: GatewayServer;
let port: number;
let valid: string;
const logs: Record<string, unknown>[] = [];
const crashes: unknown[] = [];
const onCrash = (error: unknown): void => void crashes.push(error);

before(async () => {
  key = generateKey('RS256');
  foreign = generateKey('RS256');
  jwks = await startJwksServer([key.jwk]);
  valid = await sign(key);
  const tollgate = createHandler(singleIssuerAuthorizer(testRuntime(jwks.url)));
  const gateway = createGateway({
    api: parseApi(API, 'fuzz.yaml'),
    functions: new Map([
      ['auth', tollgate as unknown as LambdaHandler],
      ['echo', echo],
    ]),
    log: (e) => void logs.push(e),
  });
  server = createGatewayServer(gateway, {
    maxBodyBytes: 4096,
    bodyBudgetBytes: 64 * 1024,
    bodyIdleTimeoutMs: 150,
    headersTimeoutMs: 800,
    requestTimeoutMs: 1500,
    log: (e) => void logs.push(e),
  });
  port = (await server.listen(0)).port;
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
});
after(async () => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  await server.close();
  await jwks.close();
});

interface Reply {
  readonly status: number | undefined;
  readonly head: string;
  readonly text: string;
  readonly ms: number;
}

/** Writes the request as bytes; resolves with the status line's code (if any) when the server answers or closes. */
function send(bytes: Buffer): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
      resolve({
        status: m ? Number(m[1]) : undefined,
        head: text.slice(0, 400),
        text,
        ms: performance.now() - started,
      });
    };
    // Past the bound the test stops waiting; the property then fails on `ms`.
    const timer = setTimeout(finish, BOUND_MS + 1000);
    // Every request says connection: close, so the whole answer ends with the connection.
    socket.on('data', (d: Buffer) => void (text += d.toString('latin1')));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(bytes);
  });
}

// --- generators ---

const segment = fc.oneof(
  fc.constantFrom(
    'pets',
    'public',
    'files',
    '1',
    'a1b2',
    '..',
    '.',
    '',
    '%2e%2e',
    '%2F',
    '%00',
    '%ZZ',
    'evil.example',
    '{petId}',
    'ü',
    '%C3%BC',
    '*',
    '$default',
    'idp',
  ),
  fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}$/),
);
const target = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('/', '//', '///', '/./', '/../'),
      fc.array(segment, { maxLength: 6 }),
      fc.constantFrom('', '/', '?', '?a=1&a=2', '?token=x', '#frag', '?%zz'),
    )
    .map(([lead, parts, tail]) => `${lead}${parts.join('/')}${tail}`),
  fc.constantFrom(
    '/pets',
    '/pets/1',
    '/public',
    '/files/a/b',
    '//evil.example/pets',
    '/pets/../public',
    '*',
    'http://evil.example/pets',
    '/pets?'.padEnd(3000, 'x'),
  ),
);
const method = fc.oneof(
  fc.constantFrom(
    'GET',
    'POST',
    'PUT',
    'DELETE',
    'PATCH',
    'HEAD',
    'OPTIONS',
    'get',
    'CONNECT',
    'TRACE',
  ),
  fc.stringMatching(/^[A-Z]{1,8}$/),
);

/** Tokens: the valid one (sometimes), and many near misses. */
function tokenArb(): fc.Arbitrary<{ header: string | undefined; valid: boolean }> {
  const parts = valid.split('.');
  const flip = (s: string, i: number): string => {
    const at = i % s.length;
    return s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  };
  return fc.oneof(
    fc.constant({ header: `Bearer ${valid}`, valid: true }),
    fc.constant({ header: undefined, valid: false }),
    fc.nat().map((i) => ({ header: `Bearer ${flip(valid, i)}`, valid: false })),
    fc
      .nat({ max: valid.length - 1 })
      .map((n) => ({ header: `Bearer ${valid.slice(0, n)}`, valid: false })),
    fc.constant({ header: `Bearer ${parts[0]}.${parts[1]}.`, valid: false }),
    fc.constant({
      header: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${parts[1]}.`,
      valid: false,
    }),
    // A bare token (no Bearer) is accepted as API Gateway's JWT authorizer accepts it.
    fc.constant({ header: valid, valid: true }),
    fc.constant({ header: `bearer  ${valid}x`, valid: false }),
    fc
      .string({ maxLength: 200 })
      .map((s) => ({ header: `Bearer ${s.replace(/[\r\n]/g, '')}`, valid: false })),
    fc
      .stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}$/)
      .map((s) => ({ header: `Bearer ${s}`, valid: false })),
  );
}

const headerName = fc.oneof(
  fc.constantFrom(
    'x-api-key',
    'content-type',
    'cookie',
    'accept',
    'x-forwarded-for',
    'host',
    'Authorization',
    'transfer-encoding',
    'expect',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
);
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/),
  fc.constantFrom('chunked', 'gzip', '100-continue', '\u00ff\u00fe', ''),
);

const body = fc.oneof(
  fc.constant({ bytes: Buffer.alloc(0), lie: undefined as number | undefined }),
  fc
    .uint8Array({ maxLength: 600 })
    .map((b) => ({ bytes: Buffer.from(b), lie: undefined as number | undefined })),
  fc
    .tuple(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: -50, max: 10_000 }))
    .map(([b, delta]) => ({ bytes: Buffer.from(b), lie: Math.max(0, b.length + delta) })),
  fc.constant({ bytes: Buffer.alloc(5000, 'z'), lie: undefined as number | undefined }),
);

interface Req {
  readonly method: string;
  readonly target: string;
  readonly token: { readonly header: string | undefined; readonly valid: boolean };
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: { readonly bytes: Buffer; readonly lie: number | undefined };
  readonly http10: boolean;
}

/** Built once the valid token exists (tokenArb derives its near misses from it). */
const requestArb = (): fc.Arbitrary<Req> =>
  fc.record({
    method,
    target,
    token: tokenArb(),
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
    body,
    http10: fc.boolean(),
  });

function bytesOf(r: Req): Buffer {
  const lines = [
    `${r.method} ${r.target} HTTP/1.${r.http10 ? 0 : 1}`,
    'host: 127.0.0.1',
    'connection: close',
  ];
  if (r.token.header !== undefined) lines.push(`authorization: ${r.token.header}`);
  for (const [name, value] of r.headers)
    if (name.toLowerCase() !== 'authorization') lines.push(`${name}: ${value}`);
  if (r.body.bytes.length || r.body.lie !== undefined)
    lines.push(`content-length: ${r.body.lie ?? r.body.bytes.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), r.body.bytes]);
}

const PROTECTED = /^(\/pets(\/[^/?#]+)?|\/files\/.+)$/;

test(
  `the gateway's HTTP surface under ${RUNS} random requests: no Allow without the valid token, no 5xx, every refusal bounded`,
  { timeout: 600_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(requestArb(), async (r) => {
        const reply = await send(bytesOf(r));
        assert.ok(reply.ms < BOUND_MS, `took ${Math.round(reply.ms)} ms`);
        if (reply.status === undefined) return; // closed without an answer (a slow or lying client): allowed
        assert.ok(reply.status < 500, `5xx: ${reply.head}`);
        // A protected route answered by the backend (it names the resource it served) needs the valid token.
        const path = r.target.split(/[?#]/)[0]!;
        const servedProtected = /BACKEND \/(pets|files)/.test(reply.text) || PROTECTED.test(path);
        if (reply.status >= 200 && reply.status < 300 && servedProtected && !r.token.valid) {
          assert.fail(`an Allow without the valid token: ${r.method} ${r.target} → ${reply.head}`);
        }
      }),
      { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    assert.deepEqual(crashes, [], 'no unhandled exception or rejection');
    assert.deepEqual(
      logs.filter((l) => l.event === 'gateway_error' || l.event === 'server_error'),
      [],
    );
    // Still serving: a valid token is allowed, a tampered one is not.
    const ok = await send(
      Buffer.from(
        `GET /pets HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: Bearer ${valid}\r\n\r\n`,
      ),
    );
    assert.equal(ok.status, 200, ok.head);
    const bad = await send(
      Buffer.from(
        `GET /pets HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: Bearer ${await sign(foreign, claims())}\r\n\r\n`,
      ),
    );
    assert.equal(bad.status, 401, bad.head);
  },
);
