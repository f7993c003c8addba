// Issue 3's acceptance, through the CLI as a user runs it: tollgate invoke on REST REQUEST, HTTP API
// 2.0 (simple and IAM responses) and WebSocket $connect events, with the pet store's route rules.
import { ROOT as REPO_ROOT } from './support/paths.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import {
  ACCOUNT,
  httpV2Event,
  restRequestEvent,
  websocketConnectEvent,
} from './fixtures/events.js';
import { evaluate } from './support/iam.js';

const ROOT = REPO_ROOT;
const RULES = join(ROOT, 'examples/petstore.rules.yaml');
let home: string;
let readToken: string;
let noScopeToken: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/tollgate.js'), ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let n = 0;
const invokeWith = (event: unknown, env: Record<string, string>, rules?: string): Promise<Run> =>
  invoke(event, env, rules ?? '');
async function invoke(
  event: unknown,
  env: Record<string, string> = {},
  rules: string | undefined = RULES,
): Promise<Run> {
  const file = join(home, `event-${n++}.json`);
  writeFileSync(file, JSON.stringify(event));
  return cli(['invoke', '--event', file, ...(rules ? ['--rules', rules] : [])], env);
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-shapes-'));
  readToken = (await cli(['token', '--sub', 'alice', '--scope', 'read:pets'])).stdout.trim();
  noScopeToken = (await cli(['token', '--sub', 'bob'])).stdout.trim();
  assert.ok(readToken && noScopeToken);
});
after(() => rmSync(home, { recursive: true, force: true }));

const ARN = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod`;

function restRequest(token: string | undefined): APIGatewayRequestAuthorizerEvent {
  const headers: Record<string, string | undefined> = { ...restRequestEvent.headers };
  const multi: Record<string, string[]> = { ...restRequestEvent.multiValueHeaders } as Record<
    string,
    string[]
  >;
  delete headers.Authorization;
  delete multi.Authorization;
  if (token) {
    headers.Authorization = `Bearer ${token}`;
    multi.Authorization = [`Bearer ${token}`];
  }
  return {
    ...restRequestEvent,
    methodArn: `${ARN}/GET/pets/1`,
    path: '/pets/1',
    pathParameters: { petId: '1' },
    headers,
    multiValueHeaders: multi,
  };
}

function httpV2(token: string | undefined): APIGatewayRequestAuthorizerEventV2 {
  const headers: Record<string, string | undefined> = { ...httpV2Event.headers };
  delete headers.authorization;
  if (token) headers.authorization = `Bearer ${token}`;
  return { ...httpV2Event, headers, identitySource: token ? [`Bearer ${token}`] : [] };
}

function websocket(token: string | undefined): typeof websocketConnectEvent {
  return {
    ...websocketConnectEvent,
    queryStringParameters: token ? { access_token: token } : {},
    multiValueQueryStringParameters: token ? { access_token: [token] } : {},
  };
}

test('REST REQUEST: allowed, Deny for a token without the scope, Unauthorized without a token', async () => {
  const ok = await invoke(restRequest(readToken));
  assert.equal(ok.code, 0, ok.stderr);
  const denied = await invoke(restRequest(noScopeToken));
  assert.equal(denied.code, 3, denied.stderr);
  const deniedPolicy = JSON.parse(denied.stdout);
  assert.notEqual(evaluate(deniedPolicy, `${ARN}/GET/pets/1`), 'allow');
  assert.equal(
    evaluate(deniedPolicy, `${ARN}/GET/pets`),
    'allow',
    'the public route stays open in the cached policy',
  );
  assert.match(denied.stderr, /"reason":"SCOPE_INSUFFICIENT"/);
  const none = await invoke(restRequest(undefined));
  assert.equal(none.code, 4);
  assert.equal(none.stdout.trim(), 'Unauthorized');
});

test('a public route answers without a token: the anonymous policy opens the public routes only', async () => {
  const event = {
    ...restRequest(undefined),
    methodArn: `${ARN}/GET/pets`,
    path: '/pets',
    pathParameters: null,
    resource: '/pets',
  };
  const r = await invoke(event);
  assert.equal(r.code, 0, r.stderr);
  const policy = JSON.parse(r.stdout) as APIGatewayAuthorizerResult;
  assert.equal(policy.principalId, 'anonymous');
  assert.equal(evaluate(policy, `${ARN}/GET/pets`), 'allow');
  assert.notEqual(evaluate(policy, `${ARN}/GET/pets/1`), 'allow');
  assert.notEqual(evaluate(policy, `${ARN}/GET/`), 'allow');
  // A present but bad token is still Unauthorized, public route or not.
  assert.equal(
    (
      await invoke({
        ...event,
        headers: { Authorization: 'Bearer not.a.jwt' },
        multiValueHeaders: { Authorization: ['Bearer not.a.jwt'] },
      })
    ).code,
    4,
  );
});

test('the policy for GET /pets/1 with read:pets only allows GET /pets/2 and GET /pets and denies DELETE /pets/1', async () => {
  const r = await invoke(restRequest(readToken));
  const policy = JSON.parse(r.stdout) as APIGatewayAuthorizerResult;
  assert.equal(policy.principalId, 'alice');
  assert.equal(evaluate(policy, `${ARN}/GET/pets/1`), 'allow');
  assert.equal(evaluate(policy, `${ARN}/GET/pets/2`), 'allow');
  assert.equal(evaluate(policy, `${ARN}/GET/pets`), 'allow');
  assert.notEqual(evaluate(policy, `${ARN}/DELETE/pets/1`), 'allow');
  assert.notEqual(evaluate(policy, `${ARN}/POST/pets`), 'allow');
  assert.notEqual(evaluate(policy, `${ARN}/GET/admin/users`), 'allow');
  assert.notEqual(evaluate(policy, `${ARN}/GET/unlisted`), 'allow');
  assert.doesNotMatch(r.stderr, /fell back/, 'the pet store rules get an exact policy');
});

test('HTTP API 2.0 with simple responses: refused with rules unless the cache is per route; then isAuthorized true, false, and Unauthorized', async () => {
  const unsafe = await invoke(httpV2(readToken), { V2_RESPONSE: 'simple' });
  assert.equal(unsafe.code, 2);
  assert.match(unsafe.stderr, /V2_RESPONSE is simple with route rules/);
  const env = { V2_RESPONSE: 'simple', V2_SIMPLE_CACHE: 'per-route' };
  const ok = await invoke(httpV2(readToken), env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).isAuthorized, true);
  const denied = await invoke(httpV2(noScopeToken), env);
  assert.equal(denied.code, 3);
  assert.equal(JSON.parse(denied.stdout).isAuthorized, false);
  const none = await invoke(httpV2(undefined), env);
  assert.equal(none.code, 4);
  assert.equal(none.stdout.trim(), 'Unauthorized');
});

test('HTTP API 2.0 with IAM responses: the policy is matched against the routeArn', async () => {
  const env = { V2_RESPONSE: 'iam' };
  const ok = await invoke(httpV2(readToken), env);
  assert.equal(ok.code, 0, ok.stderr);
  const policy = JSON.parse(ok.stdout) as APIGatewayAuthorizerResult;
  assert.equal(evaluate(policy, httpV2Event.routeArn), 'allow');
  const denied = await invoke(httpV2(noScopeToken), env);
  assert.equal(denied.code, 3);
  assert.notEqual(evaluate(JSON.parse(denied.stdout), httpV2Event.routeArn), 'allow');
  assert.equal((await invoke(httpV2(undefined), env)).code, 4);
});

test('WebSocket $connect with the token in the query string', async () => {
  // A WebSocket API has its own authorizer; $connect has no method or path, so scopes are required globally.
  const env = { TOKEN_SOURCE: 'query:access_token', REQUIRED_SCOPES: 'read:pets' };
  const invoke = (event: unknown) => invokeWith(event, env);
  const ok = await invoke(websocket(readToken));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(evaluate(JSON.parse(ok.stdout), websocketConnectEvent.methodArn), 'allow');
  const denied = await invoke(websocket(noScopeToken));
  assert.equal(denied.code, 3);
  assert.equal(
    evaluate(JSON.parse(denied.stdout), websocketConnectEvent.methodArn),
    'explicit-deny',
  );
  const none = await invoke(websocket(undefined));
  assert.equal(none.code, 4);
  assert.equal(none.stdout.trim(), 'Unauthorized');
  // Under route rules, $connect follows their default: the pet store's default: deny refuses it.
  assert.equal((await invokeWith(websocket(readToken), env, RULES)).code, 3);
});
