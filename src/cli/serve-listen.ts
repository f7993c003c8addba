// `tollgate serve`, step four: the server listens before the gateway exists (the development
// issuer's URL names the port it got); requests that come before the gateway, its functions and
// its mounts are ready wait for them.
import { UsageError } from '../core/errors.js';
import type { Gateway } from '../gateway/gateway.js';
import { createGatewayServer, type GatewayServer, type Mount } from '../gateway/server.js';

export interface Listening {
  readonly server: GatewayServer;
  readonly port: number;
  /** Mounts (the provider, the page) answer before the API; added until `open`. */
  readonly mounts: Mount[];
  /** Requests go to `gateway` from now on; those waiting are answered. */
  open(gateway: Gateway): void;
  /** Start-up failed: waiting requests fail and the server closes. */
  fail(error: unknown): Promise<void>;
}

export async function listen(
  port: number,
  log: (entry: Record<string, unknown>) => void,
): Promise<Listening> {
  const mounts: Mount[] = [];
  let gateway: Gateway | undefined;
  const front: Gateway = {
    get cache() {
      return gateway!.cache;
    },
    // The server waits for `ready` before it calls this: the gateway exists by then.
    handle: (req) => gateway!.handle(req),
    respond: (type, request) => gateway!.respond!(type, request),
  };
  let markReady!: () => void;
  let markFailed!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => {});
  const server = createGatewayServer(front, { mounts, log, ready });
  let bound: { port: number };
  try {
    bound = await server.listen(port);
  } catch (error) {
    throw new UsageError(
      `cannot listen on 127.0.0.1:${port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return {
    server,
    port: bound.port,
    mounts,
    open: (g) => {
      gateway = g;
      markReady();
    },
    fail: async (error) => {
      markFailed(error);
      await server.close();
    },
  };
}
