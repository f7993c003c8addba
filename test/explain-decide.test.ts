// `tollgate explain --rules --route` and the Lambda handler on the same requests: the same decision
// and reason code, and explain's exit code is the handler's answer (0 allow, 3 deny, 4
// unauthorized, 5 failure). Both call the core's decide; this shows they cannot disagree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './support/paths.js';
import { generateKey, sign, ISSUER, AUDIENCE, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { evaluate } from './support/iam.js';
import { createAuthorizer } from '../src/lambda/authorizer.js';
import { createHandler } from '../src/lambda/handler.js';
import { cliAuthorizerConfig } from '../src/settings/config-file.js';
import type { Decision } from '../src/core/reasons.js';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';

const BIN = repoPath('bin', 'tollgate.js');
const RULES = repoPath('examples', 'petstore-api.rules.yaml');
const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';
const EXIT = { allow: 0, deny: 3, unauthorized: 4, failure: 5 } as const;

let home: string;
let key: TestKey;
let jwks: JwksServer;
let down: JwksServer;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-explain-'));
  key = generateKey('RS256');
  jwks = await startJwksServer([key.jwk]);
  down = await startJwksServer([]);
  down.setMode({ kind: 'status', status: 503 });
});
after(async () => {
  await jwks.close();
  await down.close();
  rmSync(home, { recursive: true, force: true });
});

const settings = (jwksUri: string): Record<string, string> => ({
  TOKEN_ISSUER: ISSUER,
  AUDIENCE,
  JWKS_URI: jwksUri,
});

/** A token valid now (explain reads the real clock), with these scopes. */
async function tokenWith(
  scope: string,
  exp = Math.floor(Date.now() / 1000) + 600,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(key, { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now - 10, exp, scope });
}

interface Seen {
  kind: Decision['kind'];
  reason: string;
}

/** The real CLI, in a folder of its own (no .env or config file), as a user runs it. */
function explain(
  token: string | undefined,
  route: string,
  jwksUri: string,
): Promise<Seen & { stdout: string }> {
  const args = [BIN, 'explain', '--rules', RULES, '--route', route, ...(token ? [token] : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: home,
      env: {
        PATH: process.env.PATH ?? '',
        TOLLGATE_HOME: join(home, '.tollgate'),
        ...settings(jwksUri),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const kind = (Object.keys(EXIT) as Decision['kind'][]).find((k) => EXIT[k] === code);
      assert.ok(kind, `explain exited ${code}: ${stderr}`);
      const reason = /^Decision: .*, reason ([A-Z_]+)$/m.exec(stdout)?.[1] ?? 'OK';
      resolve({ kind, reason, stdout });
    });
  });
}

/** The Lambda handler on a REST REQUEST event for the same request; the policy judged as API Gateway does. */
async function handler(token: string | undefined, route: string, jwksUri: string): Promise<Seen> {
  const [method, path] = route.split(' ') as [string, string];
  let decided: Decision | undefined;
  const config = cliAuthorizerConfig({ ...settings(jwksUri), RULES_FILE: RULES }, undefined);
  const handle = createHandler(createAuthorizer(config, { log: () => {} }), {
    onDecision: (d) => (decided = d),
  });
  const methodArn = `${ARN}/${method}${path}`;
  const event = {
    type: 'REQUEST',
    methodArn,
    resource: path,
    path,
    httpMethod: method,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    queryStringParameters: {},
    pathParameters: {},
    stageVariables: {},
    requestContext: {},
  };
  let kind: Decision['kind'];
  try {
    const result = (await handle(event)) as APIGatewayAuthorizerResult;
    kind = evaluate(result, methodArn) === 'allow' ? 'allow' : 'deny';
  } catch (error) {
    kind = (error as Error).message === 'Unauthorized' ? 'unauthorized' : 'failure';
  }
  assert.ok(decided, 'the handler reported its decision');
  assert.equal(decided.kind, kind, 'the answer API Gateway gets is the decision made');
  return { kind, reason: decided.kind === 'allow' ? 'OK' : decided.reason.code };
}

test('explain --rules --route decides as the Lambda handler does, and exits with its answer', async () => {
  const read = await tokenWith('read:pets');
  const write = await tokenWith('write:pets');
  const expired = await tokenWith('read:pets', Math.floor(Date.now() / 1000) - 120);
  const i = read.lastIndexOf('.') + 5;
  const altered = read.slice(0, i) + (read[i] === 'A' ? 'B' : 'A') + read.slice(i + 1);
  const cases: [string | undefined, string, Seen, string?][] = [
    [read, 'GET /pets', { kind: 'allow', reason: 'OK' }],
    [read, 'GET /pets/7', { kind: 'allow', reason: 'OK' }],
    [read, 'POST /pets', { kind: 'deny', reason: 'SCOPE_INSUFFICIENT' }],
    [read, 'DELETE /pets/7', { kind: 'deny', reason: 'ROUTE_NOT_ALLOWED' }],
    [read, 'GET /public', { kind: 'allow', reason: 'OK' }],
    [write, 'POST /pets', { kind: 'allow', reason: 'OK' }],
    [write, 'GET /pets/7', { kind: 'deny', reason: 'SCOPE_INSUFFICIENT' }],
    [undefined, 'GET /public', { kind: 'allow', reason: 'OK' }],
    [undefined, 'GET /pets', { kind: 'unauthorized', reason: 'TOKEN_MISSING' }],
    [expired, 'GET /pets', { kind: 'unauthorized', reason: 'TOKEN_EXPIRED' }],
    [altered, 'GET /pets', { kind: 'unauthorized', reason: 'SIGNATURE_INVALID' }],
    [read, 'GET /pets', { kind: 'failure', reason: 'JWKS_UNAVAILABLE' }, down.url],
  ];
  for (const [token, route, expected, jwksUri = jwks.url] of cases) {
    const label = `${token === undefined ? 'no token' : 'token'} ${route} via ${jwksUri === down.url ? 'a JWKS that is down' : 'the JWKS'}`;
    const [cli, lambda] = await Promise.all([
      explain(token, route, jwksUri),
      handler(token, route, jwksUri),
    ]);
    assert.deepEqual(lambda, expected, `the handler on ${label}`);
    assert.deepEqual({ kind: cli.kind, reason: cli.reason }, lambda, `explain on ${label}`);
    assert.ok(!token || !cli.stdout.includes(token), 'the token is never printed');
  }
});

test('explain --route names the rule that decided and why the route is refused', async () => {
  const r = await explain(await tokenWith('read:pets'), 'POST /pets', jwks.url);
  assert.equal(r.kind, 'deny');
  assert.match(r.stdout, /PASS {2}signature/);
  assert.match(r.stdout, /^Route: POST \/pets \(rule POST \/pets\)$/m);
  assert.match(r.stdout, /Decision: Deny \(API Gateway answers 403\), reason SCOPE_INSUFFICIENT/);
  assert.match(r.stdout, /requires: write:pets/);
});

test('explain refuses a malformed --route in one line, exit 2', async () => {
  for (const route of ['/pets', 'GET pets', 'FETCH /pets', 'GET /pets?x=1']) {
    const child = spawn(process.execPath, [BIN, 'explain', '--route', route], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((ok) => child.on('close', ok));
    assert.equal(code, 2, route);
    assert.match(stderr, /^tollgate: --route .*\n$/, route);
  }
});
