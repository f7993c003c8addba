// node:http around Gateway.handle: reads the request (bounded), writes the answer. Nothing a
// client sends, and nothing a handler does, stops the listener.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway, GatewayRequest } from './gateway.js';
import { gatewayResponse, type GatewayResponse } from './responses.js';
import { randomUUID } from 'node:crypto';

export interface GatewayServerOptions {
  /** API Gateway's payload limit: 10 MB. */
  readonly maxBodyBytes?: number;
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

class TooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return reject(new TooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new TooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
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

function parseTarget(url: string | undefined): { path: string; query: Record<string, string[]>; rawQuery: string } | undefined {
  if (!url || !url.startsWith('/')) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://localhost');
  } catch {
    return undefined;
  }
  const query: Record<string, string[]> = {};
  for (const [k, v] of parsed.searchParams) (query[k] ??= []).push(v);
  return { path: parsed.pathname, query, rawQuery: parsed.search.replace(/^\?/, '') };
}

function send(res: ServerResponse, response: GatewayResponse): void {
  if (res.headersSent || res.destroyed) return;
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  res.statusCode = response.status;
  for (const [k, v] of Object.entries(response.headers)) res.setHeader(k, v as string | string[]);
  res.setHeader('content-length', body.length);
  res.end(body);
}

/** Waits for `ready` up to `timeoutMs`: whether it came in time (a rejection counts as not ready). */
function waitReady(ready: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  return Promise.race([ready.then(() => true, () => false), late]).finally(() => clearTimeout(timer));
}

const NOT_READY: GatewayResponse = { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: '{"message":"Service Unavailable: the local gateway is still starting"}' };

export function createGatewayServer(gateway: Gateway, options: GatewayServerOptions = {}): GatewayServer {
  const limit = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const log = options.log ?? (() => {});
  const mounts = options.mounts ?? [];
  let isReady = options.ready === undefined;
  void options.ready?.then(() => (isReady = true), () => {});
  const server = createServer((req, res) => {
    void (async () => {
      const target = parseTarget(req.url);
      if (!target) return send(res, gatewayResponse('BAD_REQUEST', randomUUID()));
      if (!isReady && !(await waitReady(options.ready!, options.readyTimeoutMs ?? 30_000))) {
        log({ event: 'request', method: req.method, path: target.path, status: 503, reason: 'NOT_READY' });
        return send(res, NOT_READY);
      }
      const mount = mounts.find((m) => m.matches(target.path, req.method ?? 'GET'));
      if (mount) {
        const started = performance.now();
        res.once('finish', () => log({ event: 'request', method: req.method, path: target.path, status: res.statusCode, served: mount.name, durationMs: Math.round(performance.now() - started) }));
        return await mount.handle(req, res);
      }
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (error) {
        res.setHeader('connection', 'close');
        const type = error instanceof TooLarge ? 'REQUEST_TOO_LARGE' : 'BAD_REQUEST';
        // The API's own gateway responses customise this refusal too (CORS headers on a 413).
        return send(res, gateway.respond ? gateway.respond(type, { requestId: randomUUID(), headers: headersOf(req) }) : gatewayResponse(type, randomUUID()));
      }
      const request: GatewayRequest = {
        method: req.method ?? 'GET',
        path: target.path,
        headers: headersOf(req),
        query: target.query,
        rawQuery: target.rawQuery,
        body,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      };
      send(res, await gateway.handle(request));
    })().catch((error: unknown) => {
      log({ event: 'server_error', message: (error as Error).message });
      send(res, gatewayResponse('INTERNAL_ERROR', randomUUID()));
    });
  });
  // Unparseable HTTP: answer 400 when the socket still can, never throw.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 25\r\nconnection: close\r\n\r\n{"message":"Bad Request"}');
    else socket.destroy();
  });
  return {
    server,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const bound = (server.address() as AddressInfo).port;
          resolve({ url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, port: bound });
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
