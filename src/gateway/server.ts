// node:http around Gateway.handle: reads the request (bounded), writes the answer. Nothing a
// client sends, and nothing a handler does, stops the listener.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Gateway, GatewayRequest } from './gateway.js';
import { gatewayResponse, type GatewayResponse } from './responses.js';
import { UNEXPECTED_ERROR_RESPONSE } from './error-responses.js';
import { randomUUID } from 'node:crypto';
import { BODY_DEFAULTS, createBodyBudget, declaredLength, lazyBody } from './request-body.js';

export interface GatewayServerOptions {
  /** API Gateway's payload limit: 10 MB. */
  readonly maxBodyBytes?: number;
  /** All request bodies in flight together (default 24 MiB); a body that does not fit gets 503. */
  readonly bodyBudgetBytes?: number;
  /** A body that sends nothing this long gets 408 and a close (default 10 s). */
  readonly bodyIdleTimeoutMs?: number;
  /** The request line and headers must arrive within this (node's headersTimeout; default 10 s). */
  readonly headersTimeoutMs?: number;
  /** The whole request, headers and body, must arrive within this (node's requestTimeout; default 60 s). */
  readonly requestTimeoutMs?: number;
  readonly log?: (entry: Record<string, unknown>) => void;
  /**
   * Local-only handlers served beside the API (the development identity provider, the web page),
   * tried in order before the gateway: the first whose `matches(pathname)` is true answers.
   */
  readonly mounts?: readonly Mount[];
  /**
   * Settles once everything behind the listener (gateway, functions, mounts) is ready: requests
   * that arrive before wait for it, up to `readyTimeoutMs` (default 30 s), then get a 503.
   */
  readonly ready?: Promise<void>;
  readonly readyTimeoutMs?: number;
}

/** Node's own limits on slow clients (README "Security"). */
const SERVER_TIMEOUTS = { headersMs: 10_000, requestMs: 60_000 } as const;

export interface Mount {
  readonly name: string;
  /** Whether this mount answers the request; `method` lets a page take GET / and leave POST / to the API. */
  matches(pathname: string, method: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface GatewayServer {
  readonly server: Server;
  /** Resolves with the bound address; port 0 picks a free port. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** Header names with their case as sent (API Gateway passes them so), repeated headers as lists. */
export function headersOf(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const byLower = new Map<string, string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const raw = req.rawHeaders[i]!;
    const name = byLower.get(raw.toLowerCase()) ?? raw;
    byLower.set(raw.toLowerCase(), name);
    const prev = out[name];
    const value = req.rawHeaders[i + 1]!;
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/**
 * The request target as API Gateway reads it: always a path. `//evil.example/pets` is the path
 * `//evil.example/pets` (no such resource), never a host followed by `/pets`.
 */
export function parseTarget(
  url: string | undefined,
): { path: string; query: Record<string, string[]>; rawQuery: string } | undefined {
  if (!url || !url.startsWith('/')) return undefined;
  const plain = plainTarget(url);
  if (plain) return plain;
  let parsed: URL;
  try {
    // Prefixing an origin (rather than resolving against a base) keeps a leading `//` in the path.
    parsed = new URL(`http://localhost${url}`);
  } catch {
    return undefined;
  }
  const query: Record<string, string[]> = {};
  for (const [k, v] of parsed.searchParams) (query[k] ??= []).push(v);
  return { path: parsed.pathname, query, rawQuery: parsed.search.replace(/^\?/, '') };
}

// A path the URL parser leaves as it is: no percent-encoding, no dot segment, no backslash.
const PLAIN_PATH = /^\/[A-Za-z0-9/_~.-]*$/;
// A query the URL parser leaves as it is: printable ASCII but space, `"`, `#`, `'`, `<` and `>`.
const PLAIN_QUERY = /^[\x21\x24-\x26\x28-\x3b\x3d\x3f-\x7e]*$/;

/** parseTarget's answer without a URL object, for a target the URL parser would not change. */
function plainTarget(
  url: string,
): { path: string; query: Record<string, string[]>; rawQuery: string } | undefined {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  if (!PLAIN_PATH.test(path) || path.includes('/.')) return undefined;
  const rawQuery = mark < 0 ? '' : url.slice(mark + 1);
  const query: Record<string, string[]> = {};
  if (rawQuery === '') return { path, query, rawQuery };
  if (!PLAIN_QUERY.test(rawQuery)) return undefined;
  // URLSearchParams drops one leading `?`: given back, a query that starts with `?` keeps it.
  for (const [k, v] of new URLSearchParams(`?${rawQuery}`)) (query[k] ??= []).push(v);
  return { path, query, rawQuery };
}

function send(req: IncomingMessage, res: ServerResponse, response: GatewayResponse): void {
  if (res.headersSent || res.destroyed) return;
  // A body not read (refused before it was needed) is not drained either: the connection closes.
  if (!req.complete) res.setHeader('connection', 'close');
  const body =
    typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  res.statusCode = response.status;
  const { headers } = response;
  for (const k in headers)
    if (Object.prototype.hasOwnProperty.call(headers, k))
      res.setHeader(k, headers[k] as string | string[]);
  res.setHeader('content-length', body.length);
  res.end(body);
}

/** Waits for `ready` up to `timeoutMs`: whether it came in time (a rejection counts as not ready). */
function waitReady(ready: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>(
    (resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)),
  );
  return Promise.race([
    ready.then(
      () => true,
      () => false,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

const NOT_READY: GatewayResponse = {
  status: 503,
  headers: { 'content-type': 'application/json', 'retry-after': '1' },
  body: '{"message":"Service Unavailable: the local gateway is still starting"}',
};

/** What answering a request needs, built once per server. */
interface ServerContext {
  readonly gateway: Gateway;
  readonly limits: BodyLimits;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly mounts: readonly Mount[];
  /** True when everything is ready; otherwise whether it became ready in time. */
  readonly ready: () => true | Promise<boolean>;
}

type BodyLimits = Parameters<typeof lazyBody>[1];

export function createGatewayServer(
  gateway: Gateway,
  options: GatewayServerOptions = {},
): GatewayServer {
  const s: ServerContext = {
    gateway,
    limits: {
      maxBytes: options.maxBodyBytes ?? BODY_DEFAULTS.maxBytes,
      budget: createBodyBudget(options.bodyBudgetBytes ?? BODY_DEFAULTS.budgetBytes),
      idleTimeoutMs: options.bodyIdleTimeoutMs ?? BODY_DEFAULTS.idleTimeoutMs,
    },
    log: options.log ?? (() => {}),
    mounts: options.mounts ?? [],
    ready: readiness(options),
  };
  const headersTimeout = options.headersTimeoutMs ?? SERVER_TIMEOUTS.headersMs;
  const requestTimeout = Math.max(
    options.requestTimeoutMs ?? SERVER_TIMEOUTS.requestMs,
    headersTimeout,
  );
  const server = createServer(
    { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    (req, res) => {
      const body = lazyBody(req, s.limits);
      res.once('close', body.release);
      void serve(s, req, res, body.read).catch((error: unknown) => {
        s.log({ event: 'server_error', message: (error as Error).message });
        send(req, res, gatewayResponse(UNEXPECTED_ERROR_RESPONSE, randomUUID()));
      });
    },
  );
  server.on('clientError', answerClientError);
  return {
    server,
    listen: (port, host = '127.0.0.1') => listen(server, port, host),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Requests that arrive before `ready` settles wait for it, up to `readyTimeoutMs`. */
function readiness(options: GatewayServerOptions): () => true | Promise<boolean> {
  const { ready } = options;
  if (ready === undefined) return () => true;
  let isReady = false;
  void ready.then(
    () => (isReady = true),
    () => {},
  );
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  return () => isReady || waitReady(ready, timeoutMs);
}

/** One request: a mount's, or the gateway's once the declared size passes. */
async function serve(
  s: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  readBody: () => Promise<Buffer>,
): Promise<void> {
  const target = parseTarget(req.url);
  if (!target) return send(req, res, gatewayResponse('BAD_REQUEST', randomUUID()));
  const ready = s.ready();
  if (ready !== true && !(await ready)) {
    s.log({
      event: 'request',
      method: req.method,
      path: target.path,
      status: 503,
      reason: 'NOT_READY',
    });
    return send(req, res, NOT_READY);
  }
  const mount = s.mounts.find((m) => m.matches(target.path, req.method ?? 'GET'));
  if (mount) return serveMount(s, mount, req, res, target.path);
  // A declared size over the limit is refused before anything else, as API Gateway's edge does;
  // the API's own gateway responses customise this refusal too (CORS headers on a 413).
  if ((declaredLength(req) ?? 0) > s.limits.maxBytes)
    return send(req, res, tooLarge(s.gateway, req));
  const request: GatewayRequest = {
    method: req.method ?? 'GET',
    path: target.path,
    headers: headersOf(req),
    query: target.query,
    rawQuery: target.rawQuery,
    // Read only if the gateway gets as far as needing it: after authorization.
    body: readBody,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
  };
  send(req, res, await s.gateway.handle(request));
}

async function serveMount(
  s: ServerContext,
  mount: Mount,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const started = performance.now();
  res.once('finish', () =>
    s.log({
      event: 'request',
      method: req.method,
      path,
      status: res.statusCode,
      served: mount.name,
      durationMs: Math.round(performance.now() - started),
    }),
  );
  await mount.handle(req, res);
}

function tooLarge(gateway: Gateway, req: IncomingMessage): GatewayResponse {
  return gateway.respond
    ? gateway.respond('REQUEST_TOO_LARGE', { requestId: randomUUID(), headers: headersOf(req) })
    : gatewayResponse('REQUEST_TOO_LARGE', randomUUID());
}

/**
 * Unparseable HTTP: answer 400 when the socket still can, never throw.
 * Headers or a request past its time (headersTimeout, requestTimeout): 408, then close.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const slow = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const body = slow ? '{"message":"Request Timeout"}' : '{"message":"Bad Request"}';
  socket.end(
    `HTTP/1.1 ${slow ? '408 Request Timeout' : '400 Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Resolves with the bound address; port 0 picks a free port. */
function listen(
  server: Server,
  port: number,
  host: string,
): Promise<{ url: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as AddressInfo).port;
      resolve({ url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, port: bound });
    });
  });
}
