// tollgate serve --template on test/fixtures/sam/identity-sources.yaml (it passes AWS's SAM
// transform and cfn-lint with the other test templates, template-sam.test.ts): a REST API's REQUEST
// authorizer whose identity is a header, a stage variable and a context value (each part of the
// cache key), a TOKEN authorizer reading another header through its validation expression, and
// SAM's implicit HTTP API with a payload 1.0 Lambda authorizer from Globals, over real HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveTemplate } from './support/serve-template.js';
import { repoPath } from './support/paths.js';
import { useTempHome } from './support/temp-home.js';

const TEMPLATE = join(repoPath('test/fixtures/sam'), 'identity-sources.yaml');
useTempHome('tollgate-identity-', () => {});

interface Echo {
  path: string;
  stage: string;
  authorizer: Record<string, unknown> & { lambda?: Record<string, unknown> };
}

async function call(
  url: string,
  method: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Echo }> {
  const r = await fetch(url, { method, headers });
  return { status: r.status, body: (await r.json()) as Echo };
}

test('REQUEST authorizer Identity Headers, StageVariables and Context: the function sees the stage variable; a missing header is 401 without a call; the context value is part of the cache key', async () => {
  const { running } = await serveTemplate(TEMPLATE, { 'template-api': 'StagedApi' });
  try {
    const ctx = (method: string, headers: Record<string, string> = {}) =>
      call(`${running.url}/dev/ctx`, method, headers);
    const missing = await ctx('GET');
    assert.deepEqual([missing.status, missing.body], [401, { message: 'Unauthorized' }]);
    const first = await ctx('GET', { 'x-key': 'allow' });
    assert.equal(first.status, 200);
    assert.equal(first.body.stage, 'dev');
    assert.equal(first.body.authorizer.kind, 'REQUEST');
    assert.equal(first.body.authorizer.gate, 'open', "the stage's variable reached the authorizer");
    const calls = Number(first.body.authorizer.calls);
    const again = await ctx('GET', { 'x-key': 'allow' });
    assert.equal(Number(again.body.authorizer.calls), calls, 'the same identity: cached (TTL 300)');
    // context.httpMethod is in the identity: POST is another cache entry, the function runs again.
    const post = await ctx('POST', { 'x-key': 'allow' });
    assert.equal(post.status, 200);
    assert.equal(Number(post.body.authorizer.calls), calls + 1);
    assert.equal((await ctx('GET', { 'x-key': 'deny' })).status, 403);
  } finally {
    await running.close();
  }
});

test('TOKEN authorizer Identity Header X-Token with a ValidationExpression: the token is read from X-Token; one that does not match is 401 without a call', async () => {
  const { running } = await serveTemplate(TEMPLATE, { 'template-api': 'StagedApi' });
  try {
    const token = (headers: Record<string, string>) =>
      call(`${running.url}/dev/token`, 'GET', headers);
    const ok = await token({ 'x-token': 'Bearer allow' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.authorizer.principalId, 'user-allow');
    const calls = Number(ok.body.authorizer.calls);
    assert.equal((await token({ authorization: 'Bearer allow' })).status, 401, 'not X-Token');
    assert.equal((await token({ 'x-token': 'Bearer ALLOW' })).status, 401, 'fails ^Bearer [a-z]+$');
    assert.equal((await token({ 'x-token': 'Bearer deny' })).status, 403);
    const after = await token({ 'x-token': 'Bearer allow' });
    // TTL 0: every valid token is a call (deny, then this one); the refused ones were not.
    assert.equal(Number(after.body.authorizer.calls), calls + 2);
  } finally {
    await running.close();
  }
});

test("SAM's implicit HTTP API from HttpApi events: the Globals authorizer (payload 1.0, X-Key and ?team, cached), Auth NONE, the $default route for the rest", async () => {
  const { running } = await serveTemplate(TEMPLATE, { 'template-api': 'ServerlessHttpApi' });
  try {
    const get = (path: string, headers: Record<string, string> = {}) =>
      call(`${running.url}${path}`, 'GET', headers);
    const key = { 'x-key': 'allow' };
    const missing = await get('/team', key);
    assert.deepEqual([missing.status, missing.body], [401, { message: 'Unauthorized' }]);
    const a = await get('/team?team=a', key);
    assert.equal(a.status, 200);
    assert.equal(a.body.stage, '$default');
    const calls = Number(a.body.authorizer.lambda!.calls);
    assert.equal(a.body.authorizer.lambda!.kind, 'REQUEST');
    assert.equal(Number((await get('/team?team=a', key)).body.authorizer.lambda!.calls), calls);
    const b = await get('/team?team=b', key);
    assert.equal(Number(b.body.authorizer.lambda!.calls), calls + 1, 'another team: another key');
    assert.equal((await get('/team?team=a', { 'x-key': 'deny' })).status, 403);

    const open = await get('/open');
    assert.deepEqual([open.status, open.body.path], [200, '/open']);
    assert.equal((await get('/elsewhere')).status, 401, '$default is behind the authorizer');
    const fallback = await get('/elsewhere?team=a', key);
    assert.deepEqual([fallback.status, fallback.body.path], [200, '/elsewhere']);
  } finally {
    await running.close();
  }
});
