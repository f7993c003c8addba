// The Lambda events a REST API sends: the TOKEN and REQUEST authorizer events (spec sections 1
// and 2) and the Lambda proxy integration event (section 5), built from one view of the request.
import { createHash } from 'node:crypto';
import type { ProxyBody } from './binary.js';

/** The fixed identity of the local API in every ARN: the ARN's shape matters to policies, not these values. */
export const LOCAL_API = {
  region: 'us-east-1',
  account: '123456789012',
  apiId: 'tollgate00',
} as const;

export type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;
export type Query = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The request as the events present it; built once per request. */
export interface RequestView {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly resource: string;
  readonly stage: string;
  readonly methodArn: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly queryStringParameters: Record<string, string>;
  readonly multiValueQueryStringParameters: Record<string, string[]>;
  readonly pathParameters: Record<string, string>;
  readonly stageVariables: Record<string, string>;
  readonly requestContext: Record<string, unknown>;
}

export interface ViewInput {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly resource: string;
  readonly stage: string;
  readonly headers: Headers;
  readonly query: Query;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly stageVariables: Readonly<Record<string, string>>;
  readonly sourceIp: string;
  readonly nowMs: number;
}

const list = (v: string | readonly string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : [...v];

/** `{ a: ['1', '2'] }` → single (the last value, as API Gateway's `headers` has it) and multi maps. */
export function splitValues(
  input: Readonly<Record<string, string | readonly string[] | undefined>>,
): [Record<string, string>, Record<string, string[]>] {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const k of Object.keys(input)) {
    const values = list(input[k]);
    if (values.length === 0) continue;
    single[k] = values[values.length - 1]!;
    multi[k] = values;
  }
  return [single, multi];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
/** The last second formatted: every request within the same second reuses it. */
let lastTime = { second: NaN, text: '' };

/** `$context.requestTime`: `09/Apr/2015:12:34:56 +0000`. */
export function requestTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === lastTime.second) return lastTime.text;
  const d = new Date(second * 1000);
  const text = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  lastTime = { second, text };
  return text;
}

/** A header's last value by its lower-case name, whatever case it was sent in. */
export function headerValue(
  headers: Record<string, string>,
  lowerName: string,
): string | undefined {
  // Names of another length cannot match: most are not lower-cased at all.
  for (const k in headers)
    if (k.length === lowerName.length && k.toLowerCase() === lowerName) return headers[k];
  return undefined;
}

// Resource ids by template: a hash per request would cost more than the rest of the view.
const RESOURCE_IDS = new Map<string, string>();
const MAX_RESOURCE_IDS = 10_000;

/** A stable resource id per template, as API Gateway gives each resource one. */
function resourceIdOf(resource: string): string {
  let id = RESOURCE_IDS.get(resource);
  if (id === undefined) {
    id = createHash('sha256').update(resource).digest('hex').slice(0, 6);
    if (RESOURCE_IDS.size >= MAX_RESOURCE_IDS) RESOURCE_IDS.clear();
    RESOURCE_IDS.set(resource, id);
  }
  return id;
}

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path without its leading slash}`; the root gives a trailing `/`. */
export function methodArn(stage: string, method: string, path: string): string {
  return `arn:aws:execute-api:${LOCAL_API.region}:${LOCAL_API.account}:${LOCAL_API.apiId}/${stage}/${method}/${path.startsWith('/') ? path.slice(1) : path}`;
}

export function requestView(input: ViewInput): RequestView {
  const [headers, multiValueHeaders] = splitValues(input.headers);
  const [queryStringParameters, multiValueQueryStringParameters] = splitValues(input.query);
  const header = (name: string): string | undefined => headerValue(headers, name);
  const resourceId = resourceIdOf(input.resource);
  return {
    requestId: input.requestId,
    method: input.method,
    path: input.path,
    resource: input.resource,
    stage: input.stage,
    methodArn: methodArn(input.stage, input.method, input.path),
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: { ...input.pathParameters },
    stageVariables: { ...input.stageVariables },
    requestContext: {
      accountId: LOCAL_API.account,
      apiId: LOCAL_API.apiId,
      resourceId,
      stage: input.stage,
      requestId: input.requestId,
      extendedRequestId: input.requestId,
      requestTime: requestTime(input.nowMs),
      requestTimeEpoch: input.nowMs,
      path: `/${input.stage}${input.path}`,
      resourcePath: input.resource,
      httpMethod: input.method,
      protocol: 'HTTP/1.1',
      domainName: header('host') ?? 'localhost',
      identity: {
        sourceIp: input.sourceIp,
        userAgent: header('user-agent') ?? null,
        apiKey: null,
        accessKey: null,
        accountId: null,
        caller: null,
        user: null,
        userArn: null,
      },
    },
  };
}

export function tokenEvent(view: RequestView, token: string): Record<string, unknown> {
  return { type: 'TOKEN', authorizationToken: token, methodArn: view.methodArn };
}

/** A real REQUEST event has no body and no isBase64Encoded (spec section 2). */
export function requestEvent(view: RequestView): Record<string, unknown> {
  return {
    type: 'REQUEST',
    methodArn: view.methodArn,
    resource: view.resource,
    path: view.path,
    httpMethod: view.method,
    headers: view.headers,
    multiValueHeaders: view.multiValueHeaders,
    queryStringParameters: view.queryStringParameters,
    multiValueQueryStringParameters: view.multiValueQueryStringParameters,
    pathParameters: view.pathParameters,
    stageVariables: view.stageVariables,
    requestContext: view.requestContext,
  };
}

/** Whether an object has no own enumerable property (without listing them). */
function isEmpty(m: object): boolean {
  for (const k in m) if (Object.prototype.hasOwnProperty.call(m, k)) return false;
  return true;
}

/** What an allowed request carries to a Lambda proxy integration from its authorizer. */
export interface AuthorizerDelivery {
  readonly principalId: string | undefined;
  readonly integrationLatency: number;
  /** Strings, numbers and booleans: the authorizer's output was checked. */
  readonly context: Readonly<Record<string, unknown>>;
  /** A REST JWT authorizer's verified claims, as strings (`requestContext.authorizer.claims`, as Cognito's). */
  readonly claims?: Readonly<Record<string, string>>;
  /** Cognito user pool authorizers: `requestContext.authorizer` is `{ claims }` alone. */
  readonly claimsOnly?: boolean;
}

/**
 * The REST Lambda proxy event. `requestContext.authorizer` is `{ principalId, integrationLatency,
 * ...context }` with context values stringified, as `$context.authorizer.<key>` is (spec section 5).
 * Empty maps are null here, as API Gateway sends them to proxy integrations.
 */
export function proxyEvent(
  view: RequestView,
  payload: ProxyBody,
  authorizer: AuthorizerDelivery | undefined,
): Record<string, unknown> {
  const orNull = <T extends object>(m: T): T | null => (isEmpty(m) ? null : m);
  const requestContext: Record<string, unknown> = { ...view.requestContext };
  if (authorizer?.claimsOnly) requestContext.authorizer = { claims: authorizer.claims ?? {} };
  else if (authorizer) {
    const delivered: Record<string, unknown> = {
      principalId: authorizer.principalId,
      integrationLatency: authorizer.integrationLatency,
    };
    // The context was checked (checkContext): own keys, none of them `__proto__`.
    const { context } = authorizer;
    for (const k in context)
      if (Object.prototype.hasOwnProperty.call(context, k)) delivered[k] = String(context[k]);
    if (authorizer.claims) delivered.claims = authorizer.claims;
    requestContext.authorizer = delivered;
  }
  return {
    resource: view.resource,
    path: view.path,
    httpMethod: view.method,
    headers: orNull(view.headers),
    multiValueHeaders: orNull(view.multiValueHeaders),
    queryStringParameters: orNull(view.queryStringParameters),
    multiValueQueryStringParameters: orNull(view.multiValueQueryStringParameters),
    pathParameters: orNull(view.pathParameters),
    stageVariables: orNull(view.stageVariables),
    requestContext,
    body: payload.body,
    isBase64Encoded: payload.isBase64Encoded,
  };
}

// ---- HTTP APIs (API Gateway v2): spec sections 5, 6 and 7 ----

/** What an HTTP API request adds to the view: the v2 names of the same request. */
export interface HttpView {
  /** `GET /pets/{petId}`, or `$default`. */
  readonly routeKey: string;
  readonly routeArn: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly cookies: string[];
  /** Lower-case names, repeated values comma-joined, no `cookie` (it is in `cookies`). */
  readonly headers: Record<string, string>;
  /** Repeated keys comma-joined. */
  readonly queryStringParameters: Record<string, string>;
  readonly requestContext: Record<string, unknown>;
}

export function httpView(
  view: RequestView,
  input: { routeKey: string; rawQueryString: string; sourceIp: string; nowMs: number },
): HttpView {
  const headers: Record<string, string> = {};
  for (const [k, values] of Object.entries(view.multiValueHeaders)) {
    const name = k.toLowerCase();
    headers[name] =
      headers[name] === undefined ? values.join(',') : `${headers[name]},${values.join(',')}`;
  }
  const cookies =
    headers.cookie === undefined
      ? []
      : headers.cookie
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean);
  delete headers.cookie;
  const queryStringParameters = Object.fromEntries(
    Object.entries(view.multiValueQueryStringParameters).map(([k, v]) => [k, v.join(',')]),
  );
  const host = headers.host ?? 'localhost';
  return {
    routeKey: input.routeKey,
    routeArn: view.methodArn,
    rawPath: view.path,
    rawQueryString: input.rawQueryString,
    cookies,
    headers,
    queryStringParameters,
    requestContext: {
      accountId: LOCAL_API.account,
      apiId: LOCAL_API.apiId,
      domainName: host,
      domainPrefix: host.split('.')[0]!.split(':')[0]!,
      http: {
        method: view.method,
        path: view.path,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: view.requestId,
      routeKey: input.routeKey,
      stage: view.stage,
      time: requestTime(input.nowMs),
      timeEpoch: input.nowMs,
    },
  };
}

/** Payload 1.0 HTTP API authorizer event: the REST REQUEST event plus version and the joined identity. */
export function httpAuthorizerEventV1(
  view: RequestView,
  identity: readonly string[],
): Record<string, unknown> {
  const joined = identity.join(',');
  return {
    version: '1.0',
    ...requestEvent(view),
    identitySource: joined,
    authorizationToken: joined,
  };
}

/** Payload 2.0 HTTP API authorizer event (`APIGatewayRequestAuthorizerEventV2`). */
export function httpAuthorizerEventV2(
  view: RequestView,
  http: HttpView,
  identity: readonly string[],
): Record<string, unknown> {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: http.routeArn,
    identitySource: [...identity],
    routeKey: http.routeKey,
    rawPath: http.rawPath,
    rawQueryString: http.rawQueryString,
    cookies: http.cookies,
    headers: http.headers,
    queryStringParameters: http.queryStringParameters,
    requestContext: http.requestContext,
    pathParameters: view.pathParameters,
    stageVariables: view.stageVariables,
  };
}

/** What an HTTP API authorizer gives the integration (spec section 5). */
export type HttpAuthorizerDelivery =
  | {
      readonly kind: 'lambda';
      readonly principalId: string | undefined;
      readonly context: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: 'jwt';
      readonly claims: Readonly<Record<string, string>>;
      readonly scopes: readonly string[] | null;
    };

/** Payload 2.0 proxy event for an HTTP API Lambda integration. */
export function proxyEventV2(
  view: RequestView,
  http: HttpView,
  payload: ProxyBody,
  authorizer: HttpAuthorizerDelivery | undefined,
): Record<string, unknown> {
  const requestContext: Record<string, unknown> = { ...http.requestContext };
  if (authorizer?.kind === 'lambda') requestContext.authorizer = { lambda: authorizer.context };
  else if (authorizer?.kind === 'jwt')
    requestContext.authorizer = { jwt: { claims: authorizer.claims, scopes: authorizer.scopes } };
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: http.routeKey,
    rawPath: http.rawPath,
    rawQueryString: http.rawQueryString,
    headers: http.headers,
    requestContext,
    isBase64Encoded: payload.isBase64Encoded,
  };
  // Absent rather than empty, as API Gateway sends them.
  if (http.cookies.length) event.cookies = http.cookies;
  if (Object.keys(http.queryStringParameters).length)
    event.queryStringParameters = http.queryStringParameters;
  if (Object.keys(view.pathParameters).length) event.pathParameters = view.pathParameters;
  if (Object.keys(view.stageVariables).length) event.stageVariables = view.stageVariables;
  if (payload.body !== null) event.body = payload.body;
  return event;
}

/** Payload 1.0 proxy event for an HTTP API: the REST shape with `version`, and the authorizer's output unstringified. */
export function proxyEventV1Http(
  view: RequestView,
  payload: ProxyBody,
  authorizer: HttpAuthorizerDelivery | undefined,
): Record<string, unknown> {
  const event = proxyEvent(view, payload, undefined);
  const requestContext = { ...(event.requestContext as Record<string, unknown>) };
  if (authorizer?.kind === 'lambda')
    requestContext.authorizer = {
      ...authorizer.context,
      ...(authorizer.principalId !== undefined ? { principalId: authorizer.principalId } : {}),
    };
  else if (authorizer?.kind === 'jwt')
    requestContext.authorizer = { claims: authorizer.claims, scopes: authorizer.scopes };
  return { version: '1.0', ...event, requestContext };
}
