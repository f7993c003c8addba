import type { Server } from 'node:http';
import { DEV_AUDIENCE, DEV_ISSUER, loadDevKey, serveDevJwks } from './dev-issuer.js';
import { readEnvFile } from './env-file.js';

export interface ResolvedEnv {
  readonly env: Record<string, string | undefined>;
  /** Set when the development issuer stands in for a missing TOKEN_ISSUER. */
  readonly notice?: string;
  close(): Promise<void>;
}

/**
 * The environment a CLI command runs the handler with: the process environment, overridden by
 * `--env-file`. With no TOKEN_ISSUER at all, the development issuer is used and its JWKS served
 * on loopback, and the caller prints a notice: only the CLI has this default, never the handler.
 */
export async function resolveEnv(envFile: string | undefined): Promise<ResolvedEnv> {
  const env: Record<string, string | undefined> = { ...process.env, ...(envFile ? readEnvFile(envFile) : {}) };
  if (env.TOKEN_ISSUER?.trim()) return { env, close: async () => {} };
  const key = loadDevKey({ create: true })!;
  const { url, server } = await serveDevJwks(key);
  const devEnv = { ...env, TOKEN_ISSUER: DEV_ISSUER, AUDIENCE: env.AUDIENCE?.trim() || DEV_AUDIENCE, JWKS_URI: url, ALGORITHMS: 'RS256' };
  return {
    env: devEnv,
    notice: `no TOKEN_ISSUER configured: using the development issuer ${DEV_ISSUER} (audience ${devEnv.AUDIENCE}, key ${key.path})`,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}
