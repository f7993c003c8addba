// x-tollgate-authorizer: `tollgate serve` tells the developer, beside each response, what the
// authorizer decided and why, the policy in short, and whether the answer came from the cache.
// Over real HTTP against serve() with the PetStore as `npm start` runs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type RunningServer } from '../src/cli/serve-command.js';
import { mintDevToken } from '../src/cli/token-command.js';
import { exportApi } from '../src/gateway/export.js';
import { AUTHORIZER_HEADER, routeOfArn } from '../src/gateway/authorizer-header.js';
import { repoPath } from './support/paths.js';

let dir: string;
let own: RunningServer;
const savedHome = process.env.TOLLGATE_HOME;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-authorizer-header-'));
  process.env.TOLLGATE_HOME = join(dir, '.tollgate');
  for (const name of ['TOKEN_ISSUER', 'JWKS_URI', 'AUDIENCE', 'TOLLGATE_CONFIG', 'RULES_FILE'])
    delete process.env[name];
  own = await serve(
    { config: repoPath('examples', 'serve.config.yaml'), port: '0' },
    () => {},
    () => {},
  );
});
after(async () => {
  await own.close();
  if (savedHome === undefined) delete process.env.TOLLGATE_HOME;
  else process.env.TOLLGATE_HOME = savedHome;
  rmSync(dir, { recursive: true, force: true });
});

async function token(running: RunningServer, scope: string): Promise<string> {
  return (
    await mintDevToken({
      iss: running.devProvider!.issuer,
      aud: [running.devProvider!.audience],
      scope,
      sub: 'bob',
    })
  ).token;
}

async function request(
  running: RunningServer,
  method: string,
  path: string,
  bearer?: string,
): Promise<{ status: number; report: Record<string, unknown> | undefined; raw: string | null }> {
  const r = await fetch(running.url + path, {
    method,
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    ...(method === 'POST' ? { body: '{"type":"bird"}' } : {}),
  });
  await r.arrayBuffer();
  const raw = r.headers.get(AUTHORIZER_HEADER);
  return {
    status: r.status,
    report: raw === null ? undefined : (JSON.parse(raw) as Record<string, unknown>),
    raw,
  };
}

test("a Deny from Tollgate's own authorizer names its reason and the missing scope; the repeat comes from the cache", async () => {
  const t = await token(own, 'read:pets');
  const first = await request(own, 'POST', '/pets', t);
  assert.equal(first.status, 403);
  assert.deepEqual(
    { ...first.report, policy: undefined },
    {
      authorizer: 'tollgate',
      decision: 'Deny',
      reason: 'SCOPE_INSUFFICIENT',
      missing: 'write:pets',
      message: 'The token lacks scopes that POST /pets requires: write:pets',
      evaluation: 'no matching allow',
      principalId: 'bob',
      cache: 'miss',
      ttl: 300,
      policy: undefined,
    },
  );
  const policy = first.report!.policy as { allow: string[]; deny: string[] };
  assert.ok(policy.allow.includes('GET /pets'), JSON.stringify(policy));
  assert.ok(
    !policy.allow.some((r) => r.startsWith('POST')),
    `no Allow covers POST /pets: ${JSON.stringify(policy)}`,
  );
  assert.ok(
    !first.raw!.includes(t) && !first.raw!.includes(t.split('.')[1]!),
    'the token is never in the header',
  );

  const repeat = await request(own, 'POST', '/pets', t);
  assert.equal(repeat.status, 403);
  assert.equal(repeat.report!.cache, 'hit');
  assert.ok((repeat.report!.ttl as number) <= 300 && (repeat.report!.ttl as number) > 200);
  assert.equal(
    repeat.report!.reason,
    'SCOPE_INSUFFICIENT',
    'the same route: the cached answer keeps its reason',
  );
  assert.equal(repeat.report!.missing, 'write:pets');

  const other = await request(own, 'GET', '/pets/1', t);
  assert.equal(other.status, 200);
  assert.deepEqual(
    [other.report!.decision, other.report!.reason, other.report!.cache, other.report!.cachedFor],
    ['Allow', 'ALLOW', 'hit', 'POST /pets'],
  );
});

test("Unauthorized: without a token the authorizer is not invoked; a bad token gets Tollgate's reason code", async () => {
  const none = await request(own, 'GET', '/pets');
  assert.equal(none.status, 401);
  assert.deepEqual(none.report, {
    authorizer: 'tollgate',
    decision: 'Unauthorized',
    reason: 'IDENTITY_MISSING',
  });
  const expired = (
    await mintDevToken({
      iss: own.devProvider!.issuer,
      aud: [own.devProvider!.audience],
      'expires-in': '-1h',
    })
  ).token;
  const refused = await request(own, 'GET', '/pets', expired);
  assert.equal(refused.status, 401);
  assert.equal(refused.report!.decision, 'Unauthorized');
  assert.equal(refused.report!.reason, 'TOKEN_EXPIRED');
  assert.equal(refused.report!.cache, 'miss', 'invoked (a 401 is not cached)');
  const open = await request(own, 'GET', '/public');
  assert.equal(open.status, 200);
  assert.equal(open.report, undefined, 'a route without an authorizer has no report');
});

test("a user's own authorizer: what the gateway knows (the IAM evaluation, cache), no reason code of Tollgate's", async () => {
  const module = join(dir, 'method-specific.mjs');
  // The seed sample's bug: an Allow for the request's own ARN only.
  writeFileSync(
    module,
    `export const handler = async (event) => ({ principalId: 'someone', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] } });\n`,
  );
  const running = await serve(
    {
      config: repoPath('examples', 'serve.config.yaml'),
      port: '0',
      function: [`TollgateAuthorizerFunction=${module}#handler`],
    },
    () => {},
    () => {},
  );
  try {
    const first = await request(running, 'GET', '/pets', 'a.b.c');
    assert.equal(first.status, 200);
    assert.deepEqual(first.report, {
      authorizer: 'tollgate',
      decision: 'Allow',
      reason: 'ALLOW',
      evaluation: 'allowed by the policy',
      principalId: 'someone',
      policy: { allow: ['GET /pets'], deny: [] },
      cache: 'miss',
      ttl: 300,
    });
    const stale = await request(running, 'POST', '/pets', 'a.b.c');
    assert.equal(stale.status, 403);
    assert.equal(stale.report!.decision, 'Deny');
    assert.equal(stale.report!.reason, 'IMPLICIT_DENY');
    assert.equal(stale.report!.evaluation, 'no matching allow');
    assert.equal(stale.report!.cache, 'hit');
    assert.equal(stale.report!.cachedFor, 'GET /pets');
    assert.equal(stale.report!.missing, undefined);
  } finally {
    await running.close();
  }
});

test('the header exists only locally: the exported document never mentions it', () => {
  const source = repoPath('examples', 'petstore.openapi.yaml');
  const exported = exportApi(readFileSync(source, 'utf8'), source).text;
  assert.doesNotMatch(exported, /x-tollgate-authorizer/i);
  assert.equal(
    routeOfArn('arn:aws:execute-api:us-east-1:123456789012:abc/local/GET/pets/*'),
    'GET /pets/*',
  );
});
