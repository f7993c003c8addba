// Every x-amazon-apigateway-* setting is emulated or named in a start-up warning: `tollgate serve`
// prints one line per setting not emulated (with file:line:col), and still serves the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serve } from '../src/cli/serve-command.js';
import { EXTENSIONS, scanExtensions } from '../src/gateway/extensions.js';
import { parseApi } from '../src/gateway/openapi.js';
import { lambdaUri } from './support/apigw.js';
import { repoPath } from './support/paths.js';
import { fileIn, useTempHome } from './support/temp-home.js';

let dir: string;
useTempHome('tollgate-extensions-', (path) => (dir = path));

const file = fileIn(() => dir);

const DOC = `openapi: 3.0.1
info: { title: ext, version: '1' }
x-amazon-apigateway-policy:
  Version: '2012-10-17'
  Statement: [{ Effect: Deny, Principal: '*', Action: execute-api:Invoke, Resource: '*' }]
x-amazon-apigateway-endpoint-configuration: { types: [PRIVATE] }
x-amazon-apigateway-minimum-compression-size: 0
x-amazon-apigateway-cors: { allowOrigins: ['*'] }
x-amazon-apigateway-made-up: true
x-amazon-apigateway-documentation: { version: '1' }
paths:
  /items:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: '${lambdaUri('items')}'
        timeoutInMillis: 5000
        requestParamters: {}
  /other:
    get:
      x-amazon-apigateway-auth: { type: AWS_IAM }
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('items')}', timeoutInMillis: 1000 }
`;

test('serve names each setting it does not emulate, at its place, once, and still serves the API', async () => {
  const api = file('ext.yaml', DOC);
  const backend = file(
    'items.mjs',
    'export const handler = async () => ({ statusCode: 200, body: "items" });\n',
  );
  const lines: string[] = [];
  const running = await serve(
    { api, function: [`items=${backend}`], port: '0' },
    (line) => lines.push(line),
    () => {},
  );
  try {
    const warnings = lines.filter((l) => l.startsWith('tollgate: warning: '));
    const expect = (pattern: RegExp): void =>
      assert.ok(
        warnings.some((w) => pattern.test(w)),
        `${pattern} in:\n${warnings.join('\n')}`,
      );
    expect(
      /ext\.yaml:3:1: x-amazon-apigateway-policy is not emulated locally: the resource policy is not evaluated/,
    );
    expect(/ext\.yaml:6:1: x-amazon-apigateway-endpoint-configuration is not emulated locally/);
    expect(/ext\.yaml:7:1: x-amazon-apigateway-minimum-compression-size is not emulated locally/);
    expect(
      /ext\.yaml:8:1: x-amazon-apigateway-cors is an HTTP API setting; API Gateway ignores it in a REST API/,
    );
    expect(/ext\.yaml:9:1: x-amazon-apigateway-made-up is not an extension API Gateway documents/);
    expect(
      /ext\.yaml:18:9: x-amazon-apigateway-integration\.timeoutInMillis is not emulated locally: .*29 s.* \(and 1 more place\)$/,
    );
    expect(
      /ext\.yaml:19:9: x-amazon-apigateway-integration\.requestParamters is not a field API Gateway documents/,
    );
    expect(/ext\.yaml:22:7: x-amazon-apigateway-auth is not emulated locally: AWS_IAM/);
    assert.equal(
      warnings.filter((w) => w.includes('timeoutInMillis')).length,
      1,
      'one warning per setting, however often it appears',
    );
    assert.ok(
      !warnings.some((w) => /documentation|any-method/.test(w)),
      'documentation has no effect on requests: nothing to warn about',
    );
    assert.equal(
      (await fetch(`${running.url}/items`)).status,
      200,
      'the API is served despite the warnings',
    );
  } finally {
    await running.close();
  }
});

test('the PetStore example uses only emulated settings: no warnings', () => {
  const path = repoPath('examples', 'petstore.openapi.yaml');
  assert.deepEqual(parseApi(readFileSync(path, 'utf8'), path).warnings, []);
});

test('the registry covers every extension AWS documents', () => {
  // AWS's list ("OpenAPI extensions for API Gateway"), current at the time of writing.
  const documented = [
    'any-method',
    'cors',
    'api-key-source',
    'auth',
    'authorizer',
    'authtype',
    'binary-media-types',
    'documentation',
    'endpoint-access-mode',
    'endpoint-configuration',
    'gateway-responses',
    'importexport-version',
    'integration',
    'integrations',
    'minimum-compression-size',
    'policy',
    'request-validator',
    'request-validators',
    'security-policy',
    'tag-value',
  ].map((n) => `x-amazon-apigateway-${n}`);
  for (const name of documented) assert.ok(EXTENSIONS[name], `${name} has an entry`);
  for (const [name, info] of Object.entries(EXTENSIONS))
    assert.ok(info.note.length > 10, `${name} says how or why`);
  // Settings inside schemas are user data, not extensions.
  assert.deepEqual(
    scanExtensions({ components: { schemas: { A: { 'x-amazon-apigateway-policy': 1 } } } }, 'rest'),
    [],
  );
});
