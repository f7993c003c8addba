// Flags and `tollgate serve`'s own settings reach the authorizer as typed partial settings,
// merged with the environment and the file and validated once: no environment strings between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizerConfig } from '../src/settings/authorizer-config.js';
import { ConfigError } from '../src/settings/config-error.js';
import { validateConfigDocument, type FileConfig } from '../src/settings/file-validate.js';
import { rulesEngine } from '../src/core/rules-engine.js';
import { answerForm } from '../src/cli/serve-authorizers.js';
import type { IdentitySource, LambdaAuthorizerSpec } from '../src/gateway/openapi.js';

const ENV = {
  TOKEN_ISSUER: 'https://env.example.com/',
  AUDIENCE: 'env-api',
  JWKS_URI: 'https://env.example.com/jwks.json',
  REQUIRED_SCOPES: 'read',
};
const DEV = {
  issuer: 'http://localhost:3000/idp',
  audiences: ['https://petstore.example.com,v2'],
  jwksUri: 'http://127.0.0.1:3000/idp/jwks',
  algorithms: ['RS256'],
};

test('an issuer override wins member by member over the environment; a list item keeps its comma', () => {
  const c = authorizerConfig(ENV, { overrides: { issuer: DEV } });
  const issuer = c.issuers[0]!;
  assert.equal(issuer.issuer, DEV.issuer);
  assert.deepEqual(issuer.audiences, ['https://petstore.example.com,v2']);
  assert.equal(issuer.jwksUri?.href, DEV.jwksUri);
  assert.deepEqual(
    issuer.requiredScopes,
    ['read'],
    'what the override leaves out comes from the environment',
  );
});

test('an issuer override beside a file that lists issuers is refused, naming issuers', () => {
  const doc = {
    issuers: [
      { issuer: 'https://a.example.com/', audience: 'a', jwksUri: 'https://a.example.com/k' },
    ],
  };
  const checked = validateConfigDocument(doc, { env: {} });
  if (!checked.ok) assert.fail(JSON.stringify(checked.errors));
  const file: FileConfig = checked.config;
  assert.throws(
    () => authorizerConfig({}, { file, overrides: { issuer: DEV } }),
    (e: Error) => e instanceof ConfigError && e.setting === 'issuers',
  );
});

test('a rules file override (--rules) wins over RULES_FILE', () => {
  const documents: Record<string, unknown> = {
    'env.yaml': { default: 'deny', routes: [] },
    'flag.yaml': { default: 'deny', routes: [{ route: 'GET /pets', public: true }] },
  };
  const readRules = (path: string): unknown => documents[path];
  const env = { ...ENV, RULES_FILE: 'env.yaml' };
  const fromEnv = authorizerConfig(env, { readRules, rulesEngine });
  const fromFlag = authorizerConfig(env, {
    readRules,
    rulesEngine,
    overrides: { rulesFile: 'flag.yaml' },
  });
  assert.equal(fromEnv.rules?.compiled.routes.length, 0);
  assert.equal(fromFlag.rules?.compiled.routes.length, 1);
});

test('answer-form overrides win over V2_RESPONSE, and a per-route or disabled cache allows simple answers with rules', () => {
  const readRules = (): unknown => ({ default: 'deny', routes: [] });
  const env = { ...ENV, RULES_FILE: 'r.yaml', V2_RESPONSE: 'simple' };
  const sources = { readRules, rulesEngine };
  assert.throws(() => authorizerConfig(env, sources), /V2_SIMPLE_CACHE/);
  const iam = authorizerConfig(env, { ...sources, overrides: { v2Response: 'iam' } });
  assert.equal(iam.v2Response, 'iam');
  for (const v2SimpleCache of ['per-route', 'off'] as const) {
    const simple = authorizerConfig(env, { ...sources, overrides: { v2SimpleCache } });
    assert.equal(simple.v2Response, 'simple');
  }
});

test("serve's own authorizer answers in the form the document's authorizer asks for", () => {
  const spec = (over: Partial<LambdaAuthorizerSpec>): LambdaAuthorizerSpec => ({
    name: 'a',
    type: 'request',
    functionName: 'f',
    identitySources: [],
    ttlSeconds: 300,
    validationExpression: undefined,
    payloadFormatVersion: '2.0',
    simpleResponses: true,
    ...over,
  });
  assert.deepEqual(answerForm(spec({ payloadFormatVersion: '1.0' })), {});
  assert.deepEqual(answerForm(spec({ payloadFormatVersion: undefined })), {});
  assert.deepEqual(answerForm(spec({ simpleResponses: false })), { v2Response: 'iam' });
  assert.deepEqual(answerForm(spec({ ttlSeconds: 0 })), {
    v2Response: 'simple',
    v2SimpleCache: 'off',
  });
  const routeKey: IdentitySource = {
    kind: 'context',
    name: 'routeKey',
    expression: '$context.routeKey',
  };
  assert.deepEqual(answerForm(spec({ identitySources: [routeKey] })), {
    v2Response: 'simple',
    v2SimpleCache: 'per-route',
  });
  assert.deepEqual(answerForm(spec({})), { v2Response: 'simple' });
});
