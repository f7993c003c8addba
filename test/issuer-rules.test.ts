// Each issuer may bring its own route rules; the shared rules serve the others and tokenless requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { authorizerConfig } from '../src/settings/authorizer-config.js';
import { validateConfigDocument } from '../src/settings/file-validate.js';
import { rulesEngine } from '../src/core/rules-engine.js';
import { createAuthorizer } from '../src/lambda/authorizer.js';
import { createHandler } from '../src/lambda/handler.js';
import { claims, generateKey, NOW_MS, NOW_S, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { evaluate } from './support/iam.js';

const A = 'https://a.example.com/';
const B = 'https://b.example.com';
const SECRET = 'b'.repeat(32);
const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';
let key: TestKey;
let server: JwksServer;
let handle: (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

before(async () => {
  key = generateKey('RS256');
  server = await startJwksServer([key.jwk]);
  const doc = {
    issuers: [
      {
        issuer: A,
        audience: 'api',
        jwksUri: server.url,
        rules: { routes: [{ route: 'ANY /partner/{proxy+}', scopes: ['partner'] }] },
      },
      { issuer: B, audience: 'api', secret: { env: 'B_SECRET' } },
    ],
    rules: {
      routes: [
        { route: 'GET /pets/{id}', scopes: ['read:pets'] },
        { route: 'ANY /partner/{proxy+}', deny: true },
      ],
    },
  };
  const checked = validateConfigDocument(doc, {});
  if (!checked.ok) assert.fail(JSON.stringify(checked.errors));
  const config = authorizerConfig({ B_SECRET: SECRET }, { file: checked.config, rulesEngine });
  const authorizer = createAuthorizer(config, { now: () => NOW_MS, log: () => {} });
  handle = createHandler(authorizer) as typeof handle;
});
after(() => server.close());

const event = (token: string, path: string): APIGatewayTokenAuthorizerEvent => ({
  type: 'TOKEN',
  authorizationToken: `Bearer ${token}`,
  methodArn: `${ARN}/GET${path}`,
});

test('an issuer with its own rules is judged by them alone', async () => {
  const token = await sign(key, claims({ iss: A, aud: 'api', scope: 'partner read:pets' }));
  const policy = await handle(event(token, '/partner/orders'));
  assert.equal(evaluate(policy, `${ARN}/GET/partner/orders`), 'allow');
  assert.notEqual(
    evaluate(policy, `${ARN}/GET/pets/1`),
    'allow',
    'the shared rules do not apply to A',
  );
});

test('an issuer without rules of its own gets the shared rules', async () => {
  const now = NOW_S;
  const token = await new SignJWT({ sub: 'svc', scope: 'partner read:pets' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(B)
    .setAudience('api')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(Buffer.from(SECRET));
  const policy = await handle(event(token, '/pets/1'));
  assert.equal(evaluate(policy, `${ARN}/GET/pets/1`), 'allow');
  assert.notEqual(
    evaluate(policy, `${ARN}/GET/partner/orders`),
    'allow',
    'the shared rules deny /partner to B',
  );
});
