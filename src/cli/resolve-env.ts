import type { Server } from 'node:http';
import type { SettingsOverrides } from '../settings/authorizer-config.js';
import type { FileConfig } from '../settings/file-validate.js';
import type { IssuerInput } from '../settings/settings.js';
import {
  DEV_AUDIENCE,
  defaultDevIssuer,
  loadDevKey,
  refuseHalfIssuer,
  serveDevJwks,
} from '../idp/dev-issuer.js';
import { commandEnv } from './env-file.js';
import { configFilePath, readConfigFile } from '../settings/config-file.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ResolvedEnv {
  readonly env: Env;
  /** The config file, when one is used. */
  readonly file: FileConfig | undefined;
  /** The development issuer, when it stands in for a missing one: over the environment's. */
  readonly overrides: SettingsOverrides;
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
  if (env.TOKEN_ISSUER?.trim() || file?.issuers)
    return { env, file, overrides: {}, close: async () => {} };
  refuseHalfIssuer(env);
  const key = loadDevKey({ create: true })!;
  const { url, server } = await serveDevJwks(key);
  const devIssuer = defaultDevIssuer(env as NodeJS.ProcessEnv);
  const audience = env.AUDIENCE?.trim() || DEV_AUDIENCE;
  return {
    env,
    file,
    overrides: { issuer: devIssuerSettings(env.AUDIENCE, devIssuer, url) },
    notice: `no issuer configured: using the development issuer ${devIssuer} (audience ${audience}, key ${key.path})`,
    close: () => closeServer(server),
  };
}

/**
 * The development issuer as typed settings over the environment's: its URL, its keys (RS256 at
 * `jwksUri`, when served) and, unless AUDIENCE is set, its audience.
 */
export function devIssuerSettings(
  envAudience: string | undefined,
  issuer: string,
  jwksUri?: string,
): IssuerInput {
  return {
    issuer,
    ...(envAudience?.trim() ? {} : { audiences: [DEV_AUDIENCE] }),
    ...(jwksUri !== undefined ? { jwksUri, algorithms: ['RS256'] } : {}),
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}
