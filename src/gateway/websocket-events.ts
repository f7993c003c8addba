// The Lambda events of a local WebSocket API (spec section 8): the `$connect` REQUEST authorizer
// event, and the proxy events of `$connect`, message routes and `$disconnect`; plus the two small
// languages of its configuration, identity sources and the route selection expression.
import { randomBytes } from 'node:crypto';
import { LOCAL_API, requestTime, type AuthorizerDelivery } from './events.js';
import { TollgateError } from '../core/errors.js';

/** A WebSocket API setting that cannot be used; raised when the API is attached, never per connection. */
export class WebSocketConfigError extends TollgateError<'WEBSOCKET_CONFIG_INVALID'> {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super('WEBSOCKET_CONFIG_INVALID', `${setting} ${problem}`);
    this.name = 'WebSocketConfigError';
  }
}

/** One connection as the events present it; built once, at the upgrade request. */
export interface ConnectionView {
  readonly connectionId: string;
  readonly stage: string;
  readonly domainName: string;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  /** Milliseconds since the epoch. */
  readonly connectedAt: number;
  /** Header names as sent; the last value of a repeated header, as API Gateway's `headers` has it. */
  readonly headers: Readonly<Record<string, string>>;
  readonly multiValueHeaders: Readonly<Record<string, readonly string[]>>;
  readonly queryStringParameters: Readonly<Record<string, string>>;
  readonly multiValueQueryStringParameters: Readonly<Record<string, readonly string[]>>;
  readonly stageVariables: Readonly<Record<string, string>>;
}

/** API Gateway's ids look like `UqKJHdvQoAMCJ_w=`: ten random bytes, URL-safe base64, padded. */
export function newId(): string {
  return `${randomBytes(10).toString('base64url')}=`;
}

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`: no verb, no path (spec section 8). */
export function connectArn(stage: string): string {
  return `arn:aws:execute-api:${LOCAL_API.region}:${LOCAL_API.account}:${LOCAL_API.apiId}/${stage}/$connect`;
}

type EventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

function requestContext(
  conn: ConnectionView,
  routeKey: string,
  eventType: EventType,
  requestId: string,
  nowMs: number,
): Record<string, unknown> {
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: requestTime(nowMs),
    messageDirection: 'IN',
    stage: conn.stage,
    connectedAt: conn.connectedAt,
    requestTimeEpoch: nowMs,
    identity:
      conn.userAgent === undefined
        ? { sourceIp: conn.sourceIp }
        : { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
    requestId,
    domainName: conn.domainName,
    connectionId: conn.connectionId,
    apiId: LOCAL_API.apiId,
  };
}

/** `{ principalId, integrationLatency, ...context }`, context values as strings: the REST-like delivery (spec section 5). */
function authorizerField(delivery: AuthorizerDelivery): Record<string, unknown> {
  const context = Object.fromEntries(
    Object.entries(delivery.context).map(([k, v]) => [k, String(v)]),
  );
  return {
    principalId: delivery.principalId,
    integrationLatency: delivery.integrationLatency,
    ...context,
  };
}

/**
 * The `$connect` REQUEST authorizer event (spec section 8): the REST REQUEST event's maps, a
 * WebSocket request context, and no path, pathParameters or httpMethod. Empty maps are `{}`.
 */
export function connectAuthorizerEvent(
  conn: ConnectionView,
  requestId: string,
  nowMs: number,
): Record<string, unknown> {
  return {
    type: 'REQUEST',
    methodArn: connectArn(conn.stage),
    headers: conn.headers,
    multiValueHeaders: conn.multiValueHeaders,
    queryStringParameters: conn.queryStringParameters,
    multiValueQueryStringParameters: conn.multiValueQueryStringParameters,
    stageVariables: conn.stageVariables,
    requestContext: requestContext(conn, '$connect', 'CONNECT', requestId, nowMs),
  };
}

/** The `$connect` route's proxy event; the query maps only when the URL has a query string. */
export function connectEvent(
  conn: ConnectionView,
  requestId: string,
  nowMs: number,
  authorizer: AuthorizerDelivery | undefined,
): Record<string, unknown> {
  const context = requestContext(conn, '$connect', 'CONNECT', requestId, nowMs);
  if (authorizer) context.authorizer = authorizerField(authorizer);
  const hasQuery = Object.keys(conn.queryStringParameters).length > 0;
  return {
    headers: conn.headers,
    multiValueHeaders: conn.multiValueHeaders,
    ...(hasQuery
      ? {
          queryStringParameters: conn.queryStringParameters,
          multiValueQueryStringParameters: conn.multiValueQueryStringParameters,
        }
      : {}),
    ...(Object.keys(conn.stageVariables).length ? { stageVariables: conn.stageVariables } : {}),
    requestContext: context,
    isBase64Encoded: false,
  };
}

export interface MessageInput {
  readonly routeKey: string;
  readonly messageId: string;
  readonly requestId: string;
  readonly nowMs: number;
  /** The frame's text, or base64 for a binary frame. */
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** A message route's proxy event: the request context, the frame as `body`. */
export function messageEvent(
  conn: ConnectionView,
  input: MessageInput,
  authorizer: AuthorizerDelivery | undefined,
): Record<string, unknown> {
  const context = requestContext(conn, input.routeKey, 'MESSAGE', input.requestId, input.nowMs);
  context.messageId = input.messageId;
  if (authorizer) context.authorizer = authorizerField(authorizer);
  return {
    requestContext: context,
    body: input.body,
    isBase64Encoded: input.isBase64Encoded,
    ...(Object.keys(conn.stageVariables).length ? { stageVariables: conn.stageVariables } : {}),
  };
}

/** The `$disconnect` route's proxy event, with the close frame's code and reason. */
export function disconnectEvent(
  conn: ConnectionView,
  requestId: string,
  nowMs: number,
  close: { code: number; reason: string },
  authorizer: AuthorizerDelivery | undefined,
): Record<string, unknown> {
  const context = requestContext(conn, '$disconnect', 'DISCONNECT', requestId, nowMs);
  context.disconnectStatusCode = close.code;
  context.disconnectReason = close.reason;
  if (authorizer) context.authorizer = authorizerField(authorizer);
  return {
    headers: conn.headers,
    multiValueHeaders: conn.multiValueHeaders,
    requestContext: context,
    isBase64Encoded: false,
  };
}

// ---- Identity sources: `route.request.header.X`, `route.request.querystring.X`, `stageVariables.X`, `context.X` ----

export type WebSocketIdentitySource =
  | {
      readonly kind: 'header' | 'query' | 'stageVariable';
      readonly name: string;
      readonly expression: string;
    }
  | { readonly kind: 'context'; readonly name: string; readonly expression: string };

// RFC 9110 `token` characters for header names; query names as API Gateway passes them, decoded.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QUERY_NAME = /^[^\s&=#?]+$/;
const VARIABLE_NAME = /^[A-Za-z0-9_.-]+$/;

/** Parses one identity source as apigatewayv2 CreateAuthorizer writes it for a WebSocket API. */
export function parseIdentitySource(
  expression: string,
  setting = 'authorizer.identitySources',
): WebSocketIdentitySource {
  const forms: [string, WebSocketIdentitySource['kind'], RegExp][] = [
    ['route.request.header.', 'header', HEADER_NAME],
    ['route.request.querystring.', 'query', QUERY_NAME],
    ['stageVariables.', 'stageVariable', VARIABLE_NAME],
    ['context.', 'context', VARIABLE_NAME],
  ];
  for (const [prefix, kind, name] of forms) {
    if (!expression.startsWith(prefix)) continue;
    const rest = expression.slice(prefix.length);
    if (!name.test(rest))
      throw new WebSocketConfigError(
        setting,
        `has ${JSON.stringify(expression)}: ${JSON.stringify(rest)} is not a valid ${kind} name`,
      );
    return { kind, name: rest, expression };
  }
  throw new WebSocketConfigError(
    setting,
    `has ${JSON.stringify(expression)}: a WebSocket identity source is route.request.header.NAME, route.request.querystring.NAME, stageVariables.NAME or context.NAME`,
  );
}

/** The identity values in configured order; undefined when one is missing or empty (401, no invocation). */
export function identityValues(
  sources: readonly WebSocketIdentitySource[],
  conn: ConnectionView,
  context: Record<string, unknown>,
): string[] | undefined {
  const values: string[] = [];
  for (const s of sources) {
    let v: unknown;
    if (s.kind === 'header')
      v = Object.entries(conn.headers).find(([k]) => k.toLowerCase() === s.name.toLowerCase())?.[1];
    else if (s.kind === 'query') v = conn.queryStringParameters[s.name];
    else if (s.kind === 'stageVariable') v = conn.stageVariables[s.name];
    else
      v = s.name
        .split('.')
        .reduce<unknown>(
          (o, k) =>
            typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined,
          context,
        );
    if (v === undefined || v === null || v === '') return undefined;
    values.push(String(v));
  }
  return values;
}

// ---- Route selection: `$request.body.action` ----

/** The JSON path of a `$request.body.<path>` expression, e.g. `['action']`. */
export function parseRouteSelectionExpression(expression: string): readonly string[] {
  const m = /^\$request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)$/.exec(expression);
  if (!m)
    throw new WebSocketConfigError(
      'routeSelectionExpression',
      `is ${JSON.stringify(expression)}: the local gateway supports $request.body.NAME (dotted names for nested fields)`,
    );
  return m[1]!.split('.');
}

/** The route key a message selects: the field's value when the body is a JSON object holding a string, number or boolean there. */
export function selectRouteKey(path: readonly string[], body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const key of path) {
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.hasOwn(value, key)
    )
      return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}
