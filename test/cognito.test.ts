// API Gateway's Cognito user pool authorizer (REST, `cognito_user_pools`) over real HTTP on
// 127.0.0.1: pools mapped to a local JWKS server (tests never reach Cognito), ID tokens on methods
// without scopes, access tokens with one of the method's scopes, every refusal a 401 with AWS's body,
// claims in the Lambda proxy event as strings.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { parseApi, ApiDocumentError } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import type { PoolMapping } from '../src/gateway/cognito-authorizer.js';
import { cognitoClaims, cognitoDate, parseUserPoolArn } from '../src/aws/cognito.js';
import { SignJWT } from 'jose';
import fc from 'fast-check';
import { generateKey, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { lambdaUri } from './support/apigw.js';

const POOL = 'eu-west-1_Pw7Kx2mQa';
const OTHER = 'us-east-1_Abc123XYZ';
const ISS = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const OTHER_ISS = `https://cognito-idp.us-east-1.amazonaws.com/${OTHER}`;
const arn = (pool: string): string =>
  `arn:aws:cognito-idp:${pool.slice(0, pool.indexOf('_'))}:123456789012:userpool/${pool}`;

const backend: LambdaHandler = async (event: unknown) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});
const proxy = `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('backend')}' }`;

const api = (pools: string[], extra = ''): string => `
openapi: 3.0.1
info: { title: cognito }
components:
  securitySchemes:
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: [${pools.map((p) => `'${arn(p)}'`).join(', ')}]
${extra}paths:
  /me:
    get:
      security: [{ pool: [] }]
      ${proxy}
  /orders:
    get:
      security: [{ pool: [orders/read, orders/admin] }]
      ${proxy}
`;

const servers: GatewayServer[] = [];
const jwks: JwksServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const j of jwks) await j.close();
});

async function keyServer(key: TestKey): Promise<JwksServer> {
  const server = await startJwksServer([key.jwk]);
  jwks.push(server);
  return server;
}

async function start(yaml: string, pools: Map<string, PoolMapping>): Promise<string> {
  const gateway = createGateway({
    api: parseApi(yaml, 'api.yaml'),
    functions: new Map([['backend', backend]]),
    log: () => {},
    cognitoPools: pools,
  });
  const server = createGatewayServer(gateway);
  servers.push(server);
  return (await server.listen(0)).url;
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const idClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'b3f1c2d4-0000-4000-8000-000000000001',
  iss: ISS,
  aud: '7abc123appclient',
  token_use: 'id',
  'cognito:username': 'alice',
  'cognito:groups': ['admins', 'readers'],
  email_verified: true,
  auth_time: nowS() - 5,
  iat: nowS() - 5,
  exp: nowS() + 3600,
  ...over,
});
const accessClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'b3f1c2d4-0000-4000-8000-000000000001',
  iss: ISS,
  client_id: '7abc123appclient',
  token_use: 'access',
  scope: 'orders/read openid',
  username: 'alice',
  iat: nowS() - 5,
  exp: nowS() + 3600,
  ...over,
});

/** The proxy integration echoes its event; refusals are `{ message }`. */
interface Body {
  readonly message?: string;
  readonly requestContext: { readonly authorizer: { readonly claims: Record<string, string> } };
}

async function get(url: string, authorization?: string): Promise<{ status: number; body: Body }> {
  const r = await fetch(url, { headers: authorization ? { authorization } : {} });
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) as Body };
}

test('cognito_user_pools: ID token allowed without scopes, access token refused; access token with a method scope allowed, without one refused; all refusals 401 Unauthorized', async () => {
  const key = generateKey('RS256');
  const keys = await keyServer(key);
  const url = await start(api([POOL]), new Map([[POOL, { jwksUri: keys.url }]]));
  const id = await sign(key, idClaims());
  const access = await sign(key, accessClaims());
  const unauthorized = { message: 'Unauthorized' };

  assert.equal((await get(`${url}/me`, id)).status, 200, 'ID token, bare');
  assert.equal((await get(`${url}/me`, `Bearer ${id}`)).status, 200, 'ID token after Bearer');
  assert.deepEqual(await get(`${url}/me`, access), { status: 401, body: unauthorized });
  assert.deepEqual(await get(`${url}/me`), { status: 401, body: unauthorized });

  assert.equal((await get(`${url}/orders`, access)).status, 200, 'access token, orders/read');
  assert.deepEqual(await get(`${url}/orders`, id), { status: 401, body: unauthorized });
  const noScope = await sign(key, accessClaims({ scope: 'openid profile' }));
  assert.deepEqual(await get(`${url}/orders`, noScope), { status: 401, body: unauthorized });
  const prefix = await sign(key, accessClaims({ scope: 'orders/reader' }));
  assert.deepEqual(await get(`${url}/orders`, prefix), { status: 401, body: unauthorized });
  const admin = await sign(key, accessClaims({ scope: 'orders/admin' }));
  assert.equal((await get(`${url}/orders`, admin)).status, 200, 'any one of the scopes');
});

test('cognito_user_pools: wrong pool, expired, foreign key, tampered and junk tokens are 401; expired says so', async () => {
  const key = generateKey('RS256');
  const stranger = generateKey('RS256');
  const keys = await keyServer(key);
  const url = await start(api([POOL]), new Map([[POOL, { jwksUri: keys.url }]]));
  const unauthorized = { status: 401, body: { message: 'Unauthorized' } };

  assert.deepEqual(
    await get(`${url}/me`, await sign(key, idClaims({ iss: OTHER_ISS }))),
    unauthorized,
  );
  assert.deepEqual(
    await get(`${url}/me`, await sign(key, idClaims({ iss: `${ISS}/` }))),
    unauthorized,
    'the issuer is compared exactly',
  );
  assert.deepEqual(await get(`${url}/me`, await sign(key, idClaims({ exp: nowS() - 1 }))), {
    status: 401,
    body: { message: 'The incoming token has expired' },
  });
  assert.deepEqual(await get(`${url}/me`, await sign(stranger, idClaims())), unauthorized);
  const good = await sign(key, idClaims());
  const [h, , s] = good.split('.');
  const forged = Buffer.from(JSON.stringify(idClaims({ 'cognito:username': 'root' }))).toString(
    'base64url',
  );
  assert.deepEqual(await get(`${url}/me`, `${h}.${forged}.${s}`), unauthorized);
  for (const junk of ['x', 'Bearer', 'a.b.c', `${good}x`, 'Basic dXNlcjpwYXNz'])
    assert.deepEqual(await get(`${url}/me`, junk), unauthorized, junk);
  const hs = await new SignJWT(idClaims())
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .sign(new Uint8Array(32));
  assert.deepEqual(await get(`${url}/me`, hs), unauthorized, 'HS256 is never accepted');
});

test('cognito_user_pools: several providerARNs accept each pool with its own keys', async () => {
  const a = generateKey('RS256');
  const b = generateKey('RS256');
  const [ka, kb] = [await keyServer(a), await keyServer(b)];
  const url = await start(
    api([POOL, OTHER]),
    new Map([
      [POOL, { jwksUri: ka.url }],
      [OTHER, { jwksUri: kb.url }],
    ]),
  );
  assert.equal((await get(`${url}/me`, await sign(a, idClaims()))).status, 200);
  assert.equal((await get(`${url}/me`, await sign(b, idClaims({ iss: OTHER_ISS })))).status, 200);
  // Pool B's key does not vouch for pool A's issuer.
  assert.equal((await get(`${url}/me`, await sign(b, idClaims()))).status, 401);
});

test('cognito_user_pools: the Lambda proxy event carries requestContext.authorizer.claims as strings, as AWS sends them', async () => {
  const key = generateKey('RS256');
  const keys = await keyServer(key);
  const url = await start(api([POOL]), new Map([[POOL, { jwksUri: keys.url }]]));
  const claims = idClaims({ 'custom:tier': 'gold', iat: 1469814773, exp: nowS() + 3600 });
  const { status, body } = await get(`${url}/me`, await sign(key, claims));
  assert.equal(status, 200);
  const authorizer = body.requestContext.authorizer;
  assert.deepEqual(Object.keys(authorizer), ['claims'], 'no principalId or context beside claims');
  assert.equal(authorizer.claims.sub, claims.sub);
  assert.equal(authorizer.claims['cognito:username'], 'alice');
  assert.equal(authorizer.claims['cognito:groups'], 'admins,readers');
  assert.equal(authorizer.claims['custom:tier'], 'gold');
  assert.equal(authorizer.claims.email_verified, 'true');
  assert.equal(authorizer.claims.auth_time, String(claims.auth_time));
  assert.equal(authorizer.claims.iat, 'Fri Jul 29 17:52:53 UTC 2016');
  assert.equal(authorizer.claims.token_use, 'id');
  for (const v of Object.values(authorizer.claims)) assert.equal(typeof v, 'string');
});

test('cognito: pure pieces: pool ARNs, dates and claims', () => {
  assert.deepEqual(parseUserPoolArn(arn(POOL)), {
    arn: arn(POOL),
    region: 'eu-west-1',
    poolId: POOL,
    issuer: ISS,
    jwksUri: `${ISS}/.well-known/jwks.json`,
  });
  for (const bad of [
    'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/us-east-1_X1',
    'arn:aws:cognito-idp:eu-west-1:1234:userpool/eu-west-1_X1',
    'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/${stageVariables.pool}',
    'eu-west-1_X1',
  ])
    assert.ok('problem' in parseUserPoolArn(bad), bad);
  assert.equal(cognitoDate(1469814773), 'Fri Jul 29 17:52:53 UTC 2016');
  assert.equal(cognitoDate(0), 'Thu Jan 01 00:00:00 UTC 1970');
  assert.deepEqual(cognitoClaims({ a: [1, 'x'], b: { c: 1 }, n: null, exp: 1 }), {
    a: '1,x',
    b: '{"c":1}',
    exp: 'Thu Jan 01 00:00:01 UTC 1970',
  });
});

test('cognito_user_pools: a bad authorizer is refused at start with its place', () => {
  const refuses = (yaml: string, pattern: RegExp): void =>
    assert.throws(
      () => parseApi(yaml, 'api.yaml'),
      (e: unknown) => e instanceof ApiDocumentError && pattern.test(e.message),
    );
  refuses(
    api([]).replace('providerARNs: []', 'providerARNs: []'),
    /providerARNs must be a non-empty list/,
  );
  refuses(
    api([POOL]).replace(arn(POOL), 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/nope'),
    /api\.yaml:\d+:\d+: .*providerARNs\[0\] must be a user pool ARN/,
  );
  refuses(api([POOL, POOL]), /names the user pool eu-west-1_Pw7Kx2mQa twice/);
  const withTtl = parseApi(
    api([POOL], '').replace(
      'providerARNs:',
      'authorizerResultTtlInSeconds: 300\n        providerARNs:',
    ),
    'api.yaml',
  );
  assert.match(
    withTtl.warnings!.map((w) => w.text).join('\n'),
    /authorizerResultTtlInSeconds: the Cognito authorizer result cache is not emulated/,
  );
});

test('cognito_user_pools: never an Allow on bad input (property: random, mutated and foreign tokens are 401, never 2xx or 5xx)', async () => {
  const key = generateKey('RS256');
  const foreign = generateKey('RS256');
  const keys = await keyServer(key);
  const url = await start(api([POOL]), new Map([[POOL, { jwksUri: keys.url }]]));
  const valid = await sign(key, idClaims());
  const claimsArb = fc.record({
    iss: fc.constantFrom(ISS, OTHER_ISS, `${ISS}/`, ''),
    token_use: fc.constantFrom('id', 'access', 'ID', undefined),
    exp: fc.constantFrom(nowS() - 1, nowS() + 600, undefined, 'soon'),
  });
  const bad = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc
      .tuple(fc.nat(valid.length - 1), fc.constantFrom('A', '-', '_', '.', '='))
      .map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1))
      .filter((t) => t !== valid),
    fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
    claimsArb.map((c) => ({ ...idClaims(), ...c }) as Record<string, unknown>),
  );
  await fc.assert(
    fc.asyncProperty(bad, fc.boolean(), async (input, withBearer) => {
      const token =
        typeof input === 'string'
          ? input
          : await sign(
              input.iss === ISS && input.token_use === 'id' && input.exp !== undefined
                ? foreign
                : key,
              input as never,
            );
      const header = withBearer ? `Bearer ${token}` : token;
      if (/[\r\n\0]/.test(header) || header.trim() === '' || header !== header.trim()) return;
      const r = await fetch(`${url}/me`, { headers: { authorization: header } }).catch(
        () => undefined,
      );
      if (r === undefined) return; // a header value fetch itself refuses to send
      await r.arrayBuffer();
      assert.equal(r.status, 401, `status ${r.status} for ${JSON.stringify(header.slice(0, 80))}`);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 150) },
  );
});
