// Whether `tollgate serve` mounts the sign-in page, and how it signs in: a pure choice, each
// reason for no page said once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadApi } from '../src/gateway/openapi.js';
import type { DevProvider } from '../src/idp/dev-provider.js';
import { choosePage } from '../src/cli/serve-page.js';

const PETSTORE = 'examples/petstore.openapi.yaml';
// The provider's data the page reads: its issuer, web client and users.
const dev = {
  issuer: 'http://localhost:3000/idp',
  clients: { web: { clientId: 'tollgate-web' } },
  users: [
    { id: 'alice', scopes: ['read:pets', 'write:pets'] },
    { id: 'bob', scopes: ['read:pets'] },
  ],
} as unknown as DevProvider;

test('the development provider signs the page in with every scope its users have, once each', async () => {
  const choice = choosePage(true, await loadApi(PETSTORE), dev);
  assert.equal(choice.config?.issuer, dev.issuer);
  assert.equal(choice.config?.clientId, 'tollgate-web');
  assert.equal(choice.config?.scope, 'openid read:pets write:pets');
});

test('serve.page as an object: that provider, its scope defaulting to openid, its connect origins', async () => {
  const setting = {
    issuer: 'https://id.example.com/',
    clientId: 'c',
    audience: undefined,
    scope: undefined,
    extraAuthorizeParams: undefined,
    connectOrigins: ['https://auth.example.com'],
  };
  const choice = choosePage(setting, await loadApi(PETSTORE), undefined);
  assert.ok(choice.config);
  assert.equal(choice.config.scope, 'openid');
  assert.deepEqual('connectOrigins' in choice && choice.connectOrigins, setting.connectOrigins);
});

test('no page: silently when turned off, with the reason otherwise', async () => {
  const api = await loadApi(PETSTORE);
  assert.deepEqual(choosePage(false, api, dev), { config: undefined, problem: undefined });
  const own = choosePage(true, api, undefined);
  assert.match(
    'problem' in own ? String(own.problem) : '',
    /with your own issuer, set serve\.page/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'serve-page-'));
  try {
    const path = join(dir, 'root.yaml');
    writeFileSync(
      path,
      [
        'openapi: 3.0.1',
        'info: { title: root, version: "1" }',
        'paths:',
        '  /:',
        '    get:',
        '      responses: { "200": { description: ok } }',
        '      x-amazon-apigateway-integration: { type: mock }',
      ].join('\n'),
    );
    const root = choosePage(true, await loadApi(path), dev);
    assert.match('problem' in root ? String(root.problem) : '', /the API serves GET \/ itself/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
