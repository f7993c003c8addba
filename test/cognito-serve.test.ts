// `tollgate serve` with a Cognito user pool authorizer, end to end over real HTTP on 127.0.0.1:
// `--cognito POOL_ID=dev` (and serve.cognito) makes the development provider stand for the pool,
// `tollgate token --cognito` mints its ID and access tokens; nothing reaches Cognito.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve } from '../src/cli/serve-command.js';
import { mintDevToken } from '../src/cli/token-command.js';
import { UsageError } from '../src/core/errors.js';
import { lambdaUri } from './support/apigw.js';
import { fileIn, useTempHome } from './support/temp-home.js';

const POOL = 'eu-west-1_Pw7Kx2mQa';
let dir: string;
useTempHome('tollgate-cognito-serve-', (path) => (dir = path));

const file = fileIn(() => dir);

const proxy = `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('echo')}' }`;
const API = `openapi: 3.0.1
info: { title: cognito-serve, version: '1' }
components:
  securitySchemes:
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ['arn:aws:cognito-idp:eu-west-1:123456789012:userpool/${POOL}']
paths:
  /me:
    get:
      security: [{ pool: [] }]
      ${proxy}
  /orders:
    get:
      security: [{ pool: [read:pets] }]
      ${proxy}
`;

function setup(): { api: string; echo: string } {
  return {
    api: file('cognito-api.yaml', API),
    echo: file(
      'echo.mjs',
      `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event.requestContext.authorizer) });\n`,
    ),
  };
}

async function get(url: string, token?: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { headers: token ? { authorization: token } : {} });
  return { status: r.status, body: await r.text() };
}

test('--cognito POOL=dev: tollgate token --cognito ID and access tokens pass as the pool would pass them; the wrong kind is 401', async () => {
  const { api, echo } = setup();
  const lines: string[] = [];
  const running = await serve(
    { api, function: [`echo=${echo}`], port: '0', cognito: [`${POOL}=dev`] },
    (line) => lines.push(line),
    () => {},
  );
  try {
    assert.match(
      lines.join('\n'),
      /Cognito user pool eu-west-1_Pw7Kx2mQa: the development provider/,
    );
    const issuer = running.devProvider!.issuer;
    const id = (await mintDevToken({ cognito: 'id', iss: issuer, sub: 'alice', groups: 'admins' }))
      .token;
    const me = await get(`${running.url}/me`, id);
    assert.equal(me.status, 200);
    const claims = (JSON.parse(me.body) as { claims: Record<string, string> }).claims;
    assert.equal(claims['cognito:username'], 'alice');
    assert.equal(claims['cognito:groups'], 'admins');
    assert.equal(claims.token_use, 'id');
    // A token shaped with the pool's own issuer, signed by the development key, passes too.
    const pooled = (await mintDevToken({ cognito: 'id', pool: POOL })).token;
    assert.equal((await get(`${running.url}/me`, `Bearer ${pooled}`)).status, 200);

    const access = (await mintDevToken({ cognito: 'access', iss: issuer, scope: 'read:pets' }))
      .token;
    assert.equal((await get(`${running.url}/orders`, access)).status, 200);
    assert.deepEqual(await get(`${running.url}/me`, access), {
      status: 401,
      body: '{"message":"Unauthorized"}',
    });
    assert.equal((await get(`${running.url}/orders`, id)).status, 401);
    const other = (await mintDevToken({ cognito: 'access', iss: issuer, scope: 'write:pets' }))
      .token;
    assert.equal((await get(`${running.url}/orders`, other)).status, 401);
    const expired = (await mintDevToken({ cognito: 'id', iss: issuer, 'expires-in': '-1m' })).token;
    assert.deepEqual(await get(`${running.url}/me`, expired), {
      status: 401,
      body: '{"message":"The incoming token has expired"}',
    });
    // A plain development token (no token_use) is not a Cognito token.
    const plain = (await mintDevToken({ iss: issuer })).token;
    assert.equal((await get(`${running.url}/me`, plain)).status, 401);

    // The development provider's own tokens are the pool's shape: client credentials give an
    // access token with token_use and client_id, taken by the scoped method only.
    const machine = running.devProvider!.clients.machine;
    const basic = Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64');
    const issued = await fetch(`http://127.0.0.1:${running.port}/idp/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${basic}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'read:pets',
      }).toString(),
    });
    const { access_token } = (await issued.json()) as { access_token: string };
    const orders = await get(`${running.url}/orders`, `Bearer ${access_token}`);
    assert.equal(orders.status, 200, orders.body);
    const granted = (JSON.parse(orders.body) as { claims: Record<string, string> }).claims;
    assert.equal(granted.token_use, 'access');
    assert.equal(granted.client_id, 'tollgate-machine');
    assert.equal(granted.scope, 'read:pets');
    assert.equal((await get(`${running.url}/me`, `Bearer ${access_token}`)).status, 401);
  } finally {
    await running.close();
  }
});

test('serve.cognito in the config file maps a pool; an unmapped pool names Cognito as its key source; bad mappings are refused in one line', async () => {
  const { echo } = setup();
  const lines: string[] = [];
  const running = await serve(
    { api: join(dir, 'cognito-api.yaml'), function: [`echo=${echo}`], port: '0' },
    (line) => lines.push(line),
    () => {},
  );
  await running.close();
  assert.match(
    lines.join('\n'),
    /Cognito user pool eu-west-1_Pw7Kx2mQa: keys from https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/eu-west-1_Pw7Kx2mQa\/\.well-known\/jwks\.json/,
  );

  const config = file(
    'cognito.config.yaml',
    `serve:\n  api: ./cognito-api.yaml\n  page: false\n  functions: { echo: { handler: ./echo.mjs#handler } }\n  cognito:\n    ${POOL}: dev\n`,
  );
  const mapped = await serve(
    { config, port: '0' },
    () => {},
    () => {},
  );
  try {
    const id = (await mintDevToken({ cognito: 'id', iss: mapped.devProvider!.issuer })).token;
    assert.equal((await get(`${mapped.url}/me`, id)).status, 200);
  } finally {
    await mapped.close();
  }

  const bad = file(
    'bad-cognito.config.yaml',
    `serve:\n  api: ./cognito-api.yaml\n  cognito:\n    ${POOL}: nowhere\n`,
  );
  await assert.rejects(
    serve(
      { config: bad, port: '0' },
      () => {},
      () => {},
    ),
    (e: unknown) =>
      e instanceof UsageError &&
      /bad-cognito\.config\.yaml:4:\d+: .*must map to dev or to a JWKS URL/.test(e.message),
  );
  await assert.rejects(
    serve(
      { api: join(dir, 'cognito-api.yaml'), port: '0', cognito: ['pool=dev'] },
      () => {},
      () => {},
    ),
    (e: unknown) => e instanceof UsageError && /"pool" is not a user pool id/.test(e.message),
  );
});
