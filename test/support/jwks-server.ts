// A real JWKS endpoint on 127.0.0.1 whose behaviour each test can change.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type JwksMode =
  | { kind: 'keys' }
  | { kind: 'down' }
  | { kind: 'hang' }
  /** The keys, answered this many milliseconds after the request (a distant issuer). */
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: number }
  | { kind: 'body'; body: string | Buffer; contentType?: string }
  | { kind: 'redirect'; location: string };

export interface JwksServer {
  readonly url: string;
  readonly origin: string;
  /** Requests served to the JWKS path. */
  readonly hits: () => number;
  setKeys(jwks: readonly Record<string, unknown>[]): void;
  setMode(mode: JwksMode): void;
  setCacheControl(value: string | undefined): void;
  /** Serves an extra path (e.g. discovery documents). */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

export async function startJwksServer(
  initialKeys: readonly Record<string, unknown>[] = [],
): Promise<JwksServer> {
  let keys = [...initialKeys];
  let mode: JwksMode = { kind: 'keys' };
  let cacheControl: string | undefined;
  let hits = 0;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const extra = routes.get(path);
    if (extra) return extra(req, res);
    if (path !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    hits++;
    switch (mode.kind) {
      case 'keys':
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(cacheControl ? { 'cache-control': cacheControl } : {}),
        });
        res.end(JSON.stringify({ keys }));
        return;
      case 'down':
        req.socket.destroy();
        return;
      case 'hang':
        hanging.add(res);
        return;
      case 'delay': {
        hanging.add(res);
        const body = JSON.stringify({ keys });
        setTimeout(() => {
          hanging.delete(res);
          if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        }, mode.ms);
        return;
      }
      case 'status':
        res.writeHead(mode.status, { 'content-type': 'text/plain' }).end('error');
        return;
      case 'body':
        res
          .writeHead(200, { 'content-type': mode.contentType ?? 'application/json' })
          .end(mode.body);
        return;
      case 'redirect':
        res.writeHead(302, { location: mode.location }).end();
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/.well-known/jwks.json`,
    origin,
    hits: () => hits,
    setKeys: (k) => {
      keys = [...k];
    },
    setMode: (m) => {
      mode = m;
    },
    setCacheControl: (v) => {
      cacheControl = v;
    },
    route: (path, handler) => {
      routes.set(path, handler);
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An OpenID provider on 127.0.0.1: the JWKS server with a discovery document at its origin naming it. */
export async function startOidcProvider(
  initialKeys: readonly Record<string, unknown>[] = [],
): Promise<JwksServer> {
  const idp = await startJwksServer(initialKeys);
  idp.route('/.well-known/openid-configuration', (_req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ issuer: idp.origin, jwks_uri: idp.url }));
  });
  return idp;
}
