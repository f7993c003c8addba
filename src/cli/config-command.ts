import { cliAuthorizerConfig, configFilePath, readConfigFile } from './load-config.js';
import { EXIT, UsageError } from './errors.js';

export const CONFIG_HELP = `Usage: tollgate config check [FILE]

Validates a tollgate.config.yaml or .json (default: TOLLGATE_CONFIG, or tollgate.config.yaml,
.yml or .json in this folder) together with the environment and the rules file it names, as the
handler would at cold start. Errors point at FILE:LINE:COL. Exit 0 when valid, 2 otherwise.
The JSON Schema for editors is schema/tollgate.config.schema.json.`;

export function configCommand(args: string[], out: (line: string) => void): number {
  if (args.includes('-h') || args.includes('--help')) return out(CONFIG_HELP), EXIT.allow;
  const [sub, file, ...extra] = args;
  if (sub !== 'check') throw new UsageError(`config takes the subcommand check, got ${JSON.stringify(sub ?? '')}`);
  if (extra.length) throw new UsageError('config check takes at most one file');
  const path = configFilePath(file, process.env);
  if (!path) throw new UsageError('no config file: give FILE, set TOLLGATE_CONFIG, or create tollgate.config.yaml');
  const config = cliAuthorizerConfig(process.env, readConfigFile(path, process.env));
  const rules = config.rules ? `${config.rules.compiled.routes.length} routes, default ${config.rules.compiled.default}` : 'no route rules';
  out(`${path}: valid. ${config.issuers.length} issuer${config.issuers.length === 1 ? '' : 's'} (${config.issuers.map((i) => i.issuer).join(', ')}); ${rules}; token from ${config.tokenSource.kind}:${config.tokenSource.name}; HTTP API 2.0 answers ${config.v2Response}.`);
  return EXIT.allow;
}
