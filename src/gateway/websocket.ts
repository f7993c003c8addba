// A local WebSocket API on an http.Server: the `$connect` authorizer over a real upgrade request
// (spec section 8), the `$connect` route, message routes chosen by the route selection expression,
// and `$disconnect`. Nothing a client sends and nothing a function does stops the server.
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { writeLogLine } from '../lambda/log-line.js';
import { evaluatePolicy } from '../aws/policy-eval.js';
import {
  checkOutput,
  DEFAULT_ASSUMPTIONS,
  invocationFailure,
  type Assumptions,
  type AuthReason,
} from './authorize.js';
import type { AuthorizerOutput } from './authorizer-cache.js';
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

interface WebSocketAuthorizerOptions {
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

const refusedConnect = (
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
  if (identityValues(sources, conn, event.requestContext as Record<string, unknown>) === undefined)
    return refusedConnect('IDENTITY_MISSING', 'UNAUTHORIZED', false);
  const started = performance.now();
  const result = await call(authorizer.invoke, event);
  const latencyMs = Math.round(performance.now() - started);
  // The 8 KB limit is the WebSocket quota table's (spec section 3): over it, a 500 before any check.
  const failed = invocationFailure(result, true, 'the authorizer gave no answer in time');
  if (failed) return refusedConnect(failed.reason, failed.response, true, latencyMs, failed.detail);
  const checked = checkOutput(
    (result as Extract<Invocation, { kind: 'result' }>).value,
    assumptions,
  );
  if (!checked.ok)
    return refusedConnect(
      checked.reason,
      'AUTHORIZER_CONFIGURATION_ERROR',
      true,
      latencyMs,
      checked.detail,
    );
  return connectVerdict(checked.output, conn.stage, latencyMs, assumptions);
}

/** The authorizer's policy against the `$connect` ARN. */
function connectVerdict(
  output: AuthorizerOutput,
  stage: string,
  latencyMs: number,
  assumptions: Assumptions,
): ConnectAuth {
  const verdict = evaluatePolicy(output.policyDocument, connectArn(stage));
  if (verdict === 'explicit-deny')
    return refusedConnect('EXPLICIT_DENY', 'ACCESS_DENIED_EXPLICIT', true, latencyMs);
  if (verdict === 'implicit-deny')
    return refusedConnect('IMPLICIT_DENY', 'ACCESS_DENIED', true, latencyMs);
  if (assumptions.requirePrincipalId && output.principalId === undefined)
    return refusedConnect(
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

/** What a WebSocket API builds once and every connection reads. */
interface WebSocketContext {
  readonly options: WebSocketApiOptions;
  readonly stage: string;
  readonly now: () => number;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly assumptions: Assumptions;
  /** Whether message and `$disconnect` events carry the `$connect` authorizer's output. */
  readonly passContext: boolean;
  /** The route selection expression, parsed. */
  readonly selection: readonly string[];
  readonly authorizer: WebSocketAuthorizerOptions | undefined;
  readonly sources: readonly WebSocketIdentitySource[];
  readonly routes: ReadonlyMap<string, RouteFunction>;
  /** The subprotocol each accepted upgrade's `$connect` route chose, for ws's handleProtocols. */
  readonly chosenProtocol: WeakMap<IncomingMessage, string>;
  readonly wss: WebSocketServer;
  readonly connections: Map<string, { ws: WebSocket; closed: Promise<void> }>;
  closing: boolean;
}

/** One upgrade request being answered: its ids, its clock and its access log line. */
interface Handshake {
  readonly socket: Duplex;
  readonly requestId: string;
  readonly connectionId: string;
  readonly started: number;
  readonly nowMs: number;
  readonly entry: Record<string, unknown>;
}

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
  const c = createContext(options);
  const detach = attachDispatcher(server, options.path, (req, socket, head) => {
    void onUpgrade(c, req, socket, head).catch((error: unknown) => upgradeFailed(c, socket, error));
  });
  return {
    path: options.path,
    get connectionCount() {
      return c.connections.size;
    },
    postToConnection(connectionId, data) {
      const open = c.connections.get(connectionId);
      if (!open || open.ws.readyState !== open.ws.OPEN) return false;
      open.ws.send(data);
      return true;
    },
    close: () => closeApi(c, detach),
  };
}

/** The settings checked (WebSocketConfigError naming the bad one) and the ws server made. */
function createContext(options: WebSocketApiOptions): WebSocketContext {
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
  return {
    options,
    stage: options.stage ?? 'local',
    now: options.now ?? Date.now,
    log: options.log ?? writeLogLine,
    assumptions: { ...DEFAULT_ASSUMPTIONS, ...options.assumptions },
    passContext: options.passAuthorizerContext ?? true,
    selection,
    authorizer,
    sources,
    routes,
    chosenProtocol,
    wss,
    connections: new Map(),
    closing: false,
  };
}

/** A bug in a handshake must cost that handshake, never the server. */
function upgradeFailed(c: WebSocketContext, socket: Duplex, error: unknown): void {
  c.log({
    event: 'websocket_connect',
    path: c.options.path,
    status: 500,
    reason: 'GATEWAY_ERROR',
    message: (error as Error).message,
  });
  refuse(socket, 500, '{"message": "Internal server error"}', {
    'content-type': 'application/json',
  });
}

/** Closes every connection (1001, `$disconnect` runs) and stops answering upgrades. */
async function closeApi(c: WebSocketContext, detach: () => void): Promise<void> {
  if (c.closing) return;
  c.closing = true;
  detach();
  const open = [...c.connections.values()];
  for (const { ws } of open) ws.close(1001, 'Going away');
  // A client that never answers the close frame is cut off after a grace period.
  const grace = setTimeout(() => open.forEach(({ ws }) => ws.terminate()), CLOSE_GRACE_MS);
  await Promise.all(open.map((o) => o.closed));
  clearTimeout(grace);
  c.wss.close();
}

/** The handshake, in API Gateway's order: the `$connect` authorizer, the `$connect` route, the upgrade. */
async function onUpgrade(
  c: WebSocketContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  // A client that leaves mid-handshake must not raise an unhandled 'error'.
  socket.on('error', () => {});
  const h = startHandshake(c, socket);
  if (!isHandshake(req)) return reject(c, h, 'BAD_REQUEST', 'BAD_HANDSHAKE');
  const conn = connectionView(c, h, req);
  const authorized = await authorizeUpgrade(c, h, conn);
  if (authorized === 'refused') return;
  const { delivery } = authorized;
  if (!(await connectRouteAccepts(c, h, req, conn, delivery))) return;
  if (socket.destroyed) return finishHandshake(c, h, 0, 'CLIENT_GONE');
  if (c.closing) return reject(c, h, 'INTERNAL_ERROR', 'API_CLOSED');
  c.wss.handleUpgrade(req, socket, head, (ws) => {
    opened(c, ws, conn, delivery);
    finishHandshake(c, h, 101, 'CONNECTED');
  });
}

function startHandshake(c: WebSocketContext, socket: Duplex): Handshake {
  const started = performance.now();
  const nowMs = c.now();
  const requestId = newId();
  const connectionId = newId();
  const entry: Record<string, unknown> = {
    event: 'websocket_connect',
    path: c.options.path,
    connectionId,
    requestId,
  };
  if (c.authorizer) entry.authorizer = c.authorizer.name ?? 'authorizer';
  return { socket, requestId, connectionId, started, nowMs, entry };
}

/** The handshake's access log line. */
function finishHandshake(
  c: WebSocketContext,
  h: Handshake,
  status: number,
  reason: string,
  extra: Record<string, unknown> = {},
): void {
  c.log({
    ...h.entry,
    status,
    reason,
    ...extra,
    durationMs: Math.round(performance.now() - h.started),
  });
}

/** Refuses the upgrade with the gateway's answer of a type, and logs it. */
function reject(
  c: WebSocketContext,
  h: Handshake,
  type: GatewayResponseType,
  reason: string,
  extra: Record<string, unknown> = {},
): void {
  const r = gatewayResponse(type, h.requestId);
  const body = typeof r.body === 'string' ? r.body : r.body.toString('utf8');
  refuse(h.socket, r.status, body, r.headers);
  finishHandshake(c, h, r.status, reason, extra);
}

/** The connection as its events describe it. */
function connectionView(c: WebSocketContext, h: Handshake, req: IncomingMessage): ConnectionView {
  const target = pathOf(req.url)!;
  const [headers, multiValueHeaders] = splitValues(headersOf(req));
  const header = (name: string): string | undefined =>
    Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return {
    connectionId: h.connectionId,
    stage: c.stage,
    domainName: header('host') ?? 'localhost',
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    userAgent: header('user-agent'),
    connectedAt: h.nowMs,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.fromEntries(
      Object.entries(target.query).map(([k, v]) => [k, v[v.length - 1]!]),
    ),
    multiValueQueryStringParameters: target.query,
    stageVariables: { ...c.options.stageVariables },
  };
}

/** Runs the `$connect` authorizer, if there is one; 'refused' once the refusal is answered. */
async function authorizeUpgrade(
  c: WebSocketContext,
  h: Handshake,
  conn: ConnectionView,
): Promise<{ readonly delivery: AuthorizerDelivery | undefined } | 'refused'> {
  if (!c.authorizer) return { delivery: undefined };
  const auth = await authorizeConnect(
    c.authorizer,
    c.sources,
    conn,
    connectAuthorizerEvent(conn, h.requestId, h.nowMs),
    c.assumptions,
  );
  if (!auth.ok) {
    reject(c, h, auth.response, auth.reason, {
      invoked: auth.invoked,
      authorizerLatencyMs: auth.latencyMs,
      ...(auth.detail ? { detail: auth.detail } : {}),
    });
    return 'refused';
  }
  Object.assign(h.entry, {
    authorizerLatencyMs: auth.latencyMs,
    principal: auth.delivery.principalId,
  });
  return { delivery: auth.delivery };
}

/** Runs the `$connect` route, if there is one: false once its refusal is answered. */
async function connectRouteAccepts(
  c: WebSocketContext,
  h: Handshake,
  req: IncomingMessage,
  conn: ConnectionView,
  delivery: AuthorizerDelivery | undefined,
): Promise<boolean> {
  const connectRoute = c.routes.get('$connect');
  if (!connectRoute) return true;
  const answer = routeAnswer(
    await call(connectRoute, connectEvent(conn, h.requestId, h.nowMs, delivery)),
  );
  if (answer.kind === 'failed') {
    const type = answer.timeout ? 'INTEGRATION_TIMEOUT' : 'INTEGRATION_FAILURE';
    reject(c, h, type, 'CONNECT_ROUTE_FAILED', { detail: answer.why });
    return false;
  }
  // Stricter than a message route: a $connect answer without a statusCode is refused, not taken as consent.
  if (answer.kind === 'none') {
    reject(c, h, 'INTEGRATION_FAILURE', 'CONNECT_ROUTE_FAILED', {
      detail: 'the $connect route answered no statusCode',
    });
    return false;
  }
  if (answer.statusCode < 200 || answer.statusCode > 299) {
    // A non-2xx answer from $connect refuses the connection with that status.
    refuse(h.socket, answer.statusCode, answer.body ?? '', { 'x-amzn-RequestId': h.requestId });
    finishHandshake(c, h, answer.statusCode, 'CONNECT_ROUTE_REFUSED');
    return false;
  }
  const protocol = Object.entries(answer.headers).find(
    ([k]) => k.toLowerCase() === 'sec-websocket-protocol',
  )?.[1];
  if (protocol) c.chosenProtocol.set(req, protocol);
  return true;
}

/** An accepted connection: its messages routed, `$disconnect` run when it closes. */
function opened(
  c: WebSocketContext,
  ws: WebSocket,
  conn: ConnectionView,
  delivery: AuthorizerDelivery | undefined,
): void {
  const later = c.passContext ? delivery : undefined;
  let done!: () => void;
  const closed = new Promise<void>((resolve) => (done = resolve));
  c.connections.set(conn.connectionId, { ws, closed });
  const logError = (error: unknown): void =>
    c.log({
      event: 'websocket_error',
      connectionId: conn.connectionId,
      message: (error as Error).message,
    });
  ws.on('error', logError);
  ws.on('message', (data, isBinary) => {
    void onMessage(c, ws, conn, later, data, isBinary).catch(logError);
  });
  ws.on('close', (code, reason) => {
    c.connections.delete(conn.connectionId);
    void disconnected(c, conn, later, code, reason.toString('utf8')).finally(() => {
      c.log({
        event: 'websocket_disconnect',
        path: c.options.path,
        connectionId: conn.connectionId,
        code,
      });
      done();
    });
  });
}

/** Runs the `$disconnect` route, if there is one; its failure is logged, there is nobody to tell. */
async function disconnected(
  c: WebSocketContext,
  conn: ConnectionView,
  delivery: AuthorizerDelivery | undefined,
  code: number,
  reason: string,
): Promise<void> {
  const disconnect = c.routes.get('$disconnect');
  if (!disconnect) return;
  const event = disconnectEvent(conn, newId(), c.now(), { code, reason }, delivery);
  const answer = routeAnswer(await call(disconnect, event));
  if (answer.kind === 'failed')
    c.log({
      event: 'websocket_route_error',
      connectionId: conn.connectionId,
      routeKey: '$disconnect',
      detail: answer.why,
    });
}

/** The route a message goes to: the selection expression's key if a custom route has it, else `$default`. */
function messageRoute(
  c: WebSocketContext,
  body: string,
  isBinary: boolean,
): { readonly selected: string | undefined; readonly routeKey: string | undefined } {
  const selected = isBinary ? undefined : selectRouteKey(c.selection, body);
  const routeKey =
    selected !== undefined && !RESERVED.has(selected) && c.routes.has(selected)
      ? selected
      : c.routes.has('$default')
        ? '$default'
        : undefined;
  return { selected, routeKey };
}

async function onMessage(
  c: WebSocketContext,
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
  const { selected, routeKey } = messageRoute(c, body, isBinary);
  const { connectionId } = conn;
  const reply = (text: string): void => {
    if (ws.readyState === ws.OPEN) ws.send(text);
  };
  if (routeKey === undefined) {
    const status = 'NO_ROUTE';
    c.log({
      event: 'websocket_message',
      connectionId,
      requestId,
      routeKey: selected ?? null,
      status,
    });
    return reply(messageError('Forbidden', connectionId, requestId));
  }
  const message = {
    routeKey,
    messageId: newId(),
    requestId,
    nowMs: c.now(),
    body,
    isBase64Encoded: isBinary,
  };
  const answer = routeAnswer(
    await call(c.routes.get(routeKey)!, messageEvent(conn, message, delivery)),
  );
  if (answer.kind === 'failed') {
    c.log({
      event: 'websocket_route_error',
      connectionId,
      requestId,
      routeKey,
      detail: answer.why,
    });
    return reply(messageError('Internal server error', connectionId, requestId));
  }
  // A two-way route: the answer's body goes back to the client.
  if (answer.kind === 'response' && answer.body !== undefined) reply(answer.body);
}
