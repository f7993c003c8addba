// Binary media types over real HTTP on 127.0.0.1: a REST API's x-amazon-apigateway-binary-media-types
// decide which request bodies a Lambda proxy function gets base64-encoded and which base64 answers
// the client gets as bytes (the first Accept type); an HTTP API does both on its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer, type GatewayServer } from '../src/gateway/server.js';
import { ApiDocumentError, parseApi } from '../src/gateway/openapi.js';
import type { LambdaHandler } from '../src/gateway/invoke.js';
import { lambdaUri } from './support/apigw.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const restDoc = (types: string): string => `
openapi: 3.0.1
info: { title: binary, version: '1' }
x-amazon-apigateway-binary-media-types: ${types}
paths:
  /echo:
    post:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('echo')}' }
  /image:
    get:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('image')}' }
`;

const httpDoc = `
openapi: 3.0.1
info: { title: binary-http, version: '1' }
x-amazon-apigateway-importexport-version: '1.0'
paths:
  /echo:
    post:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('echo')}', payloadFormatVersion: '2.0' }
  /image:
    get:
      x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri('image')}', payloadFormatVersion: '2.0' }
`;

const events: Record<string, unknown>[] = [];
/** Sends back exactly what it received, with the event's isBase64Encoded. */
const echo: LambdaHandler = async (event: Record<string, unknown>) => {
  events.push(event);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/octet-stream' },
    body: event.body ?? '',
    isBase64Encoded: event.isBase64Encoded,
  };
};
/** A PNG-typed answer: the 256 bytes, base64-encoded. */
const image: LambdaHandler = async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'image/png' },
  body: ALL_BYTES.toString('base64'),
  isBase64Encoded: true,
});

interface Running {
  server: GatewayServer;
  url: string;
}
const servers: Running[] = [];

async function start(doc: string): Promise<string> {
  const gateway = createGateway({
    api: parseApi(doc, 'binary.yaml'),
    functions: new Map([
      ['echo', echo],
      ['image', image],
    ]),
    log: () => {},
  });
  const server = createGatewayServer(gateway);
  const { url } = await server.listen(0, '127.0.0.1');
  servers.push({ server, url });
  return url;
}

let rest: string;
let restAll: string;
let restNone: string;
let http: string;
before(async () => {
  rest = await start(restDoc('[image/*, application/octet-stream]'));
  restAll = await start(restDoc("['*/*']"));
  restNone = await start(restDoc('[]'));
  http = await start(httpDoc);
});
after(() => Promise.all(servers.map((s) => s.server.close())));

async function send(
  url: string,
  path: string,
  init: { method?: string; body?: Buffer | string; headers?: Record<string, string> },
): Promise<{ status: number; bytes: Buffer; event: Record<string, unknown> | undefined }> {
  events.length = 0;
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'POST',
    body: init.body,
    headers: init.headers,
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), event: events[0] };
}

test('REST: all 256 byte values reach the function base64-encoded and come back as the same bytes', async () => {
  const r = await send(rest, '/echo', {
    body: ALL_BYTES,
    headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' },
  });
  assert.equal(r.status, 200);
  assert.equal(r.event?.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(String(r.event?.body), 'base64'), ALL_BYTES);
  assert.deepEqual(r.bytes, ALL_BYTES);
});

test('REST: a wildcard binary type (image/*) matches image/png with parameters', async () => {
  const r = await send(rest, '/echo', {
    body: ALL_BYTES,
    headers: { 'content-type': 'image/png; charset=binary', accept: 'image/png' },
  });
  assert.equal(r.event?.isBase64Encoded, true);
  assert.deepEqual(r.bytes, ALL_BYTES);
});

test('REST: a text body stays text', async () => {
  const r = await send(rest, '/echo', {
    body: '{"name":"rex é"}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.event?.isBase64Encoded, false);
  assert.equal(r.event?.body, '{"name":"rex é"}');
});

test('REST: a base64 answer is decoded only when the first Accept type is binary; otherwise the client gets the base64 text', async () => {
  const binary = await send(rest, '/image', {
    method: 'GET',
    headers: { accept: 'image/png, application/json' },
  });
  assert.deepEqual(binary.bytes, ALL_BYTES);
  const text = await send(rest, '/image', {
    method: 'GET',
    headers: { accept: 'application/json, image/png' },
  });
  assert.equal(text.bytes.toString('utf8'), ALL_BYTES.toString('base64'));
  const anyType = await send(rest, '/image', { method: 'GET', headers: { accept: '*/*' } });
  assert.equal(
    anyType.bytes.toString('utf8'),
    ALL_BYTES.toString('base64'),
    '*/* is not a binary type of this API',
  );
});

test("REST: without an Accept header the answer's Content-Type decides", async () => {
  const r = await send(rest, '/image', { method: 'GET', headers: { accept: '' } });
  assert.deepEqual(r.bytes, ALL_BYTES);
});

test('REST: binary media type */* makes every body and answer binary', async () => {
  const r = await send(restAll, '/echo', {
    body: 'plain text',
    headers: { 'content-type': 'text/plain', accept: 'text/html' },
  });
  assert.equal(r.event?.isBase64Encoded, true);
  assert.equal(r.event?.body, Buffer.from('plain text').toString('base64'));
  assert.equal(r.bytes.toString('utf8'), 'plain text');
});

test('REST: without binary media types a binary body is passed as text, as API Gateway does', async () => {
  const r = await send(restNone, '/echo', {
    body: ALL_BYTES,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.event?.isBase64Encoded, false);
  assert.notDeepEqual(Buffer.from(String(r.event?.body), 'utf8'), ALL_BYTES);
});

test('HTTP API: binary bodies are base64-encoded, text bodies are not, base64 answers are always decoded', async () => {
  const bin = await send(http, '/echo', {
    body: ALL_BYTES,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(bin.event?.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(String(bin.event?.body), 'base64'), ALL_BYTES);
  assert.deepEqual(bin.bytes, ALL_BYTES);
  const json = await send(http, '/echo', {
    body: '{"a":1}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(json.event?.isBase64Encoded, false);
  assert.equal(json.event?.body, '{"a":1}');
  const invalidUtf8 = await send(http, '/echo', {
    body: Buffer.from([0xff, 0xfe, 0x00]),
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(invalidUtf8.event?.isBase64Encoded, true);
  const img = await send(http, '/image', {
    method: 'GET',
    headers: { accept: 'application/json' },
  });
  assert.deepEqual(img.bytes, ALL_BYTES);
});

test('a malformed binary media type is refused at load with its position', () => {
  assert.throws(
    () => parseApi(restDoc('[png]'), 'bad.yaml'),
    (e: unknown) =>
      e instanceof ApiDocumentError && /binary-media-types.*media type/.test(e.message),
  );
  assert.deepEqual(parseApi(restDoc("['image~1png']"), 'ok.yaml').binaryMediaTypes, ['image/png']);
});
