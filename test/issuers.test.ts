// Several issuers in one authorizer: the token's iss picks the issuer; nothing crosses between them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { configFromEnv } from '../src/settings/env.js';
import { IssuerSet } from '../src/core/issuers.js';
import { createRuntime } from '../src/lambda/runtime.js';
import { claims, generateKey, NOW_MS, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';

const A = 'https://a.example.com/';
const B = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool2';
const H = 'https://hmac.example.com/';
const SECRET = 'a-32-byte-development-secret-!!!';
let keyA: TestKey;
let keyB: TestKey;
let serverA: JwksServer;
let serverB: JwksServer;
let issuers: IssuerSet;

before(async () => {
  keyA = generateKey('RS256', 'key-a');
  keyB = generateKey('ES256', 'key-b');
  serverA = await startJwksServer([keyA.jwk]);
  serverB = await startJwksServer([keyB.jwk]);
  const verifier = (env: Record<string, string>) =>
    createRuntime(configFromEnv(env), { now: () => NOW_MS, log: () => {} }).verifier;
  issuers = new IssuerSet(
    new Map([
      [A, verifier({ TOKEN_ISSUER: A, AUDIENCE: 'api-a', JWKS_URI: serverA.url })],
      [
        B,
        verifier({
          TOKEN_ISSUER: B,
          AUDIENCE: 'client-b',
          JWKS_URI: serverB.url,
          PRESET: 'cognito',
          ALGORITHMS: 'ES256',
        }),
      ],
      [H, verifier({ TOKEN_ISSUER: H, AUDIENCE: 'api-h', TOKEN_SECRET: SECRET })],
    ]),
  );
});
after(async () => {
  await serverA.close();
  await serverB.close();
});

async function code(token: string): Promise<string> {
  const d = await issuers.verify(token);
  return d.kind === 'allow' ? `allow:${d.issuer}` : d.reason.code;
}

test('each issuer accepts its own tokens, with its own audience, algorithms and preset', async () => {
  assert.equal(await code(await sign(keyA, claims({ iss: A, aud: 'api-a' }))), `allow:${A}`);
  assert.equal(
    await code(
      await sign(
        keyB,
        claims({ iss: B, aud: undefined, client_id: 'client-b', token_use: 'access' }),
      ),
    ),
    `allow:${B}`,
  );
  const hs = await new SignJWT(claims({ iss: H, aud: 'api-h' }))
    .setProtectedHeader({ alg: 'HS256' })
    .sign(Buffer.from(SECRET));
  assert.equal(await code(hs), `allow:${H}`);
  assert.equal(
    await code(await sign(keyA, claims({ iss: A, aud: 'client-b' }))),
    'AUDIENCE_MISMATCH',
    "B's audience is not A's",
  );
});

test("one issuer's key never signs for another", async () => {
  const hitsA = serverA.hits();
  // Signed by A's key, claiming to be B: B's verifier looks only in B's keys.
  assert.equal(
    await code(await sign(keyA, claims({ iss: B, client_id: 'client-b', token_use: 'access' }))),
    'ALG_NOT_ALLOWED',
    'B allows only ES256',
  );
  const forgedB = await sign(
    { ...keyA, alg: 'RS256' },
    claims({ iss: B, client_id: 'client-b', token_use: 'access' }),
    { alg: 'ES256', kid: 'key-b' },
  ).catch(() => undefined);
  assert.equal(
    forgedB,
    undefined,
    'jose refuses to sign ES256 with an RSA key: no such token can exist',
  );
  const es = generateKey('ES256', 'key-b'); // another ES256 key under B's kid
  assert.equal(
    await code(await sign(es, claims({ iss: B, client_id: 'client-b', token_use: 'access' }))),
    'SIGNATURE_INVALID',
  );
  // The HMAC issuer's secret does not sign for A, and A's public key is no HMAC secret.
  const hsForA = await new SignJWT(claims({ iss: A, aud: 'api-a' }))
    .setProtectedHeader({ alg: 'HS256', kid: 'key-a' })
    .sign(Buffer.from(SECRET));
  assert.equal(await code(hsForA), 'ALG_NOT_ALLOWED');
  assert.equal(await code(await sign(keyA, claims({ iss: H, aud: 'api-h' }))), 'ALG_NOT_ALLOWED');
  assert.equal(serverA.hits(), hitsA, "none of this fetched A's keys");
});

test('an unknown issuer is refused before any key is fetched', async () => {
  const before = serverA.hits() + serverB.hits();
  for (const iss of [
    'https://evil.example.com/',
    'https://a.example.com',
    `${B}/`,
    undefined,
    42,
  ]) {
    assert.equal(
      await code(await sign(keyA, claims({ iss: iss as string }))),
      'ISSUER_MISMATCH',
      String(iss),
    );
  }
  assert.equal(serverA.hits() + serverB.hits(), before);
  assert.equal(await code('not.a.jwt'), 'TOKEN_MALFORMED');
  assert.equal(await code(''), 'TOKEN_MISSING');
});
