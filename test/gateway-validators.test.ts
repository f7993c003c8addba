// Request validators over real HTTP on 127.0.0.1, on AWS's own sample ("OpenAPI definitions of a
// sample API with basic request validation"): required parameters, the body against its draft-04
// model (OpenAPI 3 and Swagger 2.0), AWS's 400 bodies, and validation after the authorizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiDocumentError, parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { lambdaUri } from './support/apigw.js';
import { gatewayStarter } from './support/gateway-server.js';

const proxy = `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('backend')}' }`;

const OPENAPI = `
openapi: 3.0.1
info: { title: ReqValidation Sample, version: '1.0.0' }
x-amazon-apigateway-request-validators:
  all: { validateRequestBody: true, validateRequestParameters: true }
  params-only: { validateRequestBody: false, validateRequestParameters: true }
x-amazon-apigateway-request-validator: params-only
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer: { type: token, authorizerUri: '${lambdaUri('auth')}', authorizerResultTtlInSeconds: 0 }
  parameters:
    h1: { name: h1, in: header, required: true, schema: { type: string } }
  schemas:
    PetType: { type: string, enum: [dog, cat, fish] }
    RequestDataModel:
      type: object
      required: [name, type, price]
      properties:
        name: { type: string }
        type: { $ref: '#/components/schemas/PetType' }
        price: { type: number, minimum: 25, maximum: 500 }
paths:
  /validation:
    get:
      parameters:
        - { name: q1, in: query, required: true, schema: { type: string } }
        - { name: q2, in: query, required: false, schema: { type: string } }
      ${proxy}
    post:
      x-amazon-apigateway-request-validator: all
      parameters:
        - $ref: '#/components/parameters/h1'
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/RequestDataModel' }
      ${proxy}
  /guarded/{id}:
    post:
      security: [{ auth: [] }]
      x-amazon-apigateway-request-validator: all
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
        - { name: x-token, in: header, required: true, schema: { type: string } }
      requestBody:
        content:
          application/json: { schema: { $ref: '#/components/schemas/RequestDataModel' } }
      ${proxy}
  /free:
    post:
      x-amazon-apigateway-request-validator: all
      ${proxy}
`;

// The same API as Swagger 2.0: a body parameter, definitions, consumes.
const SWAGGER = `
swagger: '2.0'
info: { title: ReqValidation Sample, version: '1.0.0' }
consumes: [application/json]
x-amazon-apigateway-request-validators:
  all: { validateRequestBody: true, validateRequestParameters: true }
definitions:
  RequestDataModel:
    type: object
    required: [name, type, price]
    properties:
      name: { type: string }
      type: { type: string, enum: [dog, cat, fish] }
      price: { type: number, minimum: 25, maximum: 500, exclusiveMaximum: true }
paths:
  /validation:
    post:
      x-amazon-apigateway-request-validator: all
      parameters:
        - { name: h1, in: header, required: true, type: string }
        - { name: body, in: body, required: true, schema: { $ref: '#/definitions/RequestDataModel' } }
      ${proxy}
`;

let backendCalls = 0;
let authCalls = 0;
const backend: LambdaHandler = (async (event: { body: string | null }) => {
  backendCalls++;
  return { statusCode: 200, body: JSON.stringify({ got: event.body }) };
}) as LambdaHandler;
const auth: LambdaHandler = (async (event: { authorizationToken: string }) => {
  authCalls++;
  if (event.authorizationToken !== 'ok') throw new Error('Unauthorized');
  return {
    principalId: 'u',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }],
    },
  };
}) as LambdaHandler;

const start = gatewayStarter({ backend, auth });

const json = { 'content-type': 'application/json' };
const marco = JSON.stringify({ name: 'Marco', type: 'dog', price: 260 });

async function expect400(res: Response, body: string): Promise<void> {
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-amzn-errortype'), 'BadRequestException');
  assert.equal(await res.text(), body);
}

test("required query parameters: present and non-blank, as the guide's GET /validation shows", async () => {
  const url = await start(OPENAPI);
  assert.equal((await fetch(`${url}/validation?q1=cat`)).status, 200);
  await expect400(
    await fetch(`${url}/validation`),
    '{"message": "Missing required request parameters: [q1]"}',
  );
  await expect400(
    await fetch(`${url}/validation?q1=`),
    '{"message": "Missing required request parameters: [q1]"}',
  );
});

test("a required header and the body model, as the guide's POST /validation shows", async () => {
  const url = await start(OPENAPI);
  backendCalls = 0;
  const ok = await fetch(`${url}/validation`, {
    method: 'POST',
    headers: { ...json, h1: 'v1' },
    body: marco,
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { got: marco }, 'the integration gets the body as sent');
  await expect400(
    await fetch(`${url}/validation`, { method: 'POST', headers: json, body: marco }),
    '{"message": "Missing required request parameters: [h1]"}',
  );
  await expect400(
    await fetch(`${url}/validation`, {
      method: 'POST',
      headers: { ...json, h1: ' ' },
      body: marco,
    }),
    '{"message": "Missing required request parameters: [h1]"}',
  );
  for (const bad of [
    { name: 'Molly', type: 'bird', price: 269 },
    { name: 'Molly', type: 'dog', price: 501 },
    { name: 'Molly' },
  ]) {
    await expect400(
      await fetch(`${url}/validation`, {
        method: 'POST',
        headers: { ...json, h1: 'v1' },
        body: JSON.stringify(bad),
      }),
      '{"message": "Invalid request body"}',
    );
  }
  await expect400(
    await fetch(`${url}/validation`, {
      method: 'POST',
      headers: { ...json, h1: 'v1' },
      body: '{not json',
    }),
    '{"message": "Invalid request body"}',
  );
  assert.equal(backendCalls, 1, 'refused requests never reach the integration');
  // No model for the request's content type: nothing to validate the body against.
  assert.equal(
    (
      await fetch(`${url}/validation`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', h1: 'v1' },
        body: 'free text',
      })
    ).status,
    200,
  );
});

test('validation happens after the authorizer: no token is 401, not 400; every missing parameter is named', async () => {
  const url = await start(OPENAPI);
  authCalls = 0;
  const anonymous = await fetch(`${url}/guarded/7`, { method: 'POST', headers: json, body: '{}' });
  assert.equal(anonymous.status, 401);
  const refused = await fetch(`${url}/guarded/7`, {
    method: 'POST',
    headers: { ...json, authorization: 'ok' },
    body: marco,
  });
  assert.equal(authCalls, 1, 'the authorizer ran before validation refused the request');
  await expect400(refused, '{"message": "Missing required request parameters: [x-token]"}');
  const url2 = await start(
    OPENAPI.replace(
      '- { name: x-token, in: header, required: true, schema: { type: string } }',
      '- { name: x-token, in: header, required: true, schema: { type: string } }\n        - { name: q, in: query, required: true, schema: { type: string } }',
    ),
  );
  await expect400(
    await fetch(`${url2}/guarded/7`, {
      method: 'POST',
      headers: { ...json, authorization: 'ok' },
      body: marco,
    }),
    '{"message": "Missing required request parameters: [x-token, q]"}',
  );
});

test('a method without parameters or a body model passes its validator', async () => {
  const url = await start(OPENAPI);
  assert.equal((await fetch(`${url}/free`, { method: 'POST', body: 'anything' })).status, 200);
});

test('Swagger 2.0: a body parameter with a definitions model, draft-04 exclusiveMaximum', async () => {
  const url = await start(SWAGGER);
  assert.equal(
    (
      await fetch(`${url}/validation`, {
        method: 'POST',
        headers: { ...json, h1: 'v1' },
        body: marco,
      })
    ).status,
    200,
  );
  await expect400(
    await fetch(`${url}/validation`, {
      method: 'POST',
      headers: { ...json, h1: 'v1' },
      body: JSON.stringify({ name: 'M', type: 'cat', price: 500 }),
    }),
    '{"message": "Invalid request body"}',
  );
  // No Content-Type (bytes: fetch adds none): validated as application/json, as API Gateway assumes.
  await expect400(
    await fetch(`${url}/validation`, {
      method: 'POST',
      headers: { h1: 'v1' },
      body: new TextEncoder().encode(JSON.stringify({ name: 'M' })),
    }),
    '{"message": "Invalid request body"}',
  );
});

test('BAD_REQUEST_BODY is a gateway response: its template reads $context.error.validationErrorString', async () => {
  const custom = OPENAPI.replace(
    'components:\n',
    `x-amazon-apigateway-gateway-responses:\n  BAD_REQUEST_BODY:\n    responseTemplates:\n      application/json: '{"error":$context.error.messageString,"why":"$util.escapeJavaScript($context.error.validationErrorString)"}'\n  BAD_REQUEST_PARAMETERS:\n    statusCode: 422\ncomponents:\n`,
  );
  const url = await start(
    custom.replace(
      '$util.escapeJavaScript($context.error.validationErrorString)',
      '$context.error.validationErrorString',
    ),
  );
  const res = await fetch(`${url}/validation`, {
    method: 'POST',
    headers: { ...json, h1: 'v1' },
    body: JSON.stringify({ name: 'Molly', type: 'bird', price: 269 }),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: string; why: string };
  assert.equal(body.error, 'Invalid request body');
  assert.match(body.why, /\/type must be equal to one of the allowed values/);
  const params = await fetch(`${url}/validation`);
  assert.equal(params.status, 422);
  assert.equal(await params.text(), '{"message": "Missing required request parameters: [q1]"}');
});

test('an undefined validator name stops the start with its place; validators in an HTTP API are warned about', () => {
  const bad = OPENAPI.replace(
    'x-amazon-apigateway-request-validator: all\n      parameters:\n        - $ref',
    'x-amazon-apigateway-request-validator: everything\n      parameters:\n        - $ref',
  );
  assert.throws(
    () => parseApi(bad, 'api.yaml'),
    (e: unknown) =>
      e instanceof ApiDocumentError &&
      /request-validator"\] must name a validator of x-amazon-apigateway-request-validators \(all, params-only\)/.test(
        e.message,
      ) &&
      e.line > 0,
  );
  const typo = parseApi(
    OPENAPI.replace(
      'params-only: { validateRequestBody: false, validateRequestParameters: true }',
      'params-only: { validateRequestBody: false, validateRequestParameters: true, validateRequestBdy: true }',
    ),
    'api.yaml',
  );
  assert.match(
    (typo.warnings ?? []).map((w) => w.text).join('\n'),
    /api\.yaml:6:\d+: x-amazon-apigateway-request-validators\.params-only\.validateRequestBdy is not a field API Gateway documents/,
  );
  const http = `openapi: 3.0.1\ninfo: { title: h, version: '1' }\nx-amazon-apigateway-importexport-version: '1.0'\nx-amazon-apigateway-request-validators: { all: { validateRequestBody: true } }\npaths:\n  /a:\n    get:\n      ${proxy}\n`;
  assert.match(
    (parseApi(http, 'http.yaml').warnings ?? []).map((w) => w.text).join('\n'),
    /x-amazon-apigateway-request-validators is a REST API setting/,
  );
});
