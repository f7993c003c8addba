// What the CLI says to a new user: no position for a file that is missing, no option silently
// ignored, no check shown that does not apply, and serve announcing the API it actually serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './support/paths.js';
import { parseApi } from '../src/gateway/openapi.js';
import { curlLine, exampleRoute, missingPageRoutes, routeLines } from '../src/cli/serve-banner.js';
import { PETSTORE_ENDPOINTS } from '../src/web/page-config.js';

let home: string;
before(() => void (home = mkdtempSync(join(tmpdir(), 'tollgate-messages-'))));
after(() => rmSync(home, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  answer?: { status: number; body: string };
}

/** Runs the CLI; with `call`, once serve says it is ready, GETs that path from it, then stops it. */
function run(args: string[], env: Record<string, string> = {}, call?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [repoPath('bin', 'tollgate.js'), ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate'), ...env },
    });
    let stdout = '';
    let stderr = '';
    let answer: Run['answer'];
    let ready = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      const url = /serving .* at (http:\/\/localhost:\d+)/.exec(stderr)?.[1];
      if (url && stderr.includes('Ctrl-C to stop') && !ready) {
        ready = true;
        const stop = (): void => void child.kill('SIGTERM');
        if (!call) return stop();
        void fetch(url + call)
          .then(async (r) => (answer = { status: r.status, body: await r.text() }))
          .finally(stop);
      }
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, ...(answer ? { answer } : {}) }));
  });
}

// A user's own API, hand-written with a YAML merge key and an alias for its integrations.
const ORDERS = `openapi: 3.0.1
info: { title: Orders, version: '1' }
x-integration: &mock
  type: mock
  requestTemplates: { application/json: '{"statusCode": 200}' }
  responses: { default: { statusCode: '200', responseTemplates: { application/json: '{"orders": []}' } } }
paths:
  /orders:
    get:
      x-amazon-apigateway-integration:
        <<: *mock
        passthroughBehavior: when_no_match
  /orders/{id}:
    delete:
      x-amazon-apigateway-integration: *mock
`;

test('serve --api with a missing file names the file without a position', async () => {
  const r = await run(['serve', '--api', join(home, 'nope.yaml')]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    `tollgate: ${join(home, 'nope.yaml')}: cannot be read: there is no such file\n`,
  );
});

test('jwks --port without --serve is refused rather than ignored', async () => {
  const r = await run(['jwks', '--port', '4000']);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    'tollgate: --port needs --serve: without it, jwks prints the key set and serves nothing\n',
  );
  assert.equal(r.stdout, '');
});

test('explain shows token_use only where it is checked (PRESET=cognito), not under oidc', async () => {
  const token = (await run(['token'])).stdout.trim();
  const oidc = await run(['explain', token]);
  assert.equal(oidc.code, 0, oidc.stderr);
  assert.match(oidc.stdout, /PASS {2}aud/);
  assert.doesNotMatch(oidc.stdout, /token_use/);
  const cognito = await run(['explain', token], {
    PRESET: 'cognito',
    TOKEN_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
    AUDIENCE: 'client',
    JWKS_URI: 'http://127.0.0.1:9/jwks',
  });
  assert.match(cognito.stdout, /FAIL {2}token_use +CLAIM_INVALID/);
});

test('YAML merge keys in an OpenAPI document are merged, as YAML 1.1 has them', () => {
  const api = parseApi(ORDERS, 'orders.yaml');
  const get = api.routes.match('GET', '/orders')!.operation;
  assert.equal(get.integration.type, 'mock');
  assert.deepEqual(routeLines(api), ['  GET /orders          open', '  DELETE /orders/{id}  open']);
});

test("serve on a user's own API lists its routes and suggests one of them, with no sign-in page whose buttons it lacks", async () => {
  writeFileSync(join(home, 'orders.yaml'), ORDERS);
  const r = await run(['serve', '--api', 'orders.yaml', '--port', '0'], {}, '/orders');
  assert.deepEqual(r.answer, { status: 200, body: '{"orders": []}' }, r.stderr);
  assert.match(
    r.stderr,
    /serving Orders \(REST API\) at http:\/\/localhost:\d+, routes:\n {2}GET \/orders {10}open\n {2}DELETE \/orders\/\{id\} {2}open\n/,
  );
  assert.match(r.stderr, /try it:\n {2}curl http:\/\/localhost:\d+\/orders\n/);
  assert.doesNotMatch(r.stderr, /curl .*\/pets/);
  assert.doesNotMatch(r.stderr, /sign-in page +http/);
  assert.match(
    r.stderr,
    /no sign-in page: its buttons call GET \/public, GET \/pets, POST \/pets, which this API does not serve/,
  );
});

test('the PetStore keeps its page, and the curl example is a GET behind the authorizer', () => {
  const api = parseApi(
    `openapi: 3.0.1
info: { title: P, version: '1' }
components:
  securitySchemes:
    gate: { type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: custom, x-amazon-apigateway-authorizer: { type: token, authorizerUri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:gate/invocations' } }
x-mock: &mock { type: mock, requestTemplates: { application/json: '{"statusCode": 200}' }, responses: { default: { statusCode: '200' } } }
paths:
  /public: { get: { x-amazon-apigateway-integration: *mock } }
  /pets:
    get: { security: [{ gate: [] }], x-amazon-apigateway-integration: *mock }
    post: { security: [{ gate: [] }], x-amazon-apigateway-integration: *mock }
  /pets/{id}: { get: { security: [{ gate: [] }], x-amazon-apigateway-integration: *mock } }
`,
    'p.yaml',
  );
  assert.deepEqual(missingPageRoutes(api, PETSTORE_ENDPOINTS), []);
  const example = exampleRoute(api)!;
  assert.equal(
    curlLine(example, 'http://localhost:3000', 'T'),
    'curl -H "Authorization: Bearer T" http://localhost:3000/pets',
  );
  assert.equal(
    curlLine(api.routes.match('POST', '/pets')!.operation, 'http://h', undefined),
    'curl -X POST http://h/pets',
  );
});
