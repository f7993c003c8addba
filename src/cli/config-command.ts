import type { FileConfig } from '../settings/file-validate.js';
import type { SettingsOverrides } from '../settings/authorizer-config.js';
import { DEV_ISSUER } from '../idp/dev-issuer.js';
import { devIssuerSettings } from './resolve-env.js';
import { cliAuthorizerConfig, configFilePath, readConfigFile } from '../settings/config-file.js';
import { EXIT, UsageError } from '../core/errors.js';

export const CONFIG_HELP = `Usage: tollgate config check [FILE]

Validates a tollgate.config.yaml or .json (default: TOLLGATE_CONFIG, or tollgate.config.yaml,
.yml or .json in this folder) together with the environment and the rules file it names, as the
handler would at cold start. A file with a serve: section and no issuer is checked as 'tollgate
serve' runs it, with its development provider as the issuer. Errors point at FILE:LINE:COL.
Exit 0 when valid, 2 otherwise. The JSON Schema for editors is schema/tollgate.config.schema.json.`;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The file and the environment to check it with. Without an issuer anywhere, a file `tollgate
 * serve` runs with its development provider is checked with that provider as the issuer, as serve
 * does; any other file must name its issuer.
 */
function fileAndIssuer(
  path: string,
  env: Env,
): { file: FileConfig; overrides: SettingsOverrides; devProvider: boolean } {
  if (!env.TOKEN_ISSUER?.trim()) {
    // The file's issuers-required check reads TOKEN_ISSUER: a stand-in says one will be there.
    const file = readConfigFile(path, { ...env, TOKEN_ISSUER: DEV_ISSUER });
    if (!file.issuers && file.serve !== undefined && file.serve.devProvider !== false)
      return {
        file,
        overrides: { issuer: devIssuerSettings(env.AUDIENCE, DEV_ISSUER) },
        devProvider: true,
      };
  }
  return { file: readConfigFile(path, env), overrides: {}, devProvider: false };
}

export function configCommand(args: string[], out: (line: string) => void): number {
  if (args.includes('-h') || args.includes('--help')) return (out(CONFIG_HELP), EXIT.allow);
  const [sub, fileArg, ...extra] = args;
  if (sub !== 'check')
    throw new UsageError(`config takes the subcommand check, got ${JSON.stringify(sub ?? '')}`);
  if (extra.length) throw new UsageError('config check takes at most one file');
  const path = configFilePath(fileArg, process.env);
  if (!path)
    throw new UsageError(
      'no config file: give FILE, set TOLLGATE_CONFIG, or create tollgate.config.yaml',
    );
  const { file, overrides, devProvider } = fileAndIssuer(path, process.env);
  const config = cliAuthorizerConfig(process.env, file, overrides);
  const rules = config.rules
    ? `${config.rules.compiled.routes.length} routes, default ${config.rules.compiled.default}`
    : 'no route rules';
  const issuers = devProvider
    ? "the development provider of 'tollgate serve' (deployed, the handler needs TOKEN_ISSUER or issuers)"
    : `${config.issuers.length} issuer${config.issuers.length === 1 ? '' : 's'} (${config.issuers.map((i) => i.issuer).join(', ')})`;
  out(
    `${path}: valid. ${issuers}; ${rules}; token from ${config.tokenSource.kind}:${config.tokenSource.name}; HTTP API 2.0 answers ${config.v2Response}.`,
  );
  return EXIT.allow;
}
