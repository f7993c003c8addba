import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  authorizerConfig,
  type Settings,
  type SettingsOverrides,
} from '../settings/authorizer-config.js';
import { formatConfigError, loadConfigFile } from '../settings/file.js';
import type { FileConfig, RulesSource } from '../settings/file-validate.js';
import { rulesEngine } from '../core/rules-engine.js';
import { UsageError } from '../core/errors.js';
import { formatRulesError, loadRulesFile } from './rules-command.js';

type Env = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER_ISSUER = 'https://issuer.invalid/';

const DEFAULT_FILES = ['tollgate.config.yaml', 'tollgate.config.yml', 'tollgate.config.json'];

/** The config file the CLI uses: --config, else TOLLGATE_CONFIG, else tollgate.config.yaml/.yml/.json here. */
export function configFilePath(option: string | undefined, env: Env): string | undefined {
  return option ?? (env.TOLLGATE_CONFIG?.trim() || DEFAULT_FILES.find((f) => existsSync(f)));
}

/** Loads and validates the config file (YAML or JSON), with FILE:LINE:COL in the one-line error. */
export function readConfigFile(path: string, env: Env): FileConfig {
  const result = loadConfigFile(path, { env });
  if (result.ok) return result.config;
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
  throw new UsageError(`${formatConfigError(result.errors[0]!)}${more}`);
}

/**
 * The authorizer's configuration as the CLI sees it: YAML or JSON files, rules files with line
 * numbers; `overrides` (flags, serve's own settings) win over the environment and the file.
 */
export function cliAuthorizerConfig(
  env: Env,
  file: FileConfig | undefined,
  overrides: SettingsOverrides = {},
): Settings {
  const readRules = (path: string): unknown => {
    const result = loadRulesFile(path);
    if (result.ok) return result.document;
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    throw new UsageError(`${formatRulesError(result.errors[0]!)}${more}`);
  };
  // A ConfigError (CONFIG_INVALID) exits 2 at the CLI's boundary.
  return authorizerConfig(env, { file, overrides, readRules, rulesEngine });
}

/**
 * The config file as the deployed function reads it: JSON, its rules file inlined, validated
 * first exactly as the CLI validates it (the rules the file names, not RULES_FILE). With
 * `placeholderSecrets`, secrets named by environment variable need not be set (a build machine
 * should not hold production secrets); their length is then checked in Lambda, at cold start.
 */
export function lambdaConfigDocument(
  path: string,
  env: Env,
  options: { placeholderSecrets?: boolean; placeholderIssuer?: boolean } = {},
): Record<string, unknown> {
  let document: Record<string, unknown> | undefined;
  try {
    document = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    // readConfigFile below reports the problem with its position.
  }
  const buildEnv: Record<string, string | undefined> = { ...env, RULES_FILE: undefined };
  // A file without issuers gets them from the function's environment at run time: stand-ins only
  // validate it here, and the document returned is the file's, never these values.
  const standIn =
    options.placeholderIssuer && document?.issuers === undefined && !env.TOKEN_ISSUER?.trim();
  const overrides: SettingsOverrides = standIn
    ? {
        issuer: {
          issuer: PLACEHOLDER_ISSUER,
          ...(env.AUDIENCE ? {} : { audiences: ['https://audience.invalid'] }),
        },
      }
    : {};
  const checked = readConfigFile(
    path,
    standIn ? { ...buildEnv, TOKEN_ISSUER: PLACEHOLDER_ISSUER } : buildEnv,
  );
  if (options.placeholderSecrets) {
    for (const issuer of checked.issuers ?? [])
      if (issuer.secret?.kind === 'env' && !buildEnv[issuer.secret.name])
        buildEnv[issuer.secret.name] = 'placeholder'.repeat(8);
  }
  cliAuthorizerConfig(buildEnv, checked, overrides);
  if (document === undefined) throw new UsageError(`${path}: cannot be read`);
  delete document.$schema;
  const inline = (source: RulesSource | undefined): unknown => {
    if (source?.kind !== 'file') return undefined;
    const rules = loadRulesFile(source.path);
    if (!rules.ok) throw new UsageError(formatRulesError(rules.errors[0]!));
    return rules.document;
  };
  if (checked.rules?.kind === 'file') document.rules = inline(checked.rules);
  const issuers = document.issuers as Record<string, unknown>[] | undefined;
  checked.issuers?.forEach((issuer, i) => {
    if (issuer.rules?.kind === 'file' && issuers?.[i]) issuers[i]!.rules = inline(issuer.rules);
  });
  return document;
}
