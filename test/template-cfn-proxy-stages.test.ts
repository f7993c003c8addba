// tollgate serve --template on plain CloudFormation (the shapes `cdk synth` writes): HTTP_PROXY
// integrations of a REST API's Method and of an HTTP API's Integration (and an HTTP API quick
// create with a URL Target) forward to a real upstream server on 127.0.0.1, behind the template's
// authorizers; and a REST API with several stages serves one and names each other in a warning.
// Every template here passes cfn-lint (templateVariant).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadTemplate } from '../src/template/load-template.js';
import { serveTemplate } from './support/serve-template.js';
import {
  httpApiPart,
  integrationTarget,
  templateVariant,
  type Template,
} from './support/template-variant.js';
import { repoPath } from './support/paths.js';
import { useTempHome } from './support/temp-home.js';

const SAM_DIR = repoPath('test/fixtures/sam');
const REST = join(SAM_DIR, 'cdk-rest.template.json');
const HTTP = join(SAM_DIR, 'cdk-http.template.json');

let dir: string;
useTempHome('tollgate-cfn-proxy-', (path) => (dir = path));

interface Seen {
  method: string;
  url: string;
  body: string;
  via: string | undefined;
}

let upstream: Server;
let upstreamUrl: string;
before(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: Seen = {
        method: req.method!,
        url: req.url!,
        body: Buffer.concat(chunks).toString('utf8'),
        via: req.headers['x-trace'] as string | undefined,
      };
      res.writeHead(207, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify(seen));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

const upstreamParameter = (t: Template): void => {
  t.Parameters = { ...t.Parameters, UpstreamUrl: { Type: 'String', Default: 'https://x.example' } };
};
const uri = (path: string): unknown => ({ 'Fn::Join': ['', [{ Ref: 'UpstreamUrl' }, path]] });

test('a REST Method with an HTTP_PROXY integration (as CDK writes HttpIntegration): behind the TOKEN authorizer, the method, path parameter, query string, headers and body reach the upstream, its status and headers come back', async () => {
  const path = templateVariant(REST, dir, 'rest-proxy.template.json', (t) => {
    upstreamParameter(t);
    const api = { Ref: 'PetsApi' };
    t.Resources.PetsApiup = {
      Type: 'AWS::ApiGateway::Resource',
      Properties: {
        ParentId: { 'Fn::GetAtt': ['PetsApi', 'RootResourceId'] },
        PathPart: 'up',
        RestApiId: api,
      },
    };
    t.Resources.PetsApiupId = {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { Ref: 'PetsApiup' }, PathPart: '{petId}', RestApiId: api },
    };
    t.Resources.PetsApiupIdANY = {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'ANY',
        ResourceId: { Ref: 'PetsApiupId' },
        RestApiId: api,
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: 'TokenAuthorizer' },
        RequestParameters: { 'method.request.path.petId': true },
        Integration: {
          Type: 'HTTP_PROXY',
          IntegrationHttpMethod: 'ANY',
          Uri: uri('/pets/{petId}'),
          RequestParameters: { 'integration.request.path.petId': 'method.request.path.petId' },
        },
      },
    };
  });
  const { running, lines } = await serveTemplate(path, {
    'parameter-overrides': [`UpstreamUrl=${upstreamUrl}`],
  });
  try {
    const call = (token?: string): Promise<Response> =>
      fetch(`${running.url}/prod/up/7?color=red`, {
        method: 'PUT',
        headers: { 'x-trace': 't1', ...(token ? { authorization: token } : {}) },
        body: '{"name":"rex"}',
      });
    const refused = await call();
    assert.equal(refused.status, 401);
    assert.deepEqual(await refused.json(), { error: 'who are you' });
    assert.equal((await call('Bearer deny')).status, 403);
    const ok = await call('Bearer allow');
    assert.equal(ok.status, 207);
    assert.equal(ok.headers.get('x-upstream'), 'yes');
    assert.deepEqual((await ok.json()) as Seen, {
      method: 'PUT',
      url: '/pets/7?color=red',
      body: '{"name":"rex"}',
      via: 't1',
    });
    assert.ok(!lines.some((l) => /warning/.test(l)), lines.join('\n'));
  } finally {
    await running.close();
  }
});

test('an HTTP API Integration of type HTTP_PROXY behind a Lambda authorizer, and quick create with a URL Target: forwarded to the upstream', async () => {
  const path = templateVariant(HTTP, dir, 'http-proxy.template.json', (t) => {
    upstreamParameter(t);
    t.Resources.UpstreamIntegration = httpApiPart('Integration', {
      IntegrationType: 'HTTP_PROXY',
      IntegrationMethod: 'POST',
      IntegrationUri: uri('/orders/{id}'),
      PayloadFormatVersion: '1.0',
    });
    t.Resources.UpstreamRoute = httpApiPart('Route', {
      RouteKey: 'PUT /orders/{id}',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: 'SimpleAuthorizer' },
      Target: integrationTarget('UpstreamIntegration'),
    });
  });
  const { running } = await serveTemplate(path, {
    'parameter-overrides': [`UpstreamUrl=${upstreamUrl}`],
  });
  try {
    const call = (key: string): Promise<Response> =>
      fetch(`${running.url}/orders/42?x=1`, {
        method: 'PUT',
        headers: { 'x-key': key, 'x-trace': 't2' },
        body: 'hello',
      });
    assert.equal((await call('nope')).status, 403);
    const ok = await call('allow');
    assert.equal(ok.status, 207);
    // IntegrationMethod POST: the upstream is called with POST whatever the route's method.
    assert.deepEqual((await ok.json()) as Seen, {
      method: 'POST',
      url: '/orders/42?x=1',
      body: 'hello',
      via: 't2',
    });
  } finally {
    await running.close();
  }

  const quick = templateVariant(HTTP, dir, 'http-quick-url.template.json', (t) => {
    for (const [id, r] of Object.entries(t.Resources))
      if (r.Type.startsWith('AWS::ApiGatewayV2::') && id !== 'PetsHttpApi') delete t.Resources[id];
    delete t.Parameters.IssuerUrl;
    upstreamParameter(t);
    t.Resources.PetsHttpApi!.Properties = {
      Name: 'quick-url',
      ProtocolType: 'HTTP',
      Target: uri('/anything'),
    };
  });
  const served = await serveTemplate(quick, {
    'parameter-overrides': [`UpstreamUrl=${upstreamUrl}`],
  });
  try {
    const any = await fetch(`${served.running.url}/some/path`, { method: 'DELETE' });
    assert.equal(any.status, 207);
    const seen = (await any.json()) as Seen;
    assert.deepEqual([seen.method, seen.url], ['DELETE', '/anything']);
  } finally {
    await served.running.close();
  }
});

test('a REST API with several stages (Stage resources, a Deployment with its own StageName): the first is served, each other is named in a warning, as are MethodSettings', async () => {
  const path = templateVariant(REST, dir, 'rest-stages.template.json', (t) => {
    t.Resources.PetsApiStage!.Properties.MethodSettings = [
      { HttpMethod: '*', ResourcePath: '/*', ThrottlingBurstLimit: 5, ThrottlingRateLimit: 5 },
    ];
    t.Resources.BetaStage = {
      Type: 'AWS::ApiGateway::Stage',
      Properties: {
        RestApiId: { Ref: 'PetsApi' },
        DeploymentId: { Ref: 'PetsApiDeployment' },
        StageName: 'beta',
        Variables: { tier: 'tin' },
      },
    };
    t.Resources.PetsApiDeployment!.Properties.StageName = 'old';
  });
  const said = loadTemplate(path).warningLines.join('\n');
  assert.match(
    said,
    /rest-stages\.template\.json:\d+:\d+: Resources\.BetaStage \(stage beta\) is not served: the local gateway serves one stage, prod \(Resources\.PetsApiStage\); usage plans of beta do not apply/,
  );
  assert.match(
    said,
    /Resources\.PetsApiDeployment\.Properties\.StageName \(stage old\) is not served/,
  );
  assert.match(said, /Resources\.PetsApiStage\.Properties\.MethodSettings is not emulated/);
  const { running } = await serveTemplate(path);
  try {
    const ok = await fetch(`${running.url}/prod/pets`, {
      headers: { authorization: 'Bearer allow' },
    });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { stage: string; stageVariables: unknown };
    assert.deepEqual([body.stage, body.stageVariables], ['prod', { tier: 'bronze' }]);
  } finally {
    await running.close();
  }

  // A Deployment's StageName alone (no Stage resource) is the stage, its variables from StageDescription.
  const deployed = templateVariant(REST, dir, 'rest-deployment-stage.template.json', (t) => {
    delete t.Resources.PetsApiStage;
    t.Resources.PetsUsagePlan!.Properties.ApiStages = [{ ApiId: { Ref: 'PetsApi' }, Stage: 'old' }];
    (t.Resources.PetsUsagePlan as { DependsOn?: string[] }).DependsOn = ['PetsApiDeployment'];
    Object.assign(t.Resources.PetsApiDeployment!.Properties, {
      StageName: 'old',
      StageDescription: { Variables: { tier: 'copper' } },
    });
  });
  const app = loadTemplate(deployed);
  assert.deepEqual([app.api!.stageName, app.api!.stageVariables], ['old', { tier: 'copper' }]);
  assert.doesNotMatch(app.warningLines.join('\n'), /stage/);
});

test('a REST Method with a non-proxy HTTP integration is refused at its own line, naming what the local gateway runs instead', () => {
  const path = templateVariant(REST, dir, 'rest-http.template.json', (t) => {
    t.Resources.PetsApipetsIdGET!.Properties.Integration = {
      Type: 'HTTP',
      IntegrationHttpMethod: 'GET',
      Uri: 'https://upstream.example/pets/{id}',
      IntegrationResponses: [{ StatusCode: '200' }],
    };
  });
  assert.throws(
    () => loadTemplate(path, {}),
    /rest-http\.template\.json:\d+:\d+: Resources\.PetsApipetsIdGET\.Properties\.Integration\.Type HTTP \(an HTTP integration with mapping templates\) is not supported by the local gateway yet: HTTP_PROXY, AWS_PROXY, AWS and MOCK are/,
  );
});

test('a REST API given by its Body alone (Swagger with x-amazon-apigateway-* as CloudFormation imports it): its TOKEN authorizer, an open route and the stage are served', async () => {
  const lambdaUri = (fn: string) => ({
    'Fn::Sub': `arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${fn}.Arn}/invocations`,
  });
  const proxy = { type: 'aws_proxy', httpMethod: 'POST', uri: lambdaUri('PetsFunction') };
  const path = templateVariant(REST, dir, 'rest-body.template.json', (t) => {
    const parts = /^AWS::ApiGateway::(Resource|Method|Authorizer|UsagePlan|UsagePlanKey|ApiKey)$/;
    for (const [id, r] of Object.entries(t.Resources))
      if (parts.test(r.Type)) delete t.Resources[id];
    // What named the removed parts (cfn-lint checks every variant); a Body leaves responses to itself.
    delete t.Resources.UnauthorizedResponse;
    delete t.Resources.AuthorizerPermission;
    delete (t.Resources.PetsApiDeployment as { DependsOn?: unknown }).DependsOn;
    t.Resources.PetsApi!.Properties = {
      Name: 'pets-body',
      Body: {
        swagger: '2.0',
        info: { title: 'pets-body', version: '1' },
        securityDefinitions: {
          tok: {
            type: 'apiKey',
            name: 'Authorization',
            in: 'header',
            'x-amazon-apigateway-authtype': 'custom',
            'x-amazon-apigateway-authorizer': {
              type: 'token',
              authorizerUri: lambdaUri('AuthorizerFunction'),
              authorizerResultTtlInSeconds: 0,
            },
          },
        },
        paths: {
          '/pets': { get: { security: [{ tok: [] }], 'x-amazon-apigateway-integration': proxy } },
          '/open': { get: { 'x-amazon-apigateway-integration': proxy } },
        },
      },
    };
  });
  const { running, lines } = await serveTemplate(path);
  try {
    const get = (p: string, headers: Record<string, string> = {}) =>
      fetch(`${running.url}${p}`, { headers });
    const open = await get('/open');
    assert.equal(open.status, 200);
    assert.equal(((await open.json()) as { stage: string }).stage, 'prod');
    assert.equal((await get('/pets')).status, 401);
    assert.equal((await get('/pets', { authorization: 'Bearer deny' })).status, 403);
    assert.equal((await get('/pets', { authorization: 'Bearer allow' })).status, 200);
    assert.equal(
      (await get('/pets/1')).status,
      403,
      'no such route in the Body: Missing Authentication Token',
    );
    assert.ok(!lines.some((l) => /error/i.test(l)), lines.join('\n'));
  } finally {
    await running.close();
  }
});
