// `tollgate serve`, step one: the environment, the config file and its serve: section, and the
// flags, read and checked before anything starts.
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { validateUsagePlans, type UsagePlan } from '../gateway/usage-plans.js';
import { devIssuerFor, refuseHalfIssuer } from '../idp/dev-issuer.js';
import { configFilePath, formatConfigError, loadConfigFile } from '../settings/config-file.js';
import type { FileConfig } from '../settings/file-validate.js';
import { commandEnv } from './env-file.js';
import { readServeSettings, type ServeSettings } from './serve-settings.js';
import type { ServeOptions } from './serve-options.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What serve runs with, before it loads the API or starts a function. */
export interface ServeInputs {
  /** The process environment over --env-file (or ./.env). */
  readonly env: Env;
  /** --rules, else RULES_FILE. */
  readonly rulesFile: string | undefined;
  /** The validated config file (validated with a stand-in issuer when it names none). */
  readonly file: FileConfig | undefined;
  readonly settings: ServeSettings;
  /** serve.usagePlans, checked. */
  readonly plans: readonly UsagePlan[];
  /** No issuer anywhere: the development provider is the issuer. */
  readonly devMode: boolean;
  readonly port: number;
  /** The API: a document (--api, else serve.api) or a template (--template, else serve.template); a flag wins over the file's either. */
  readonly apiPath: string | undefined;
  readonly templatePath: string | undefined;
}

const NO_SETTINGS: ServeSettings = { functions: {}, stageVariables: {}, assumptions: {} };

export function readServeInputs(options: ServeOptions, err: (line: string) => void): ServeInputs {
  const env = commandEnv(options['env-file'], err);
  const configPath = configFilePath(options.config, env);
  // Without an issuer anywhere, the development provider is the issuer: the file may then omit issuers.
  const probe = configPath
    ? readConfig(configPath, {
        ...env,
        TOKEN_ISSUER: env.TOKEN_ISSUER?.trim() || devIssuerFor(3000),
      })
    : undefined;
  const settings = probe?.settings ?? NO_SETTINGS;
  const fileIssuers = probe?.file.issuers !== undefined;
  if (!fileIssuers) refuseHalfIssuer(env);
  const envIssuer = Boolean(env.TOKEN_ISSUER?.trim());
  const devMode = !envIssuer && !fileIssuers && settings.devProvider !== false;
  if (!envIssuer && !fileIssuers && !devMode)
    throw new UsageError(
      'no issuer: set TOKEN_ISSUER (and AUDIENCE), or issuers in the config file, or leave serve.devProvider on',
    );
  if (options.template && options.api)
    throw new UsageError('--template and --api name two APIs: give one');
  const apiPath = options.api ?? (options.template ? undefined : settings.api);
  const templatePath = options.template ?? (options.api ? undefined : settings.template);
  if (!apiPath && !templatePath)
    throw new UsageError(
      '--api FILE is required (or serve.api in the config file, or --template FILE)',
    );
  return {
    env,
    rulesFile: options.rules ?? (env.RULES_FILE?.trim() || undefined),
    file: probe?.file,
    settings,
    plans: probe?.plans ?? [],
    devMode,
    port: servePort(options.port, env.PORT, settings.port),
    apiPath,
    templatePath,
  };
}

/** --port, else PORT, else serve.port, else 3000. */
function servePort(flag: string | undefined, env: string | undefined, setting?: number): number {
  if (flag !== undefined) return parsePort(flag, '--port');
  if (env?.trim()) return parsePort(env, 'PORT');
  return setting ?? 3000;
}

function parsePort(value: string, what: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${what} must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

/** The config file and its serve: section, with every problem at FILE:LINE:COL. */
function readConfig(
  path: string,
  env: Env,
): { file: FileConfig; settings: ServeSettings; plans: UsagePlan[] | undefined } {
  const loaded = loadConfigFile(path, { env });
  if (!loaded.ok)
    throw new UsageError(
      formatConfigError(loaded.errors[0]!) +
        (loaded.errors.length > 1 ? ` (and ${loaded.errors.length - 1} more)` : ''),
    );
  const serve = readServeSettings(loaded.config.serve ?? {}, dirname(resolve(path)));
  if (!serve.ok)
    throw new UsageError(
      formatConfigError(loaded.errorAt(serve.issue.path, serve.issue.message, serve.issue.atKey)),
    );
  let plans: UsagePlan[] | undefined;
  if (serve.settings.usagePlans !== undefined) {
    const checked = validateUsagePlans(serve.settings.usagePlans);
    if (!checked.ok) {
      const issue = checked.issues[0]!;
      throw new UsageError(
        formatConfigError(loaded.errorAt(issue.path, issue.message, issue.atKey)),
      );
    }
    plans = checked.plans;
  }
  return { file: loaded.config, settings: serve.settings, plans };
}
