// A local gateway for one API document over real HTTP on 127.0.0.1 (port 0), closed after the file's tests.
import { after } from 'node:test';
import { createGateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import type { LambdaHandler } from '../../src/gateway/invoke.js';
import { parseApi } from '../../src/gateway/openapi.js';
import {
  createGatewayServer,
  type GatewayServer,
  type GatewayServerOptions,
} from '../../src/gateway/server.js';

/** Returns `start(yaml)`, which serves the document with these functions and resolves with its URL. */
export function gatewayStarter(
  functions: Record<string, LambdaHandler>,
): (
  yaml: string,
  options?: Partial<GatewayOptions>,
  server?: GatewayServerOptions,
) => Promise<string> {
  const servers: GatewayServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  return async (yaml, options = {}, serverOptions = {}) => {
    const gateway = createGateway({
      api: parseApi(yaml, 'api.yaml'),
      functions: new Map(Object.entries(functions)),
      log: () => {},
      ...options,
    });
    const server = createGatewayServer(gateway, serverOptions);
    servers.push(server);
    return (await server.listen(0)).url;
  };
}
