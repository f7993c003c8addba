// tollgate serve --template on HTTP APIs as plain CloudFormation (AWS::ApiGatewayV2::*, the shape
// `cdk synth` writes for aws-apigatewayv2's HttpApi): served and called over real HTTP. Every
// template here passes cfn-lint (test/fixtures/sam ones in template-sam.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadTemplate } from '../src/template/load-template.js';
import { readCloudFormation } from '../src/template/read-template.js';
import { serveTemplate } from './support/serve-template.js';
import {
  httpApiPart,
  integrationTarget,
  readTemplate,
  templateVariant,
  type Template,
} from './support/template-variant.js';
import { repoPath } from './support/paths.js';
import { generateKey, sign } from './support/keys.js';
import { startJwksServer, startOidcProvider } from './support/jwks-server.js';
import { mintDevToken } from '../src/cli/token-command.js';
import { useTempHome } from './support/temp-home.js';

const SAM_DIR = repoPath('test/fixtures/sam');
const HTTP = join(SAM_DIR, 'cdk-http.template.json');
const AUDIENCE = 'https://api.example.com';

let dir: string;
useTempHome('tollgate-cdk-http-', (path) => (dir = path));
const fixture = (): Template => readTemplate(HTTP);
const variant = (name: string, edit: (t: Template) => void): string =>
  templateVariant(HTTP, dir, name, edit);

test('an HTTP API as cdk synth writes it: JWT routes with scopes, simple and IAM-policy Lambda authorizers (payload 2.0 and 1.0, a cache), NONE, $default, CORS, stage variables', async () => {
  const key = generateKey('RS256');
  const idp = await startOidcProvider([key.jwk]);
  const { running, lines } = await serveTemplate(HTTP, {
    'parameter-overrides': [`IssuerUrl=${idp.origin}`],
  });
  try {
    const url = running.url;
    const now = Math.floor(Date.now() / 1000);
    const token = (scope: string, aud = AUDIENCE): Promise<string> =>
      sign(key, { iss: idp.origin, aud, sub: 'u1', scope, exp: now + 600 });
    const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${url}${path}`, { headers });

    const missing = await get('/pets');
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { message: 'Unauthorized' });
    const ok = await get('/pets', { authorization: `Bearer ${await token('pets/read')}` });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as {
      authorizer: { jwt: { claims: { sub: string } } };
      stage: string;
      stageVariables: unknown;
      env: { GREETING: string };
    };
    assert.equal(body.authorizer.jwt.claims.sub, 'u1');
    assert.equal(body.stage, '$default');
    assert.deepEqual(body.stageVariables, { tier: 'silver' });
    assert.equal(body.env.GREETING, 'from-cdk-http');
    // AuthorizationScopes [pets/read] on the route; another audience is not this API's.
    assert.equal((await get('/pets', { authorization: `Bearer ${await token('x')}` })).status, 403);
    const stranger = await token('pets/read', 'https://other.example.com');
    assert.equal((await get('/pets', { authorization: `Bearer ${stranger}` })).status, 401);

    // Simple responses, payload 2.0, no cache.
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${url}/pets`, { method: 'POST', headers });
    const simple = await post({ 'x-key': 'allow' });
    assert.equal(simple.status, 200);
    assert.deepEqual(((await simple.json()) as { authorizer: unknown }).authorizer, {
      lambda: { via: 'simple' },
    });
    assert.equal((await post({ 'x-key': 'nope' })).status, 403);
    assert.equal((await post({})).status, 401, 'no X-Key: the identity source is missing');

    // An IAM policy (payload 1.0), cached 300 s by X-Key: the second call is the cached answer.
    const vault = async (k: string): Promise<Response> => get('/vault/7', { 'x-key': k });
    const first = await vault('allow');
    assert.equal(first.status, 200);
    const a1 = ((await first.json()) as { authorizer: { calls: number; principalId: string } })
      .authorizer;
    assert.equal(a1.principalId, 'user-allow');
    const second = (await (await vault('allow')).json()) as { authorizer: { calls: number } };
    assert.equal(second.authorizer.calls, a1.calls, 'TTL 300: answered from the cache');
    assert.equal((await vault('deny')).status, 403);
    assert.equal((await vault('who')).status, 401);

    assert.equal((await get('/health')).status, 200);
    assert.equal((await get('/elsewhere')).status, 404);

    const preflight = await fetch(`${url}/pets`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
    assert.ok(!lines.some((l) => /warning/.test(l)), lines.join('\n'));
  } finally {
    await running.close();
    await idp.close();
  }
});

test('an HTTP API from its Body (OpenAPI) with Route resources beside it, a named stage, a $default route behind the JWT authorizer; quick create (Target)', async () => {
  const key = generateKey('RS256');
  const idp = await startOidcProvider([key.jwk]);
  const body = variant('cdk-http-body.template.json', (t) => {
    const api = t.Resources.PetsHttpApi!;
    api.Properties = {
      Name: 'pets-body',
      Body: {
        openapi: '3.0.1',
        info: { title: 'pets-body', version: '1' },
        paths: {
          '/open': {
            get: {
              'x-amazon-apigateway-integration': {
                type: 'aws_proxy',
                httpMethod: 'POST',
                uri: { 'Fn::GetAtt': ['PetsFunction', 'Arn'] },
                payloadFormatVersion: '2.0',
              },
            },
          },
        },
      },
    };
    const stage = t.Resources.PetsHttpApiDefaultStage!.Properties;
    stage.StageName = 'v1';
    stage.StageVariables = { tier: 'gold' };
    t.Resources.DefaultRoute = httpApiPart('Route', {
      RouteKey: '$default',
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: 'JwtAuthorizer' },
      Target: integrationTarget('PetsIntegration'),
    });
  });
  const { running } = await serveTemplate(body, {
    'parameter-overrides': [`IssuerUrl=${idp.origin}`],
  });
  try {
    // The Body's route and the Route resources alike; the stage leads the path or not.
    const open = await fetch(`${running.url}/v1/open`);
    assert.equal(open.status, 200);
    const echoed = (await open.json()) as { stage: string; stageVariables: unknown };
    assert.equal(echoed.stage, 'v1');
    assert.deepEqual(echoed.stageVariables, { tier: 'gold' });
    assert.equal((await fetch(`${running.url}/v1/pets`)).status, 401);
    assert.equal((await fetch(`${running.url}/health`)).status, 200);
    // $default takes what no route matches, behind its JWT authorizer, preflights included
    // (docs/emulation.md, CORS: AWS sends a preflight to a route that takes OPTIONS).
    assert.equal((await fetch(`${running.url}/elsewhere`)).status, 401);
    const now = Math.floor(Date.now() / 1000);
    const jwt = await sign(key, { iss: idp.origin, aud: AUDIENCE, sub: 'u2', exp: now + 600 });
    const fallback = await fetch(`${running.url}/elsewhere`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    assert.equal(fallback.status, 200);
    assert.equal(((await fallback.json()) as { path: string }).path, '/elsewhere');
  } finally {
    await running.close();
    await idp.close();
  }

  const quick = variant('cdk-http-quick.template.json', (t) => {
    for (const [id, r] of Object.entries(t.Resources))
      if (r.Type.startsWith('AWS::ApiGatewayV2::') && id !== 'PetsHttpApi') delete t.Resources[id];
    delete t.Parameters.IssuerUrl;
    t.Resources.PetsHttpApi!.Properties = {
      Name: 'quick',
      ProtocolType: 'HTTP',
      Target: { 'Fn::GetAtt': ['PetsFunction', 'Arn'] },
    };
  });
  const served = await serveTemplate(quick);
  try {
    const any = await fetch(`${served.running.url}/any/path`, { method: 'DELETE' });
    assert.equal(any.status, 200);
    assert.equal(((await any.json()) as { path: string }).path, '/any/path');
  } finally {
    await served.running.close();
  }
});

test('what an HTTP API template sets that the local gateway does not run is a warning naming resource and property; what cannot be served is an error naming it', () => {
  const path = variant('cdk-http-unused.template.json', (t) => {
    const r = t.Resources;
    r.PetsHttpApi!.Properties.DisableExecuteApiEndpoint = true;
    r.PetsHttpApiDefaultStage!.Properties.DefaultRouteSettings = {
      ThrottlingBurstLimit: 5,
      ThrottlingRateLimit: 1,
    };
    r.PetsIntegration!.Properties.TimeoutInMillis = 5000;
    r.PetsIntegration!.Properties.RequestParameters = { 'overwrite:path': '/x' };
    r.SimpleAuthorizer!.Properties.AuthorizerCredentialsArn = {
      'Fn::GetAtt': ['LambdaRole', 'Arn'],
    };
    r.GetHealthRoute!.Properties.AuthorizationType = 'AWS_IAM';
    r.SecondStage = httpApiPart('Stage', { StageName: 'beta' });
  });
  const said = loadTemplate(path, { parameterOverrides: {} }).warningLines.join('\n');
  for (const where of [
    /PetsHttpApi\.Properties\.DisableExecuteApiEndpoint is not emulated/,
    /PetsHttpApiDefaultStage\.Properties\.DefaultRouteSettings is not emulated/,
    /PetsIntegration\.Properties\.TimeoutInMillis is not emulated: the gateway-wide integration timeout/,
    /PetsIntegration\.Properties\.RequestParameters is not emulated: request parameter mappings/,
    /SimpleAuthorizer\.Properties\.AuthorizerCredentialsArn is not emulated/,
    /GetHealthRoute\.Properties\.AuthorizationType AWS_IAM is not emulated/,
    /Resources\.SecondStage is not served/,
  ])
    assert.match(said, where);
  // Each warning carries the line and column of the property in the file.
  assert.match(said, /cdk-http-unused\.template\.json:\d+:\d+: Resources\.PetsIntegration/);

  const read = (edit: (t: Template) => void): unknown => {
    const t = fixture();
    edit(t);
    return readCloudFormation(t, { baseDir: SAM_DIR, readDocument: () => assert.fail() });
  };
  assert.throws(
    () => read((t) => delete t.Resources.PetsIntegration!.Properties.PayloadFormatVersion),
    /is required for an HTTP API's Lambda integration/,
  );
  assert.throws(
    () => read((t) => (t.Resources.GetPetsRoute!.Properties.AuthorizerId = 'Nope')),
    /names Nope, which is not an AWS::ApiGatewayV2::Authorizer of the API/,
  );
  assert.throws(
    () => read((t) => (t.Resources.GetHealthRoute!.Properties.Target = 'integrations/Nope')),
    /must be integrations\/ID/,
  );
  // A WebSocket API is named, not served.
  const ws = readCloudFormation(
    {
      Resources: {
        Chat: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET' } },
      },
    },
    { baseDir: SAM_DIR, readDocument: () => assert.fail() },
  );
  assert.equal(ws.api, undefined);
  assert.match(JSON.stringify(ws.warnings), /WEBSOCKET APIs are not served/);
});

const POOL = 'us-east-1_UserPool';

/** The fixture with a user pool authorizer as CDK's HttpUserPoolAuthorizer writes it. */
const poolVariant = (): string =>
  variant('cdk-http-pool.template.json', (t) => {
    t.Resources.UserPool = { Type: 'AWS::Cognito::UserPool', Properties: {} };
    t.Resources.UserPoolClient = {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: { UserPoolId: { Ref: 'UserPool' } },
    };
    t.Resources.PoolAuthorizer = httpApiPart('Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      Name: 'PoolAuthorizer',
      JwtConfiguration: {
        Audience: [{ Ref: 'UserPoolClient' }],
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.',
              { Ref: 'AWS::Region' },
              '.amazonaws.com/',
              { Ref: 'UserPool' },
            ],
          ],
        },
      },
    });
    const route = (key: string, scopes: string[]) =>
      httpApiPart('Route', {
        RouteKey: key,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: 'PoolAuthorizer' },
        ...(scopes.length ? { AuthorizationScopes: scopes } : {}),
        Target: integrationTarget('PetsIntegration'),
      });
    t.Resources.MembersRoute = route('GET /members', []);
    t.Resources.OrdersRoute = route('GET /members/orders', ['pets/read']);
  });

type Claims = { authorizer: { jwt: { claims: Record<string, string> } } };

test("an HTTP API's user pool authorizer as CDK's HttpUserPoolAuthorizer writes it (a JWT authorizer with the pool's issuer, the app client as audience): --cognito POOL=dev gives its keys and tokens", async () => {
  const path = poolVariant();
  const { running, lines } = await serveTemplate(path, { cognito: [`${POOL}=dev`] });
  try {
    const said = lines.join('\n');
    assert.match(said, new RegExp(`Cognito user pool ${POOL}: the development provider`));
    assert.match(
      said,
      /UserPoolClient\.Type AWS::Cognito::UserPoolClient is not created locally: its Ref/,
    );
    assert.doesNotMatch(said, /no authorizer of the API trusts this pool/);
    const get = async (p: string, token?: string) => {
      const r = await fetch(`${running.url}${p}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return { status: r.status, body: (await r.json()) as Claims };
    };
    const mint = async (o: Parameters<typeof mintDevToken>[0]) => (await mintDevToken(o)).token;
    assert.equal((await get('/members')).status, 401);
    // Access tokens carry client_id, no aud: an HTTP API checks client_id against the audience.
    const access = await mint({ cognito: 'access', pool: POOL, aud: ['UserPoolClient'] });
    const ok = await get('/members', access);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.authorizer.jwt.claims.client_id, 'UserPoolClient');
    assert.equal(ok.body.authorizer.jwt.claims.token_use, 'access');
    const id = await mint({ cognito: 'id', pool: POOL, aud: ['UserPoolClient'], groups: 'admins' });
    assert.equal((await get('/members', id)).status, 200);
    const otherClient = await mint({ cognito: 'access', pool: POOL, aud: ['SomeOtherClient'] });
    assert.equal((await get('/members', otherClient)).status, 401);
    // The development provider's own issuer stands for the pool's; the route's scope is checked.
    const iss = running.devProvider!.issuer;
    const scoped = await mint({
      cognito: 'access',
      iss,
      aud: ['UserPoolClient'],
      scope: 'pets/read',
    });
    assert.equal((await get('/members/orders', scoped)).status, 200);
    assert.equal((await get('/members/orders', access)).status, 403, 'no pets/read scope');
    const stranger = await mint({
      cognito: 'access',
      iss: 'https://elsewhere.example.com',
      aud: ['UserPoolClient'],
    });
    assert.equal((await get('/members', stranger)).status, 401);
  } finally {
    await running.close();
  }
});

test("the same authorizer with --cognito POOL=JWKS_URL: the pool's tokens are checked against that key set, not the development key", async () => {
  const key = generateKey('RS256');
  const jwks = await startJwksServer([key.jwk]);
  const { running } = await serveTemplate(poolVariant(), { cognito: [`${POOL}=${jwks.url}`] });
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(key, {
      iss: `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`,
      client_id: 'UserPoolClient',
      token_use: 'access',
      sub: 'u3',
      exp: now + 600,
    });
    const call = (t: string) =>
      fetch(`${running.url}/members`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal((await call(token)).status, 200);
    assert.ok(jwks.hits() >= 1);
    const devSigned = (
      await mintDevToken({ cognito: 'access', pool: POOL, aud: ['UserPoolClient'] })
    ).token;
    assert.equal((await call(devSigned)).status, 401);
  } finally {
    await running.close();
    await jwks.close();
  }
});
