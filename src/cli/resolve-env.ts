import type { Server } from 'node:http';
import type { FileConfig } from '../settings/file-validate.js';
import {
  DEV_AUDIENCE,
  defaultDevIssuer,
  loadDevKey,
  refuseHalfIssuer,
  serveDevJwks,
} from '../idp/dev-issuer.js';
import { commandEnv } from './env-file.js';
import { configFilePath, readConfigFile } from './load-config.js';

export interface ResolvedEnv {
  readonly env: Record<string, string | undefined>;
  /** The config file, when one is used. */
  readonly file: FileConfig | undefined;
  /** Set when the development issuer stands in for a missing issuer. */
  readonly notice?: string;
  close(): Promise<void>;
}

/**
 * The settings a CLI command runs the handler with: the process environment over `--env-file` (or
 * `./.env`), and the config file (--config, TOLLGATE_CONFIG or tollgate.config.yaml here). With
 * no issuer anywhere, the development issuer is used and its JWKS served on loopback, and the
 * caller prints a notice: only the CLI has this default, never the handler.
 */
export async function resolveEnv(
  envFile: string | undefined,
  configOption: string | undefined,
  note: (line: string) => void,
): Promise<ResolvedEnv> {
  const env = commandEnv(envFile, note);
  const path = configFilePath(configOption, env);
  const file = path ? readConfigFile(path, env) : undefined;
  if (env.TOKEN_ISSUER?.trim() || file?.issuers) return { env, file, close: async () => {} };
  refuseHalfIssuer(env);
  const key = loadDevKey({ create: true })!;
  const { url, server } = await serveDevJwks(key);
  const devIssuer = defaultDevIssuer(env as NodeJS.ProcessEnv);
  const devEnv = {
    ...env,
    TOKEN_ISSUER: devIssuer,
    AUDIENCE: env.AUDIENCE?.trim() || DEV_AUDIENCE,
    JWKS_URI: url,
    ALGORITHMS: 'RS256',
  };
  return {
    env: devEnv,
    file,
    notice: `no issuer configured: using the development issuer ${devIssuer} (audience ${devEnv.AUDIENCE}, key ${key.path})`,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}
