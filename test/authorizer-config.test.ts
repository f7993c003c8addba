// How the config file and the environment combine: one validation path, no silent surprises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizerConfig } from '../src/settings/authorizer-config.js';
import { ConfigError } from '../src/settings/env.js';
import { validateConfigDocument, type FileConfig } from '../src/settings/file-validate.js';
import { rulesEngine } from '../src/core/rules-engine.js';

function file(doc: unknown, env: Record<string, string> = {}): FileConfig {
  const r = validateConfigDocument(doc, { env });
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.config;
}

const TWO = {
  issuers: [
    {
      issuer: 'https://a.example.com/',
      audience: ['api-a', 'api-b'],
      jwksUri: 'https://a.example.com/jwks.json',
      requiredScopes: ['read'],
    },
    { issuer: 'https://b.example.com', audience: 'api-c', secret: { env: 'B_SECRET' } },
  ],
  clockTolerance: 5,
  tokenSource: 'query:access_token',
};
const SECRET = 'b'.repeat(32);

test('file issuers keep their own settings; shared settings apply to each; the environment wins for shared ones', () => {
  const c = authorizerConfig({ B_SECRET: SECRET, CLOCK_TOLERANCE: '7' }, { file: file(TWO) });
  assert.deepEqual(
    c.issuers.map((i) => [i.issuer, i.audiences, i.algorithms, c.shared.clockTolerance]),
    [
      ['https://a.example.com/', ['api-a', 'api-b'], ['RS256'], 7],
      ['https://b.example.com', ['api-c'], ['HS256'], 7],
    ],
  );
  assert.deepEqual(c.issuers[0]!.requiredScopes, ['read']);
  assert.deepEqual(c.issuers[1]!.requiredScopes, []);
  assert.equal(c.issuers[1]!.secret?.toString(), SECRET);
  assert.deepEqual(c.tokenSource, { kind: 'query', name: 'access_token' });
});

test('an issuer variable beside file issuers is refused, not silently ignored; empty variables count as unset', () => {
  for (const name of ['REQUIRED_SCOPES', 'AUDIENCE', 'JWKS_URI', 'TOKEN_SECRET', 'TOKEN_ISSUER']) {
    assert.throws(
      () => authorizerConfig({ B_SECRET: SECRET, [name]: 'x' }, { file: file(TWO) }),
      (e: Error) => e instanceof ConfigError && e.setting === name,
      name,
    );
  }
  const c = authorizerConfig(
    { B_SECRET: SECRET, REQUIRED_SCOPES: '', TOKEN_SOURCE: ' ', CLOCK_TOLERANCE: '' },
    { file: file(TWO) },
  );
  assert.deepEqual(
    c.tokenSource,
    { kind: 'query', name: 'access_token' },
    'an empty TOKEN_SOURCE does not reset the file',
  );
  assert.equal(c.shared.clockTolerance, 5);
});

test('a secret named by the file must be set', () => {
  assert.throws(() => authorizerConfig({}, { file: file(TWO) }), /B_SECRET is not set/);
});

test('a list item of the file may hold a comma (the file is never turned into text); in the environment a comma separates', () => {
  const commas = {
    issuers: [
      {
        issuer: 'https://a.example.com/',
        audience: ['api-a,api-b', 'api c'],
        jwksUri: 'https://a.example.com/jwks.json',
        groupClaims: ['https://example.com/claims,groups'],
      },
    ],
  };
  const c = authorizerConfig({}, { file: file(commas) });
  assert.deepEqual(c.issuers[0]!.audiences, ['api-a,api-b', 'api c']);
  assert.deepEqual(c.issuers[0]!.groupClaims, ['https://example.com/claims,groups']);
  const fromEnv = authorizerConfig({
    TOKEN_ISSUER: 'https://a.example.com/',
    AUDIENCE: 'api-a,api-b',
    JWKS_URI: 'https://a.example.com/jwks.json',
  });
  assert.deepEqual(fromEnv.issuers[0]!.audiences, ['api-a', 'api-b']);
});

test('route rules default HTTP API 2.0 to IAM answers; simple answers with rules need a per-route or disabled cache', () => {
  const rules = { default: 'deny', routes: [{ route: 'GET /pets', public: true }] };
  const base = {
    TOKEN_ISSUER: 'https://a.example.com/',
    AUDIENCE: 'api',
    JWKS_URI: 'https://a.example.com/jwks.json',
  };
  const withRules = file({ rules }, base);
  assert.equal(authorizerConfig(base, { file: withRules, rulesEngine }).v2Response, 'iam');
  assert.equal(authorizerConfig(base, { file: file({}, base) }).v2Response, 'simple');
  assert.throws(
    () => authorizerConfig({ ...base, V2_RESPONSE: 'simple' }, { file: withRules, rulesEngine }),
    /V2_SIMPLE_CACHE/,
  );
  assert.equal(
    authorizerConfig(
      { ...base, V2_RESPONSE: 'simple', V2_SIMPLE_CACHE: 'off' },
      { file: withRules, rulesEngine },
    ).v2Response,
    'simple',
  );
});
