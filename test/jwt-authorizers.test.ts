// API Gateway's native JWT authorizers over real HTTP on 127.0.0.1, against real discovery + JWKS
// servers: the HTTP API's (every token failure a 401 with www-authenticate, repeated from a cold
// key cache to catch a race; 500 only when keys cannot be had) and the REST API's (several issuers
// with their own audiences and claim rules, an RS/ES allow-list, per-method scopes, key caching).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { parseApi, ApiDocumentError } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { generateKey, sign, type TestKey } from './support/keys.js';
import { startOidcProvider, type JwksServer } from './support/jwks-server.js';
import { httpJwtApi, lambdaUri } from './support/apigw.js';

const backend: LambdaHandler = async (event: unknown) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});
const integration = `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('backend')}' }`;

const servers: GatewayServer[] = [];
const idps: JwksServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const i of idps) await i.close();
});

async function start(yaml: string, now?: () => number): Promise<string> {
  const gateway = createGateway({
    api: parseApi(yaml, 'api.yaml'),
    functions: new Map([['backend', backend]]),
    log: () => {},
    ...(now ? { now } : {}),
  });
  const server = createGatewayServer(gateway);
  servers.push(server);
  return (await server.listen(0)).url;
}

async function provider(keys: TestKey[]): Promise<JwksServer> {
  const idp = await startOidcProvider(keys.map((k) => k.jwk));
  idps.push(idp);
  return idp;
}

interface Answer {
  status: number;
  body: string;
  headers: Headers;
  json: () => Record<string, unknown>;
}
async function call(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Answer> {
  const r = await fetch(url + path, { method, headers });
  const body = await r.text();
  return {
    status: r.status,
    body,
    headers: r.headers,
    json: () => JSON.parse(body) as Record<string, unknown>,
  };
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

// ---- HTTP API ----

const AUD = 'https://api.example.com';
const httpApi = (issuer: string): string =>
  httpJwtApi(
    issuer,
    AUD,
    `  /pets:
    get:
      security: [{ jwt: [] }]
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('backend')}', payloadFormatVersion: '2.0' }
`,
  );

const INVALID = (description: string): string =>
  `Bearer scope="" error="invalid_token" error_description="${description}"`;

test("HTTP API JWT authorizer: every bad token is 401 with AWS's www-authenticate, never 500, repeated from a cold key cache", async () => {
  const key = generateKey('RS256');
  const idp = await provider([key]);
  const iss = idp.origin;
  const base = { iss, aud: AUD, sub: 'u1' };
  const cases = async (): Promise<[string, string, string][]> => [
    ['expired', await sign(key, { ...base, exp: nowS() - 60 }), INVALID('the token has expired')],
    [
      'not yet valid',
      await sign(key, { ...base, exp: nowS() + 600, nbf: nowS() + 300 }),
      INVALID('the token is not valid yet'),
    ],
    [
      'wrong issuer',
      await sign(key, { ...base, iss: 'https://other.example.com', exp: nowS() + 600 }),
      INVALID('the token does not have a valid issuer'),
    ],
    [
      'wrong audience',
      await sign(key, { ...base, aud: 'https://other.example.com', exp: nowS() + 600 }),
      INVALID('the token does not have a valid audience'),
    ],
    // AWS checks client_id only when aud is absent: a matching client_id does not rescue a wrong aud.
    [
      'wrong aud, matching client_id',
      await sign(key, {
        ...base,
        aud: 'https://other.example.com',
        client_id: AUD,
        exp: nowS() + 600,
      }),
      INVALID('the token does not have a valid audience'),
    ],
    [
      'bad signature',
      await sign(generateKey('RS256', key.jwk.kid as string), { ...base, exp: nowS() + 600 }),
      INVALID('the token signature is invalid'),
    ],
  ];
  for (let round = 0; round < 5; round++) {
    // A new gateway each round: the first requests race the discovery and JWKS fetch.
    const url = await start(httpApi(iss));
    const all = await cases();
    const answers = await Promise.all(
      all.flatMap(([name, token, header]) =>
        Array.from({ length: 4 }, async () => ({
          name,
          header,
          r: await call(url, '/pets', bearer(token)),
        })),
      ),
    );
    for (const { name, header, r } of answers) {
      assert.deepEqual(
        [r.status, r.body],
        [401, '{"message":"Unauthorized"}'],
        `round ${round}, ${name}`,
      );
      assert.equal(r.headers.get('www-authenticate'), header, `round ${round}, ${name}`);
    }
  }
  const good = await call(
    await start(httpApi(iss)),
    '/pets',
    bearer(await sign(key, { ...base, exp: nowS() + 600 })),
  );
  assert.equal(good.status, 200, 'the same gateway passes a good token');
  const noAud = await call(
    await start(httpApi(iss)),
    '/pets',
    bearer(await sign(key, { iss, client_id: AUD, sub: 'svc', exp: nowS() + 600 })),
  );
  assert.equal(noAud.status, 200, 'without aud, client_id is checked');
});

test("HTTP API JWT authorizer: 500 only when the issuer's keys cannot be had", async () => {
  const key = generateKey('RS256');
  const idp = await provider([key]);
  idp.setMode({ kind: 'status', status: 503 });
  const url = await start(httpApi(idp.origin));
  const r = await call(
    url,
    '/pets',
    bearer(await sign(key, { iss: idp.origin, aud: AUD, sub: 'u', exp: nowS() + 600 })),
  );
  assert.deepEqual([r.status, r.body], [500, '{"message":"Internal Server Error"}']);
  assert.equal(r.headers.get('www-authenticate'), null, "not the token's fault");
  // A token that names another issuer is refused before any key is fetched: still a 401.
  const other = await call(
    url,
    '/pets',
    bearer(
      await sign(key, { iss: 'https://other.example.com', aud: AUD, sub: 'u', exp: nowS() + 600 }),
    ),
  );
  assert.equal(other.status, 401);
});

// ---- REST API ----

const AUD_A = 'https://orders.example.com';
const AUD_B = 'orders-client';

/** A REST API document with one JWT authorizer named `jwt`: its jwtConfiguration and the paths, as YAML. */
const restJwtDoc = (jwtConfiguration: string, paths: string): string => `
openapi: 3.0.1
info: { title: jwt-rest, version: '1' }
components:
  securitySchemes:
    jwt:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: jwt
      x-amazon-apigateway-authorizer:
        type: jwt
        identitySource: method.request.header.Authorization
        jwtConfiguration:
${jwtConfiguration}
paths:
${paths}`;

function restApi(issuerA: string, issuerB: string): string {
  return restJwtDoc(
    `          defaultAlgorithms: [RS256, ES256]
          issuers:
            - issuer: '${issuerA}'
              audiences: ['${AUD_A}']
              additionalClaims:
                - { claimName: tenant, format: SINGLE_STRING, required: true, expectedValues: [acme, globex] }
            - issuer: '${issuerB}'
              audiences: ['${AUD_B}']`,
    `  /orders:
    get:
      security: [{ jwt: ['orders:read', 'orders/read'] }]
      ${integration}
    post:
      security: [{ jwt: ['orders:write'] }]
      ${integration}
  /profile:
    get:
      security: [{ jwt: [] }]
      ${integration}
`,
  );
}

test("REST API JWT authorizer: issuers with their own audiences and claim rules, RS and ES allowed, per-method scopes, AWS's REST answers", async () => {
  const rsa = generateKey('RS256');
  const ec = generateKey('ES256');
  const rs384 = generateKey('RS384');
  const a = await provider([rsa, rs384]);
  const b = await provider([ec]);
  const url = await start(restApi(a.origin, b.origin));
  const exp = (): number => nowS() + 600;
  const fromA = (claims: Record<string, unknown>, key: TestKey = rsa): Promise<string> =>
    sign(key, { iss: a.origin, aud: AUD_A, sub: 'alice', tenant: 'acme', exp: exp(), ...claims });

  const ok = await call(url, '/orders', bearer(await fromA({ scope: 'orders:read profile' })));
  assert.equal(ok.status, 200, ok.body);
  const authorizer = (
    ok.json().requestContext as {
      authorizer: { principalId: string; claims: Record<string, string> };
    }
  ).authorizer;
  assert.equal(authorizer.principalId, 'alice');
  assert.equal(authorizer.claims.tenant, 'acme');
  assert.equal(
    authorizer.claims.exp,
    String(
      (
        JSON.parse(Buffer.from((await fromA({})).split('.')[1]!, 'base64url').toString()) as {
          exp: number;
        }
      ).exp,
    ),
    'claims as strings',
  );

  const es = await sign(ec, {
    iss: b.origin,
    aud: AUD_B,
    sub: 'svc',
    exp: exp(),
    scp: ['orders/read'],
  });
  assert.equal(
    (await call(url, '/orders', bearer(es))).status,
    200,
    'ES256 from the second issuer, scopes from scp',
  );

  const unauthorized = async (
    name: string,
    headers: Record<string, string>,
    description?: string,
  ): Promise<void> => {
    const r = await call(url, '/orders', headers);
    assert.deepEqual(
      [r.status, r.body, r.headers.get('x-amzn-errortype')],
      [401, '{"message":"Unauthorized"}', 'UnauthorizedException'],
      name,
    );
    if (description) assert.equal(r.headers.get('www-authenticate'), INVALID(description), name);
  };
  await unauthorized('no token', {});
  await unauthorized(
    "another issuer's audience",
    bearer(await fromA({ aud: AUD_B, scope: 'orders:read' })),
    'the token does not have a valid audience',
  );
  await unauthorized(
    'unknown issuer',
    bearer(await fromA({ iss: 'https://evil.example.com', scope: 'orders:read' })),
    'the token does not have a valid issuer',
  );
  await unauthorized(
    'RS384 is not allowed',
    bearer(await fromA({ scope: 'orders:read' }, rs384)),
    'the token is not signed with an allowed algorithm',
  );
  await unauthorized(
    'required claim missing',
    bearer(await fromA({ tenant: undefined, scope: 'orders:read' })),
    'the token does not have the required claim tenant',
  );
  await unauthorized(
    'claim value not expected',
    bearer(await fromA({ tenant: 'ACME', scope: 'orders:read' })),
    'the token does not have a valid tenant claim',
  );
  await unauthorized(
    'claim not a single string',
    bearer(await fromA({ tenant: ['acme'], scope: 'orders:read' })),
    'the token claim tenant is not a single string',
  );
  await unauthorized(
    'expired',
    bearer(await fromA({ exp: nowS() - 5, scope: 'orders:read' })),
    'the token has expired',
  );
  await unauthorized(
    'not yet valid',
    bearer(await fromA({ nbf: nowS() + 120, scope: 'orders:read' })),
    'the token is not valid yet',
  );
  await unauthorized(
    'bad signature',
    bearer(await fromA({ scope: 'orders:read' }, generateKey('RS256', rsa.jwk.kid as string))),
    'the token signature is invalid',
  );

  const write = await call(url, '/orders', bearer(await fromA({ scope: 'orders:read' })), 'POST');
  assert.deepEqual(
    [write.status, write.body, write.headers.get('x-amzn-errortype')],
    [403, '{"Message":"User is not authorized to access this resource"}', 'AccessDeniedException'],
  );
  assert.equal(
    write.headers.get('www-authenticate'),
    'Bearer scope="orders:write" error="insufficient_scope" error_description="the token does not have the required scopes"',
  );
  assert.equal(
    (await call(url, '/profile', bearer(await fromA({})))).status,
    200,
    'a method without scopes needs only a valid token',
  );
});

test('REST API JWT authorizer: keys cached up to 1 h, refetched for an unseen kid and after the hour; an outage with nothing cached is 500', async () => {
  const first = generateKey('RS256');
  const idp = await provider([first]);
  let clock = Date.now();
  const url = await start(restApi(idp.origin, 'https://unused.example.com'), () => clock);
  const token = (key: TestKey): Promise<string> =>
    sign(key, {
      iss: idp.origin,
      aud: AUD_A,
      sub: 'u',
      tenant: 'acme',
      exp: Math.floor(clock / 1000) + 7200,
      scope: 'orders:read',
    });
  for (let i = 0; i < 3; i++)
    assert.equal((await call(url, '/orders', bearer(await token(first)))).status, 200);
  assert.equal(idp.hits(), 1, 'one JWKS fetch serves every request');

  const rotated = generateKey('RS256');
  idp.setKeys([first.jwk, rotated.jwk]);
  assert.equal(
    (await call(url, '/orders', bearer(await token(rotated)))).status,
    200,
    'a token signed with a new kid refetches the keys',
  );
  assert.equal(idp.hits(), 2);

  clock += 59 * 60 * 1000;
  assert.equal((await call(url, '/orders', bearer(await token(first)))).status, 200);
  assert.equal(idp.hits(), 2, 'still cached within the hour');
  clock += 2 * 60 * 1000;
  idp.setKeys([rotated.jwk]);
  const retired = await call(url, '/orders', bearer(await token(first)));
  // After the hour the keys are fetched again (and once more for the kid they no longer have).
  assert.ok(idp.hits() >= 3, `refetched after an hour (${idp.hits()} fetches)`);
  assert.equal(
    retired.status,
    401,
    'a key the issuer no longer publishes stops working within the hour',
  );

  const down = await provider([first]);
  down.setMode({ kind: 'down' });
  const cold = await start(restApi(down.origin, 'https://unused.example.com'));
  const outage = await call(
    cold,
    '/orders',
    bearer(
      await sign(first, {
        iss: down.origin,
        aud: AUD_A,
        sub: 'u',
        tenant: 'acme',
        exp: nowS() + 600,
        scope: 'orders:read',
      }),
    ),
  );
  assert.deepEqual(
    [outage.status, outage.body, outage.headers.get('x-amzn-errortype')],
    [500, '{"message":null}', 'AuthorizerConfigurationException'],
  );
});

test('REST API JWT authorizer documents: bad settings are refused with their position', () => {
  const doc = (config: string): string =>
    restJwtDoc(
      config,
      `  /x:
    get:
      security: [{ jwt: [] }]
      ${integration}
`,
    );
  const refuses = (config: string, message: RegExp): void => {
    assert.throws(
      () => parseApi(doc(config), 'api.yaml'),
      (e: unknown) => e instanceof ApiDocumentError && message.test(e.message) && e.line > 0,
      message.source,
    );
  };
  const issuer = "          issuers: [{ issuer: 'https://id.example.com', audiences: [a] }]";
  refuses(
    `          defaultAlgorithms: [HS256]\n${issuer}`,
    /defaultAlgorithms must be a non-empty list of RS256, RS384, RS512, ES256, ES384, ES512/,
  );
  refuses(
    '          defaultAlgorithms: [RS256]\n          issuers: []',
    /issuers must be a non-empty list/,
  );
  refuses(
    "          defaultAlgorithms: [RS256]\n          issuers: [{ issuer: 'https://id.example.com', audiences: [] }]",
    /audiences must be a non-empty list of audiences/,
  );
  refuses(
    "          defaultAlgorithms: [RS256]\n          issuers: [{ issuer: 'https://id.example.com?x=1', audiences: [a] }]",
    /issuer must be an https:\/\/ URL without query or fragment/,
  );
  refuses(
    "          defaultAlgorithms: [RS256]\n          issuers: [{ issuer: 'https://id.example.com', audiences: [a] }, { issuer: 'https://id.example.com', audiences: [b] }]",
    /names https:\/\/id\.example\.com twice/,
  );
  refuses(
    "          defaultAlgorithms: [RS256]\n          issuers: [{ issuer: 'https://id.example.com', audiences: [a], additionalClaims: [{ claimName: aud, format: SINGLE_STRING }] }]",
    /claimName cannot be aud/,
  );
  refuses(
    "          defaultAlgorithms: [RS256]\n          issuers: [{ issuer: 'https://id.example.com', audiences: [a], additionalClaims: [{ claimName: tenant, format: LIST }] }]",
    /format must be SINGLE_STRING/,
  );
  const api = parseApi(doc(`          defaultAlgorithms: [ES256]\n${issuer}`), 'api.yaml');
  assert.equal(api.flavour, 'rest', "issuers (a list) mark a REST API's JWT authorizer");
  const spec = api.authorizers.get('jwt');
  assert.ok(spec?.type === 'jwt');
  assert.deepEqual(
    [spec.algorithms, spec.clientIdWithoutAud, spec.identitySources[0]!.expression],
    [['ES256'], false, 'method.request.header.Authorization'],
  );
});
