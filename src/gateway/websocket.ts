// A local WebSocket API on an http.Server: the `$connect` authorizer over a real upgrade request
// (spec section 8), the `$connect` route, message routes chosen by the route selection expression,
// and `$disconnect`. Nothing a client sends and nothing a function does stops the server.
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { writeLogLine } from '../lambda/log-line.js';
import { evaluatePolicy } from '../aws/policy.js';
import {
  checkOutput,
  DEFAULT_ASSUMPTIONS,
  MAX_AUTHORIZER_RESULT_BYTES,
  type Assumptions,
  type AuthReason,
} from './authorize.js';
import { splitValues, type AuthorizerDelivery } from './events.js';
import type { Invocation } from './invoke.js';
import { gatewayResponse, type GatewayResponseType } from './responses.js';
import { headersOf } from './server.js';
import {
  connectArn,
  connectAuthorizerEvent,
  connectEvent,
  disconnectEvent,
  identityValues,
  messageEvent,
  newId,
  parseIdentitySource,
  parseRouteSelectionExpression,
  selectRouteKey,
  WebSocketConfigError,
  type ConnectionView,
  type WebSocketIdentitySource,
} from './websocket-events.js';

export { WebSocketConfigError } from './websocket-events.js';

/** A local function as the gateway calls it: the event in, Lambda's outcome out (see invoke.ts). */
export type RouteFunction = (event: Record<string, unknown>) => Promise<Invocation>;

export interface WebSocketAuthorizerOptions {
  /** For the log. */
  readonly name?: string;
  /** `route.request.header.NAME`, `route.request.querystring.NAME`, `stageVariables.NAME`, `context.NAME`. */
  readonly identitySources: readonly string[];
  /**
   * Must be 0 or unset: API Gateway does not cache WebSocket authorizer results
   * (AuthorizerResultTtlInSeconds is "supported only for HTTP API Lambda authorizers"). A positive
   * value is refused at attach time rather than silently ignored.
   */
  readonly ttlSeconds?: number;
  readonly invoke: RouteFunction;
}

export interface WebSocketApiOptions {
  /** The upgrade path, e.g. `/ws`. */
  readonly path: string;
  /** Default `local`. */
  readonly stage?: string;
  readonly authorizer?: WebSocketAuthorizerOptions;
  /** `$connect`, `$disconnect`, `$default` and custom route keys. */
  readonly routes: Readonly<Record<string, RouteFunction | undefined>>;
  /** Default `$request.body.action`. */
  readonly routeSelectionExpression?: string;
  readonly stageVariables?: Readonly<Record<string, string>>;
  /**
   * Whether message and `$disconnect` events carry `requestContext.authorizer` (the `$connect`
   * route always does). Spec section 8 marks this [unconfirmed]; serverless-offline passes it, so
   * the default is true.
   */
  readonly passAuthorizerContext?: boolean;
  readonly assumptions?: Partial<Assumptions>;
  /** API Gateway's WebSocket message limit: 128 KB. */
  readonly maxPayloadBytes?: number;
  readonly now?: () => number;
  /** One JSON object per line; default stdout. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface WebSocketApi {
  readonly path: string;
  /** Open connections. */
  readonly connectionCount: number;
  /** Sends to one connection, as the @connections management API does; false when it is not open. */
  postToConnection(connectionId: string, data: string | Buffer): boolean;
  /** Closes every connection (1001 Going Away, `$disconnect` runs) and stops answering upgrades at `path`. Call before closing the server. */
  close(): Promise<void>;
}

const RESERVED = new Set(['$connect', '$disconnect', '$default']);
const CLOSE_GRACE_MS = 1000;

type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
// One 'upgrade' listener per server, dispatching by path, so several APIs can share a server.
const dispatchers = new WeakMap<
  Server,
  { apis: Map<string, UpgradeHandler>; listener: UpgradeHandler }
>();

function pathOf(
  url: string | undefined,
): { path: string; query: Record<string, string[]> } | undefined {
  if (!url || !url.startsWith('/')) return undefined;
  try {
    const parsed = new URL(url, 'http://localhost');
    const query: Record<string, string[]> = {};
    for (const [k, v] of parsed.searchParams) (query[k] ??= []).push(v);
    return { path: parsed.pathname, query };
  } catch {
    return undefined;
  }
}

/** Writes a complete HTTP response on the upgrade socket and closes it: a refused handshake. */
function refuse(
  socket: Duplex,
  status: number,
  body: string,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`];
  for (const [k, v] of Object.entries(headers))
    for (const one of typeof v === 'string' ? [v] : v)
      lines.push(`${k}: ${one.replace(/[\r\n]/g, ' ')}`);
  lines.push('connection: close', `content-length: ${Buffer.byteLength(body)}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function attachDispatcher(server: Server, path: string, handler: UpgradeHandler): () => void {
  let d = dispatchers.get(server);
  if (d === undefined) {
    const apis = new Map<string, UpgradeHandler>();
    const listener: UpgradeHandler = (req, socket, head) => {
      const target = pathOf(req.url);
      const api = target && apis.get(target.path);
      if (api) return api(req, socket, head);
      // Another listener may own this path; with none, the upgrade would hang, so refuse it.
      if (server.listenerCount('upgrade') === 1)
        refuse(socket, 404, '{"message":"Not Found"}', { 'content-type': 'application/json' });
    };
    d = { apis, listener };
    dispatchers.set(server, d);
    server.on('upgrade', listener);
  }
  if (d.apis.has(path))
    throw new WebSocketConfigError(
      'path',
      `${JSON.stringify(path)} already has a WebSocket API on this server`,
    );
  d.apis.set(path, handler);
  const { apis, listener } = d;
  return () => {
    apis.delete(path);
    if (apis.size === 0) {
      server.off('upgrade', listener);
      dispatchers.delete(server);
    }
  };
}

/** Checked before the authorizer runs: a request ws would refuse anyway must not invoke anything. */
function isHandshake(req: IncomingMessage): boolean {
  const version = req.headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    /^[+/0-9A-Za-z]{22}==$/.test(req.headers['sec-websocket-key'] ?? '') &&
    (version === '13' || version === '8')
  );
}

/** A route function that throws or rejects instead of reporting must cost one call, not the server. */
async function call(fn: RouteFunction, event: Record<string, unknown>): Promise<Invocation> {
  try {
    return await fn(event);
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

type ConnectAuth =
  | { readonly ok: true; readonly delivery: AuthorizerDelivery; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly reason: AuthReason;
      readonly response: GatewayResponseType;
      readonly invoked: boolean;
      readonly latencyMs: number;
      readonly detail?: string;
    };

/**
 * The `$connect` authorizer, in API Gateway's order: identity sources (401 without invoking),
 * invocation (exactly "Unauthorized" is 401; any other failure 500), output checks (500), policy
 * against the `$connect` ARN (Deny or no Allow: 403). The REST checks and bodies, shared.
 */
async function authorizeConnect(
  authorizer: WebSocketAuthorizerOptions,
  sources: readonly WebSocketIdentitySource[],
  conn: ConnectionView,
  event: Record<string, unknown>,
  assumptions: Assumptions,
): Promise<ConnectAuth> {
  const refused = (
    reason: AuthReason,
    response: GatewayResponseType,
    invoked: boolean,
    latencyMs = 0,
    detail?: string,
  ): ConnectAuth => ({
    ok: false,
    reason,
    response,
    invoked,
    latencyMs,
    ...(detail ? { detail } : {}),
  });
  if (identityValues(sources, conn, event.requestContext as Record<string, unknown>) === undefined)
    return refused('IDENTITY_MISSING', 'UNAUTHORIZED', false);
  const started = performance.now();
  const result = await call(authorizer.invoke, event);
  const latencyMs = Math.round(performance.now() - started);
  if (result.kind === 'timeout')
    return refused(
      'AUTHORIZER_TIMEOUT',
      'AUTHORIZER_CONFIGURATION_ERROR',
      true,
      latencyMs,
      'the authorizer gave no answer in time',
    );
  if (result.kind === 'error') {
    // Exactly "Unauthorized", case-sensitive: any other text is a 500 (spec section 3).
    if (result.message === 'Unauthorized')
      return refused('UNAUTHORIZED', 'UNAUTHORIZED', true, latencyMs);
    return refused(
      'AUTHORIZER_ERROR',
      'AUTHORIZER_CONFIGURATION_ERROR',
      true,
      latencyMs,
      result.message.slice(0, 300),
    );
  }
  // The 8 KB limit is the WebSocket quota table's (spec section 3): over it, a 500 before any check.
  if (result.bytes > MAX_AUTHORIZER_RESULT_BYTES)
    return refused(
      'RESULT_INVALID',
      'AUTHORIZER_CONFIGURATION_ERROR',
      true,
      latencyMs,
      `the answer is over ${MAX_AUTHORIZER_RESULT_BYTES} bytes of JSON, API Gateway's limit`,
    );
  const checked = checkOutput(result.value, assumptions);
  if (!checked.ok)
    return refused(
      checked.reason,
      'AUTHORIZER_CONFIGURATION_ERROR',
      true,
      latencyMs,
      checked.detail,
    );
  const { output } = checked;
  const verdict = evaluatePolicy(output.policyDocument, connectArn(conn.stage));
  if (verdict === 'explicit-deny')
    return refused('EXPLICIT_DENY', 'ACCESS_DENIED_EXPLICIT', true, latencyMs);
  if (verdict === 'implicit-deny')
    return refused('IMPLICIT_DENY', 'ACCESS_DENIED', true, latencyMs);
  if (assumptions.requirePrincipalId && output.principalId === undefined)
    return refused(
      'RESULT_INVALID',
      'AUTHORIZER_CONFIGURATION_ERROR',
      true,
      latencyMs,
      'an Allow without principalId',
    );
  return {
    ok: true,
    latencyMs,
    delivery: {
      principalId: output.principalId,
      integrationLatency: latencyMs,
      context: output.context,
    },
  };
}

/** What a route function answered: a proxy response, nothing (a one-way route), or a failure. */
type RouteAnswer =
  | {
      readonly kind: 'response';
      readonly statusCode: number;
      readonly body: string | undefined;
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'none' }
  | { readonly kind: 'failed'; readonly why: string; readonly timeout: boolean };

function routeAnswer(result: Invocation): RouteAnswer {
  if (result.kind === 'timeout') return { kind: 'failed', why: 'no answer in time', timeout: true };
  if (result.kind === 'error')
    return { kind: 'failed', why: result.message.slice(0, 300), timeout: false };
  const v = result.value;
  if (v === null || v === undefined) return { kind: 'none' };
  if (typeof v !== 'object' || Array.isArray(v))
    return { kind: 'failed', why: 'the answer is not an object', timeout: false };
  const r = v as Record<string, unknown>;
  if (r.statusCode === undefined) return { kind: 'none' };
  if (
    typeof r.statusCode !== 'number' ||
    !Number.isInteger(r.statusCode) ||
    r.statusCode < 100 ||
    r.statusCode > 599
  )
    return { kind: 'failed', why: 'statusCode is not an HTTP status', timeout: false };
  const headers: Record<string, string> = {};
  if (typeof r.headers === 'object' && r.headers !== null)
    for (const [k, h] of Object.entries(r.headers))
      if (['string', 'number', 'boolean'].includes(typeof h)) headers[k] = String(h);
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string')
    return { kind: 'failed', why: 'body is not a string', timeout: false };
  const body = typeof r.body === 'string' ? r.body : undefined;
  return { kind: 'response', statusCode: r.statusCode, body, headers };
}

/** API Gateway's answer on the socket when a message cannot be routed or its route fails. */
const messageError = (message: string, connectionId: string, requestId: string): string =>
  `{"message": "${message}", "connectionId":"${connectionId}", "requestId":"${requestId}"}`;

/**
 * Serves a WebSocket API at `options.path` on `server`. Throws WebSocketConfigError for a bad
 * setting. Upgrades at other paths are left to other listeners, or refused with 404 when there
 * are none.
 *
 * @example
 * const run = (name: string): RouteFunction => (event) => invoke(functions.get(name)!, event, { functionName: name, requestId: randomUUID(), timeoutMs: 29_000, now: Date.now, region: LOCAL_API.region, account: LOCAL_API.account });
 * const ws = attachWebSocketApi(gatewayServer.server, {
 *   path: '/ws', stage: 'local',
 *   authorizer: { identitySources: ['route.request.querystring.access_token'], invoke: run('auth') },
 *   routes: { $connect: run('chat'), $default: run('chat'), sendmessage: run('chat') },
 * });
 * // on shutdown: await ws.close(); then close the HTTP server.
 */
export function attachWebSocketApi(server: Server, options: WebSocketApiOptions): WebSocketApi {
  const stage = options.stage ?? 'local';
  const now = options.now ?? Date.now;
  const log = options.log ?? writeLogLine;
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS, ...options.assumptions };
  const passContext = options.passAuthorizerContext ?? true;
  const selection = parseRouteSelectionExpression(
    options.routeSelectionExpression ?? '$request.body.action',
  );
  if (!options.path.startsWith('/'))
    throw new WebSocketConfigError(
      'path',
      `must start with "/", got ${JSON.stringify(options.path)}`,
    );
  const authorizer = options.authorizer;
  const sources = (authorizer?.identitySources ?? []).map((s) => parseIdentitySource(s));
  if (authorizer?.ttlSeconds)
    throw new WebSocketConfigError(
      'authorizer.ttlSeconds',
      'must be 0 or unset: API Gateway caches authorizer results only for HTTP APIs, not WebSocket APIs',
    );
  // A Map, so a client's `{"action":"constructor"}` finds no route on Object.prototype.
  const routes = new Map(
    Object.entries(options.routes).filter(
      (e): e is [string, RouteFunction] => typeof e[1] === 'function',
    ),
  );
  const chosenProtocol = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? 128 * 1024,
    // API Gateway answers a subprotocol only when the $connect route returns Sec-WebSocket-Protocol.
    handleProtocols: (_offered, req) => chosenProtocol.get(req) ?? false,
  });
  const connections = new Map<string, { ws: WebSocket; closed: Promise<void> }>();
  let closing = false;

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A client that leaves mid-handshake must not raise an unhandled 'error'.
    socket.on('error', () => {});
    const started = performance.now();
    const nowMs = now();
    const requestId = newId();
    const connectionId = newId();
    const entry: Record<string, unknown> = {
      event: 'websocket_connect',
      path: options.path,
      connectionId,
      requestId,
    };
    if (authorizer) entry.authorizer = authorizer.name ?? 'authorizer';
    const finish = (status: number, reason: string, extra: Record<string, unknown> = {}): void =>
      log({
        ...entry,
        status,
        reason,
        ...extra,
        durationMs: Math.round(performance.now() - started),
      });
    const reject = (
      type: GatewayResponseType,
      reason: string,
      extra: Record<string, unknown> = {},
    ): void => {
      const r = gatewayResponse(type, requestId);
      refuse(
        socket,
        r.status,
        typeof r.body === 'string' ? r.body : r.body.toString('utf8'),
        r.headers,
      );
      finish(r.status, reason, extra);
    };

    if (!isHandshake(req)) return reject('BAD_REQUEST', 'BAD_HANDSHAKE');
    const target = pathOf(req.url)!;
    const [headers, multiValueHeaders] = splitValues(headersOf(req));
    const header = (name: string): string | undefined =>
      Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
    const conn: ConnectionView = {
      connectionId,
      stage,
      domainName: header('host') ?? 'localhost',
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: header('user-agent'),
      connectedAt: nowMs,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.fromEntries(
        Object.entries(target.query).map(([k, v]) => [k, v[v.length - 1]!]),
      ),
      multiValueQueryStringParameters: target.query,
      stageVariables: { ...options.stageVariables },
    };

    let delivery: AuthorizerDelivery | undefined;
    if (authorizer) {
      const auth = await authorizeConnect(
        authorizer,
        sources,
        conn,
        connectAuthorizerEvent(conn, requestId, nowMs),
        assumptions,
      );
      if (!auth.ok)
        return reject(auth.response, auth.reason, {
          invoked: auth.invoked,
          authorizerLatencyMs: auth.latencyMs,
          ...(auth.detail ? { detail: auth.detail } : {}),
        });
      delivery = auth.delivery;
      Object.assign(entry, {
        authorizerLatencyMs: auth.latencyMs,
        principal: delivery.principalId,
      });
    }

    const connectRoute = routes.get('$connect');
    if (connectRoute) {
      const answer = routeAnswer(
        await call(connectRoute, connectEvent(conn, requestId, nowMs, delivery)),
      );
      if (answer.kind === 'failed')
        return reject(
          answer.timeout ? 'INTEGRATION_TIMEOUT' : 'INTEGRATION_FAILURE',
          'CONNECT_ROUTE_FAILED',
          { detail: answer.why },
        );
      // Stricter than a message route: a $connect answer without a statusCode is refused, not taken as consent.
      if (answer.kind === 'none')
        return reject('INTEGRATION_FAILURE', 'CONNECT_ROUTE_FAILED', {
          detail: 'the $connect route answered no statusCode',
        });
      if (answer.kind === 'response' && (answer.statusCode < 200 || answer.statusCode > 299)) {
        // A non-2xx answer from $connect refuses the connection with that status.
        refuse(socket, answer.statusCode, answer.body ?? '', { 'x-amzn-RequestId': requestId });
        return finish(answer.statusCode, 'CONNECT_ROUTE_REFUSED');
      }
      const protocol =
        answer.kind === 'response'
          ? Object.entries(answer.headers).find(
              ([k]) => k.toLowerCase() === 'sec-websocket-protocol',
            )?.[1]
          : undefined;
      if (protocol) chosenProtocol.set(req, protocol);
    }

    if (socket.destroyed) return finish(0, 'CLIENT_GONE');
    if (closing) return reject('INTERNAL_ERROR', 'API_CLOSED');
    wss.handleUpgrade(req, socket, head, (ws) => {
      opened(ws, conn, delivery);
      finish(101, 'CONNECTED');
    });
  }

  function opened(
    ws: WebSocket,
    conn: ConnectionView,
    delivery: AuthorizerDelivery | undefined,
  ): void {
    const later = passContext ? delivery : undefined;
    let done!: () => void;
    const closed = new Promise<void>((resolve) => (done = resolve));
    connections.set(conn.connectionId, { ws, closed });
    ws.on('error', (error) =>
      log({ event: 'websocket_error', connectionId: conn.connectionId, message: error.message }),
    );
    ws.on('message', (data, isBinary) => {
      void onMessage(ws, conn, later, data, isBinary).catch((error: unknown) =>
        log({
          event: 'websocket_error',
          connectionId: conn.connectionId,
          message: (error as Error).message,
        }),
      );
    });
    ws.on('close', (code, reason) => {
      connections.delete(conn.connectionId);
      const disconnect = routes.get('$disconnect');
      const finished = disconnect
        ? call(
            disconnect,
            disconnectEvent(conn, newId(), now(), { code, reason: reason.toString('utf8') }, later),
          ).then((result) => {
            const answer = routeAnswer(result);
            if (answer.kind === 'failed')
              log({
                event: 'websocket_route_error',
                connectionId: conn.connectionId,
                routeKey: '$disconnect',
                detail: answer.why,
              });
          })
        : Promise.resolve();
      void finished.finally(() => {
        log({
          event: 'websocket_disconnect',
          path: options.path,
          connectionId: conn.connectionId,
          code,
        });
        done();
      });
    });
  }

  async function onMessage(
    ws: WebSocket,
    conn: ConnectionView,
    delivery: AuthorizerDelivery | undefined,
    data: RawData,
    isBinary: boolean,
  ): Promise<void> {
    const requestId = newId();
    const buffer = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    const body = isBinary ? buffer.toString('base64') : buffer.toString('utf8');
    const selected = isBinary ? undefined : selectRouteKey(selection, body);
    const routeKey =
      selected !== undefined && !RESERVED.has(selected) && routes.has(selected)
        ? selected
        : routes.has('$default')
          ? '$default'
          : undefined;
    const reply = (text: string): void => {
      if (ws.readyState === ws.OPEN) ws.send(text);
    };
    if (routeKey === undefined) {
      log({
        event: 'websocket_message',
        connectionId: conn.connectionId,
        requestId,
        routeKey: selected ?? null,
        status: 'NO_ROUTE',
      });
      return reply(messageError('Forbidden', conn.connectionId, requestId));
    }
    const answer = routeAnswer(
      await call(
        routes.get(routeKey)!,
        messageEvent(
          conn,
          {
            routeKey,
            messageId: newId(),
            requestId,
            nowMs: now(),
            body,
            isBase64Encoded: isBinary,
          },
          delivery,
        ),
      ),
    );
    if (answer.kind === 'failed') {
      log({
        event: 'websocket_route_error',
        connectionId: conn.connectionId,
        requestId,
        routeKey,
        detail: answer.why,
      });
      return reply(messageError('Internal server error', conn.connectionId, requestId));
    }
    // A two-way route: the answer's body goes back to the client.
    if (answer.kind === 'response' && answer.body !== undefined) reply(answer.body);
  }

  const detach = attachDispatcher(server, options.path, (req, socket, head) => {
    void onUpgrade(req, socket, head).catch((error: unknown) => {
      // A bug here must cost one handshake, never the server.
      log({
        event: 'websocket_connect',
        path: options.path,
        status: 500,
        reason: 'GATEWAY_ERROR',
        message: (error as Error).message,
      });
      refuse(socket, 500, '{"message": "Internal server error"}', {
        'content-type': 'application/json',
      });
    });
  });

  return {
    path: options.path,
    get connectionCount() {
      return connections.size;
    },
    postToConnection(connectionId, data) {
      const c = connections.get(connectionId);
      if (!c || c.ws.readyState !== c.ws.OPEN) return false;
      c.ws.send(data);
      return true;
    },
    async close() {
      if (closing) return;
      closing = true;
      detach();
      const open = [...connections.values()];
      for (const { ws } of open) ws.close(1001, 'Going away');
      // A client that never answers the close frame is cut off after a grace period.
      const grace = setTimeout(() => open.forEach(({ ws }) => ws.terminate()), CLOSE_GRACE_MS);
      await Promise.all(open.map((c) => c.closed));
      clearTimeout(grace);
      wss.close();
    },
  };
}
