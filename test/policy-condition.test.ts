// IAM `Condition` blocks in a Lambda authorizer's policy, through the local REST gateway over real
// HTTP on 127.0.0.1: the keys API Gateway provides (aws:SourceIp, aws:UserAgent, aws:Referer,
// aws:CurrentTime, aws:EpochTime, aws:SecureTransport), IAM's operators, and a refusal with a log
// line for any condition that cannot be evaluated (never an Allow on it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { inCidr } from '../src/aws/policy-conditions.js';
import { lambdaUri } from './support/apigw.js';

const IMPLICIT_DENY = '{"Message":"User is not authorized to access this resource"}';
const EXPLICIT_DENY =
  '{"Message":"User is not authorized to access this resource with an explicit deny"}';
const NOW = Date.parse('2026-06-15T12:00:00Z');

const api = parseApi(
  `
openapi: 3.0.1
info: { title: conditions, version: '1' }
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer: { type: token, authorizerUri: '${lambdaUri('auth')}', authorizerResultTtlInSeconds: 0 }
security:
  - auth: []
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('pets')}' }
`,
  'conditions.yaml',
);

const ANY = 'arn:aws:execute-api:*';
const allow = (Condition: unknown): unknown => ({
  Effect: 'Allow',
  Action: 'execute-api:Invoke',
  Resource: ANY,
  Condition,
});
const deny = (Condition: unknown): unknown => ({
  Effect: 'Deny',
  Action: 'execute-api:Invoke',
  Resource: ANY,
  Condition,
});
const plainAllow = { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ANY };

/** The token names the statements the authorizer returns. */
const POLICIES: Record<string, unknown[]> = {
  'ip-10': [allow({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })],
  'ip-127': [allow({ IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } })],
  'ip-list': [allow({ IpAddress: { 'aws:SourceIp': ['192.168.0.0/16', '127.0.0.1/32'] } })],
  'not-ip-deny': [plainAllow, deny({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })],
  'ua-like': [allow({ StringLike: { 'aws:UserAgent': 'tollgate-test/*' } })],
  'ua-not-equals': [allow({ StringNotEquals: { 'aws:UserAgent': ['curl/8', 'wget'] } })],
  'time-window': [
    allow({
      DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
      DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' },
    }),
  ],
  'time-past': [allow({ DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } })],
  epoch: [allow({ NumericGreaterThanEquals: { 'aws:EpochTime': NOW / 1000 } })],
  secure: [allow({ Bool: { 'aws:SecureTransport': 'true' } })],
  'no-referer': [allow({ Null: { 'aws:Referer': 'true' } })],
  'referer-if-exists': [
    allow({ StringEqualsIfExists: { 'aws:Referer': 'https://app.example.com/' } }),
  ],
  'referer-required': [allow({ StringEquals: { 'aws:Referer': 'https://app.example.com/' } })],
  'principal-tag': [allow({ StringEquals: { 'aws:PrincipalTag/team': 'pets' } })],
  'unknown-operator-deny': [plainAllow, deny({ StringMatchesRegex: { 'aws:UserAgent': '.*' } })],
  'policy-variable': [allow({ StringEquals: { 'aws:UserAgent': '${aws:username}' } })],
  'false-beside-unknown': [
    allow({
      IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
      StringEquals: { 'aws:PrincipalTag/team': 'pets' },
    }),
    plainAllow,
  ],
};

const authorizer: LambdaHandler = async (event: { authorizationToken: string }) => {
  const statements = POLICIES[event.authorizationToken];
  if (!statements) throw new Error('Unauthorized');
  return { principalId: 'user', policyDocument: { Version: '2012-10-17', Statement: statements } };
};
const pets: LambdaHandler = async () => ({ statusCode: 200, body: 'pets' });

let server: GatewayServer;
let url: string;
const logs: Record<string, unknown>[] = [];

before(async () => {
  const gateway = createGateway({
    api,
    functions: new Map([
      ['auth', authorizer],
      ['pets', pets],
    ]),
    now: () => NOW,
    log: (e) => logs.push(e),
  });
  server = createGatewayServer(gateway);
  ({ url } = await server.listen(0, '127.0.0.1'));
});
after(() => server.close());

async function call(
  token: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; log: Record<string, unknown> | undefined }> {
  const res = await fetch(`${url}/pets`, {
    headers: { authorization: token, 'user-agent': 'tollgate-test/1.0', ...headers },
  });
  const body = await res.text();
  return { status: res.status, body, log: logs.filter((l) => l.event === 'request').at(-1) };
}

test('the issue: aws:SourceIp 10.0.0.0/8 does not allow a request from 127.0.0.1; 127.0.0.0/8 does', async () => {
  const outside = await call('ip-10');
  assert.equal(outside.status, 403);
  assert.equal(outside.body, IMPLICIT_DENY);
  assert.equal((await call('ip-127')).status, 200);
  assert.equal((await call('ip-list')).status, 200, 'several values of one key: any may match');
});

test('a Deny with NotIpAddress applies to a client outside the range', async () => {
  const r = await call('not-ip-deny');
  assert.equal(r.status, 403);
  assert.equal(r.body, EXPLICIT_DENY);
});

test('aws:UserAgent with StringLike wildcards and StringNotEquals over a list', async () => {
  assert.equal((await call('ua-like')).status, 200);
  assert.equal((await call('ua-like', { 'user-agent': 'curl/8' })).status, 403);
  assert.equal((await call('ua-not-equals')).status, 200);
  assert.equal((await call('ua-not-equals', { 'user-agent': 'wget' })).status, 403);
});

test('aws:CurrentTime and aws:EpochTime against the gateway clock; every operator of a block must hold', async () => {
  assert.equal((await call('time-window')).status, 200);
  assert.equal((await call('time-past')).status, 403);
  assert.equal((await call('epoch')).status, 200);
});

test('aws:SecureTransport is true, as API Gateway serves only HTTPS', async () => {
  assert.equal((await call('secure')).status, 200);
});

test('a missing key: Null checks it, ...IfExists passes without it, a plain operator fails', async () => {
  assert.equal((await call('no-referer')).status, 200);
  assert.equal((await call('no-referer', { referer: 'https://x.example/' })).status, 403);
  assert.equal((await call('referer-if-exists')).status, 200);
  assert.equal((await call('referer-if-exists', { referer: 'https://evil.example/' })).status, 403);
  assert.equal(
    (await call('referer-if-exists', { referer: 'https://app.example.com/' })).status,
    200,
  );
  assert.equal((await call('referer-required')).status, 403);
});

test('a key Tollgate cannot establish refuses the Allow (403) and the log names the condition', async () => {
  const r = await call('principal-tag');
  assert.equal(r.status, 403);
  assert.match(String(r.log?.detail), /StringEquals aws:PrincipalTag\/team/);
  const v = await call('policy-variable');
  assert.equal(v.status, 403);
  assert.match(String(v.log?.detail), /policy variables/);
});

test('a Deny whose operator is unknown fails closed: it applies even beside an Allow', async () => {
  const r = await call('unknown-operator-deny');
  assert.equal(r.status, 403);
  assert.equal(r.body, EXPLICIT_DENY);
  assert.match(String(r.log?.detail), /StringMatchesRegex aws:UserAgent/);
});

test('a key that fails decides a statement even beside one that cannot be evaluated', async () => {
  // The conditional Allow is false on SourceIp; the plain Allow still allows.
  assert.equal((await call('false-beside-unknown')).status, 200);
});

test('CIDR ranges: IPv4, IPv6, an IPv4-mapped address, and malformed ranges', () => {
  assert.equal(inCidr('10.1.2.3', '10.0.0.0/8'), true);
  assert.equal(inCidr('11.0.0.1', '10.0.0.0/8'), false);
  assert.equal(inCidr('192.0.2.7', '192.0.2.7'), true);
  assert.equal(inCidr('2001:db8::1', '2001:db8::/32'), true);
  assert.equal(inCidr('2001:db9::1', '2001:db8::/32'), false);
  assert.equal(inCidr('::1', '::1/128'), true);
  assert.equal(inCidr('::ffff:10.0.0.1', '::ffff:10.0.0.0/104'), true);
  assert.equal(inCidr('10.0.0.1', '2001:db8::/32'), false);
  assert.equal(inCidr('10.0.0.1', '10.0.0.0/33'), undefined);
  assert.equal(inCidr('10.0.0.1', 'ten/8'), undefined);
});
