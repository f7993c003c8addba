// The integrations a local API serves: a local Lambda (aws_proxy), a URL (http_proxy), and the
// mapped ones (mock and aws, in mapped-integrations.ts). Each returns a response, never throws.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  LOCAL_API,
  proxyEvent,
  proxyEventV1Http,
  proxyEventV2,
  type AuthorizerDelivery,
  type HttpAuthorizerDelivery,
  type HttpView,
  type RequestView,
} from './events.js';
import { decodesAnswer, proxyRequestBody } from './binary.js';
import { invoke, type LambdaHandler } from './invoke.js';
import { runMapped } from './mapped-integrations.js';
import type { Integration } from './openapi.js';
import { gatewayResponse, type GatewayResponse } from './responses.js';

export interface IntegrationDeps {
  readonly functions: ReadonlyMap<string, LambdaHandler>;
  /** API Gateway's integration timeout: 29 s by default. */
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly flavour: 'rest' | 'http';
  /** REST: the API's binary media types (x-amazon-apigateway-binary-media-types). */
  readonly binaryMediaTypes: readonly string[];
}

/** What the authorizer hands the integration: REST's stringified context, or an HTTP API's delivery with the v2 view. */
export type Delivery =
  | { readonly authorizer: AuthorizerDelivery | undefined }
  | { readonly http: HttpView; readonly authorizer: HttpAuthorizerDelivery | undefined };

export interface IntegrationResult {
  readonly response: GatewayResponse;
  /** Why the integration failed, for the access log. */
  readonly error: string | undefined;
  /** Set when the answer is the gateway's own (a failure), so the API's gateway responses can customise it. */
  readonly failure?: IntegrationFailure;
  /** Replaces the failure's default message (e.g. why a body is not JSON). */
  readonly message?: string;
}

export type IntegrationFailure =
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'API_CONFIGURATION_ERROR'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BAD_REQUEST_BODY';

export function runIntegration(
  integration: Integration,
  view: RequestView,
  body: Buffer | undefined,
  delivery: Delivery,
  deps: IntegrationDeps,
): Promise<IntegrationResult> {
  switch (integration.type) {
    case 'mock':
    case 'aws':
      return runMapped(
        integration,
        view,
        body,
        'http' in delivery ? undefined : delivery.authorizer,
        deps,
      );
    case 'aws_proxy':
      return lambdaProxy(
        integration.functionName,
        integration.payloadFormatVersion,
        view,
        body,
        delivery,
        deps,
      );
    case 'http_proxy':
      return httpProxy(integration.uri, integration.httpMethod, view, body, deps);
  }
}

type Failure = (
  error: string,
  type?: 'INTEGRATION_FAILURE' | 'INTEGRATION_TIMEOUT',
) => IntegrationResult;

const failureFor =
  (view: RequestView, flavour: 'rest' | 'http'): Failure =>
  (error, type = 'INTEGRATION_FAILURE') => ({
    response: gatewayResponse(type, view.requestId, flavour),
    error,
    failure: type,
  });

async function lambdaProxy(
  name: string,
  version: '1.0' | '2.0',
  view: RequestView,
  body: Buffer | undefined,
  delivery: Delivery,
  deps: IntegrationDeps,
): Promise<IntegrationResult> {
  const failure = failureFor(view, deps.flavour);
  const handler = deps.functions.get(name);
  if (!handler) return failure(`no local function named ${name}`);
  const payload = proxyRequestBody(
    body,
    view.multiValueHeaders,
    deps.flavour,
    deps.binaryMediaTypes,
  );
  const event = !('http' in delivery)
    ? proxyEvent(view, payload, delivery.authorizer)
    : version === '2.0'
      ? proxyEventV2(view, delivery.http, payload, delivery.authorizer)
      : proxyEventV1Http(view, payload, delivery.authorizer);
  const result = await invoke(handler, event, {
    functionName: name,
    requestId: view.requestId,
    timeoutMs: deps.timeoutMs,
    now: deps.now,
    region: LOCAL_API.region,
    account: LOCAL_API.account,
  });
  if (result.kind === 'timeout')
    return failure(`${name} gave no answer within ${deps.timeoutMs} ms`, 'INTEGRATION_TIMEOUT');
  if (result.kind === 'error') return failure(`${name} failed: ${result.message.slice(0, 300)}`);
  const decode = (contentType: string | undefined): boolean =>
    decodesAnswer(deps.flavour, view.multiValueHeaders, contentType, deps.binaryMediaTypes);
  return 'http' in delivery && version === '2.0'
    ? proxyResponseV2(result.value, view, name, failure, decode)
    : proxyResponse(result.value, view, name, failure, decode);
}

/** Whether an answer with isBase64Encoded goes to the client as bytes, given the answer's Content-Type. */
type Decode = (contentType: string | undefined) => boolean;

/**
 * A payload 2.0 answer: an object with statusCode is a full response (with `cookies`); anything else
 * is the body of a 200 JSON response, as API Gateway infers it.
 */
function proxyResponseV2(
  value: unknown,
  view: RequestView,
  name: string,
  failure: Failure,
  decode: Decode,
): IntegrationResult {
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'statusCode' in value
  ) {
    const r = value as Record<string, unknown>;
    const out = proxyResponse(r, view, name, failure, decode);
    if (out.error !== undefined || r.cookies === undefined) return out;
    if (!Array.isArray(r.cookies) || !r.cookies.every((c) => typeof c === 'string'))
      return failure(
        `${name} returned a malformed proxy response: cookies is not a list of strings`,
      );
    return {
      ...out,
      response: { ...out.response, headers: { ...out.response.headers, 'set-cookie': r.cookies } },
    };
  }
  const body = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return {
    response: {
      status: 200,
      headers: { 'content-type': 'application/json', 'apigw-requestid': view.requestId },
      body,
    },
    error: undefined,
  };
}

const scalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** A Lambda proxy answer: `{ statusCode, headers?, multiValueHeaders?, body?, isBase64Encoded? }`; anything else is a 502. */
function proxyResponse(
  value: unknown,
  view: RequestView,
  name: string,
  failure: Failure,
  decode: Decode,
): IntegrationResult {
  const bad = (why: string): IntegrationResult =>
    failure(`${name} returned a malformed proxy response: ${why}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return bad('not an object');
  const r = value as Record<string, unknown>;
  if (
    typeof r.statusCode !== 'number' ||
    !Number.isInteger(r.statusCode) ||
    r.statusCode < 100 ||
    r.statusCode > 599
  )
    return bad('statusCode is not an HTTP status');
  const headers: Record<string, string | string[]> = {};
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers))
      return bad('headers is not an object');
    const given = r.headers as Record<string, unknown>;
    for (const k in given) {
      if (!Object.prototype.hasOwnProperty.call(given, k)) continue;
      const v = given[k];
      if (!scalar(v)) return bad(`headers.${k} is not a string`);
      headers[k] = String(v);
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object' || Array.isArray(r.multiValueHeaders))
      return bad('multiValueHeaders is not an object');
    for (const [k, v] of Object.entries(r.multiValueHeaders)) {
      if (!Array.isArray(v) || !v.every(scalar))
        return bad(`multiValueHeaders.${k} is not a list of strings`);
      headers[k] = v.map(String);
    }
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string')
    return bad('body is not a string');
  const text = (r.body as string | null | undefined) ?? '';
  let contentType: string | string[] | undefined;
  for (const k in headers)
    if (k.toLowerCase() === 'content-type') {
      contentType = headers[k];
      break;
    }
  const body =
    r.isBase64Encoded === true &&
    decode(Array.isArray(contentType) ? contentType[0] : (contentType as string | undefined))
      ? Buffer.from(text, 'base64')
      : text;
  headers['x-amzn-RequestId'] = view.requestId;
  return { response: { status: r.statusCode, headers, body }, error: undefined };
}

// Hop-by-hop headers are the connection's, not the request's.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'content-length',
]);

/**
 * Forwards to the URL: `{name}` in it takes the path parameter of that name (API Gateway needs
 * requestParameters for that; here the names are matched directly), and the query string follows.
 */
function httpProxy(
  uri: string,
  integrationMethod: string,
  view: RequestView,
  body: Buffer | undefined,
  deps: IntegrationDeps,
): Promise<IntegrationResult> {
  const failure = failureFor(view, deps.flavour);
  const timeoutMs = deps.timeoutMs;
  const filled = uri.replace(
    /\{([A-Za-z0-9_-]+)\+?\}/g,
    (_, name: string) => view.pathParameters[name] ?? '',
  );
  const target = new URL(filled);
  for (const [k, values] of Object.entries(view.multiValueQueryStringParameters))
    for (const v of values) target.searchParams.append(k, v);
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(view.multiValueHeaders))
    if (!HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
  if (body?.length) headers['content-length'] = [String(body.length)];
  const method = integrationMethod === 'ANY' ? view.method : integrationMethod;
  return new Promise((resolve) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method, headers, timeout: timeoutMs }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => resolve(failure(`${target.origin} answer failed: ${e.message}`)));
      res.on('end', () => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        resolve({
          response: {
            status: res.statusCode ?? 502,
            headers: { ...out, 'x-amzn-RequestId': view.requestId },
            body: Buffer.concat(chunks),
          },
          error: undefined,
        });
      });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(
        failure(`${target.origin} gave no answer within ${timeoutMs} ms`, 'INTEGRATION_TIMEOUT'),
      );
    });
    // Connection failures: 502 here; the exact status API Gateway gives for them is not in the spec.
    req.on('error', (e) => resolve(failure(`${target.origin} unreachable: ${e.message}`)));
    req.end(body);
  });
}
