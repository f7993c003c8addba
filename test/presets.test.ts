// Tokens shaped like each identity provider's real access tokens, through the real runtime.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { ConfigError, configFromEnv } from '../src/settings/env.js';
import { createRuntime } from '../src/lambda/runtime.js';
import { createIssuerHandler } from '../src/lambda/issuer-handler.js';
import { claimValues } from '../src/core/scopes.js';
import { generateKey, NOW_S, NOW_MS, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';

let key: TestKey;
let server: JwksServer;
before(async () => {
  key = generateKey('RS256');
  server = await startJwksServer([key.jwk]);
});
after(() => server.close());

const times = { iat: NOW_S - 60, exp: NOW_S + 3540 };

function runtimeFor(env: Record<string, string>) {
  const logs: Record<string, unknown>[] = [];
  const rt = createRuntime(configFromEnv({ JWKS_URI: server.url, ...env }), {
    now: () => NOW_MS,
    log: (e) => logs.push(e),
  });
  return { rt, logs, handle: createIssuerHandler(rt) };
}

async function outcome(
  rt: ReturnType<typeof runtimeFor>['rt'],
  payload: Record<string, unknown>,
): Promise<string> {
  const d = await rt.verifier.verify(await sign(key, payload as never));
  return d.kind === 'allow' ? 'allow' : `${d.kind}:${d.reason.code}`;
}

const AUTH0 = {
  iss: 'https://tollgate-test.eu.auth0.com/',
  sub: 'auth0|64b7f0c2a1b2c3d4e5f60718',
  aud: ['https://api.example.com', 'https://tollgate-test.eu.auth0.com/userinfo'],
  azp: 'Xy7lq2bcKpA1vEXAMPLEclientid',
  scope: 'openid profile email read:pets',
  permissions: ['read:pets', 'write:pets'],
  gty: undefined,
  ...times,
};

test('Auth0: trailing-slash issuer, aud array with the userinfo audience, scope string and RBAC permissions', async () => {
  const { rt } = runtimeFor({
    PRESET: 'auth0',
    TOKEN_ISSUER: 'https://tollgate-test.eu.auth0.com/',
    AUDIENCE: 'https://api.example.com',
    REQUIRED_SCOPES: 'write:pets',
  });
  assert.equal(await outcome(rt, AUTH0), 'allow', 'write:pets comes from permissions');
  assert.equal(
    await outcome(rt, { ...AUTH0, permissions: ['read:pets'] }),
    'deny:SCOPE_INSUFFICIENT',
  );
  assert.equal(
    await outcome(rt, { ...AUTH0, iss: 'https://tollgate-test.eu.auth0.com' }),
    'unauthorized:ISSUER_MISMATCH',
    'the issuer without its slash',
  );
  assert.equal(
    await outcome(rt, { ...AUTH0, aud: ['https://tollgate-test.eu.auth0.com/userinfo'] }),
    'unauthorized:AUDIENCE_MISMATCH',
    'a userinfo-only token',
  );
  assert.throws(
    () =>
      configFromEnv({
        PRESET: 'auth0',
        TOKEN_ISSUER: 'https://tollgate-test.eu.auth0.com',
        AUDIENCE: 'x',
        JWKS_URI: server.url,
      }),
    (e: Error) =>
      e instanceof ConfigError && e.setting === 'TOKEN_ISSUER' && /trailing slash/.test(e.message),
  );
});

const POOL = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';
const COGNITO_ACCESS = {
  sub: '4f1c2d3e-5a6b-7c8d-9e0f-112233445566',
  'cognito:groups': ['admins', 'staff'],
  iss: POOL,
  version: 2,
  client_id: '1example23456789',
  origin_jti: 'a1b2c3d4',
  event_id: 'e1f2a3b4',
  token_use: 'access',
  scope: 'aws.cognito.signin.user.admin pets/read',
  auth_time: NOW_S - 60,
  jti: 'c0ffee00-0000-4000-8000-000000000001',
  username: 'alice',
  ...times,
};
const COGNITO_ID = {
  ...COGNITO_ACCESS,
  token_use: 'id',
  aud: '1example23456789',
  client_id: undefined,
  scope: undefined,
  email: 'alice@example.com',
};

test('Amazon Cognito: access tokens by client_id and token_use, cognito:groups; ID tokens only when asked for', async () => {
  const { rt } = runtimeFor({
    PRESET: 'cognito',
    TOKEN_ISSUER: POOL,
    AUDIENCE: '1example23456789',
    REQUIRED_SCOPES: 'pets/read',
  });
  assert.equal(await outcome(rt, COGNITO_ACCESS), 'allow');
  assert.equal(
    await outcome(rt, COGNITO_ID),
    'unauthorized:CLAIM_INVALID',
    'an ID token is not an access token',
  );
  assert.equal(
    await outcome(rt, { ...COGNITO_ACCESS, client_id: 'another-app-client' }),
    'unauthorized:AUDIENCE_MISMATCH',
  );
  assert.equal(
    await outcome(rt, { ...COGNITO_ACCESS, client_id: undefined, aud: '1example23456789' }),
    'unauthorized:AUDIENCE_MISMATCH',
    'access tokens are matched by client_id only',
  );
  assert.deepEqual([...claimValues(COGNITO_ACCESS, rt.config.groupClaims)], ['admins', 'staff']);

  const id = runtimeFor({
    PRESET: 'cognito',
    TOKEN_USE: 'id',
    TOKEN_ISSUER: POOL,
    AUDIENCE: '1example23456789',
  }).rt;
  assert.equal(await outcome(id, COGNITO_ID), 'allow');
  assert.equal(await outcome(id, COGNITO_ACCESS), 'unauthorized:CLAIM_INVALID');
  assert.throws(
    () =>
      configFromEnv({
        PRESET: 'cognito',
        TOKEN_ISSUER: `${POOL}/`,
        AUDIENCE: 'x',
        JWKS_URI: server.url,
      }),
    /without a trailing slash/,
  );
  assert.throws(
    () =>
      configFromEnv({ TOKEN_USE: 'id', TOKEN_ISSUER: POOL, AUDIENCE: 'x', JWKS_URI: server.url }),
    /only to PRESET cognito/,
  );
});

const OKTA = {
  ver: 1,
  jti: 'AT.kT3a_example',
  iss: 'https://dev-12345678.okta.com/oauth2/default',
  aud: 'api://default',
  cid: '0oa1example2abcdefg',
  uid: '00u1example2abcdefg',
  scp: ['openid', 'read:pets'],
  auth_time: NOW_S - 60,
  sub: 'alice@example.com',
  groups: ['Everyone', 'PetAdmins'],
  ...times,
};

test('Okta: custom authorization server issuer, scp array, groups', async () => {
  const { rt } = runtimeFor({
    PRESET: 'okta',
    TOKEN_ISSUER: 'https://dev-12345678.okta.com/oauth2/default',
    AUDIENCE: 'api://default',
    REQUIRED_SCOPES: 'read:pets',
  });
  assert.equal(await outcome(rt, OKTA), 'allow');
  assert.equal(await outcome(rt, { ...OKTA, scp: ['openid'] }), 'deny:SCOPE_INSUFFICIENT');
  assert.equal(
    await outcome(rt, { ...OKTA, scope: 'read:pets', scp: ['openid'] }),
    'deny:SCOPE_INSUFFICIENT',
    'Okta grants through scp only',
  );
  assert.deepEqual([...claimValues(OKTA, rt.config.groupClaims)], ['Everyone', 'PetAdmins']);
});

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENTRA = {
  aud: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
  iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  azp: '0ba0de38-fb9d-4b5b-9bd6-3a0e5ac2b7a4',
  azpacr: '0',
  name: 'Alice Example',
  oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
  preferred_username: 'alice@example.com',
  roles: ['Pets.Admin'],
  scp: 'Pets.Read Pets.Write',
  sub: 'MF4f-ggWMEji12KynJUNQZphaUTvLcQug5jdF2nl01Q',
  tid: TENANT,
  ver: '2.0',
  ...times,
};

test('Microsoft Entra ID: v2 issuer, scp as a space-delimited string, roles as groups', async () => {
  const { rt } = runtimeFor({
    PRESET: 'entra',
    TOKEN_ISSUER: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    AUDIENCE: ENTRA.aud,
    REQUIRED_SCOPES: 'Pets.Write',
  });
  assert.equal(await outcome(rt, ENTRA), 'allow');
  assert.equal(
    await outcome(rt, { ...ENTRA, iss: `https://sts.windows.net/${TENANT}/` }),
    'unauthorized:ISSUER_MISMATCH',
    'a v1 token for a v2 configuration',
  );
  assert.deepEqual([...claimValues(ENTRA, rt.config.groupClaims)], ['Pets.Admin']);
  assert.throws(
    () =>
      configFromEnv({
        PRESET: 'entra',
        TOKEN_ISSUER: `https://login.microsoftonline.com/${TENANT}`,
        AUDIENCE: 'x',
        JWKS_URI: server.url,
      }),
    /v2\.0/,
  );
});

test('context claims can be renamed, Cognito groups included; usageIdentifierKey from a claim', async () => {
  const { handle } = runtimeFor({
    PRESET: 'cognito',
    TOKEN_ISSUER: POOL,
    AUDIENCE: '1example23456789',
    CONTEXT_CLAIMS: 'username=user,cognito:groups=groups,scope',
    USAGE_IDENTIFIER_CLAIM: 'client_id',
  });
  const event: APIGatewayTokenAuthorizerEvent = {
    type: 'TOKEN',
    authorizationToken: `Bearer ${await sign(key, COGNITO_ACCESS as never)}`,
    methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/pets',
  };
  const result = await handle(event);
  assert.deepEqual(result.context, {
    user: 'alice',
    groups: 'admins staff',
    scope: 'aws.cognito.signin.user.admin pets/read',
  });
  assert.equal(result.usageIdentifierKey, '1example23456789');
  assert.throws(
    () =>
      configFromEnv({
        TOKEN_ISSUER: POOL,
        AUDIENCE: 'x',
        JWKS_URI: server.url,
        CONTEXT_CLAIMS: 'a=b=c',
      }),
    /CLAIM or CLAIM=NAME/,
  );
  assert.throws(
    () =>
      configFromEnv({
        TOKEN_ISSUER: POOL,
        AUDIENCE: 'x',
        JWKS_URI: server.url,
        CONTEXT_CLAIMS: 'sub=principalId',
      }),
    /reserves/,
  );
});
