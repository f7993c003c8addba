// The config file as the CLI (and `npm run bundle`) reads it: tollgate.config.yaml or .json,
// found by --config, TOLLGATE_CONFIG or its default names, parsed by the one positioned YAML
// loader (yaml-position.ts; JSON is YAML 1.2, so positions work alike for both) and validated
// (file-validate.ts), every problem at its line and column; with its rules files (rules-file.ts)
// it gives the authorizer's settings. The deployed function reads JSON only, without this
// module's YAML parser: deployed-config.ts.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { rulesEngine } from '../core/rules-engine.js';
import { authorizerConfig, type Settings, type SettingsOverrides } from './authorizer-config.js';
import {
  formatConfigPath,
  validateConfigDocument,
  type ConfigPath,
  type FileConfig,
  type RulesSource,
} from './file-validate.js';
import { isDoc } from './file-check.js';
import { formatRulesError, loadRulesFile } from './rules-file.js';
import { loadPositioned, readText, type PositionedError } from './yaml-position.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A problem in a config file, at a position (1-based; 0 when there is none, as for a missing file). */
export type ConfigFileError = PositionedError;

export type LoadConfigResult =
  | {
      ok: true;
      config: FileConfig;
      /**
       * A positioned error for a path of this file, e.g. for the rules engine's errors on inline
       * rules: `errorAt(['rules', ...e.path], e.message, e.atKey)`. `atKey`: at the key, not its value.
       */
      errorAt(path: ConfigPath, message: string, atKey?: boolean): ConfigFileError;
    }
  | { ok: false; errors: ConfigFileError[] };

export interface LoadConfigOptions {
  /** Consulted only for TOKEN_ISSUER (`issuers` may then be left out). Default: process.env. */
  readonly env?: Env;
}

/** `FILE:LINE:COL: <key path> <problem>`, or `FILE: <problem>` when there is no position. */
export function formatConfigError(e: ConfigFileError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file;
  const key = formatConfigPath(e.path);
  return `${where}: ${key ? `${key} ` : ''}${e.message}`;
}

/**
 * Reads, parses and validates a config file (YAML or JSON, by content, whatever its extension).
 * Relative paths in it are resolved against its folder. Never reads the secrets it names.
 */
export function loadConfigFile(path: string, options: LoadConfigOptions = {}): LoadConfigResult {
  const read = readText(path);
  if ('why' in read) {
    const where = resolve(path) === path ? '' : ` (${resolve(path)})`;
    const message = `cannot read the config file: ${read.why}${where}`;
    return { ok: false, errors: [{ file: path, line: 0, column: 0, path: [], message }] };
  }
  return loadConfigSource(read.text, path, {
    env: options.env ?? process.env,
    baseDir: dirname(resolve(path)),
  });
}

/**
 * Parses and validates config text as if read from `file` (named in errors). `baseDir` resolves
 * relative paths (default: the folder of `file`).
 */
export function loadConfigSource(
  source: string,
  file: string,
  options: LoadConfigOptions & { readonly baseDir?: string } = {},
): LoadConfigResult {
  const result = loadPositioned(source, file, (document) => {
    const checked = validateConfigDocument(document, {
      env: options.env ?? process.env,
      baseDir: options.baseDir ?? dirname(resolve(file)),
    });
    return checked.ok ? { ok: true, value: checked.config } : checked;
  });
  return result.ok ? { ok: true, config: result.value, errorAt: result.errorAt } : result;
}

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

/** A rules file's plain data, or a UsageError naming its first problem at its line and column. */
function readRulesFile(path: string): unknown {
  const result = loadRulesFile(path);
  if (result.ok) return result.document;
  const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
  throw new UsageError(`${formatRulesError(result.errors[0]!)}${more}`);
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
  // A ConfigError (CONFIG_INVALID) exits 2 at the CLI's boundary.
  return authorizerConfig(env, { file, overrides, readRules: readRulesFile, rulesEngine });
}

const PLACEHOLDER_ISSUER = 'https://issuer.invalid/';

/** The file's plain data, as written; undefined when it cannot be read or parsed (validation says why). */
function plainDocument(path: string): Record<string, unknown> | undefined {
  const read = readText(path);
  if ('why' in read) return undefined;
  const loaded = loadPositioned(read.text, path, (value) => ({ ok: true, value }));
  return loaded.ok && isDoc(loaded.document) ? loaded.document : undefined;
}

/** The file checked with stand-ins for what only the function's environment holds. */
function checkedForBuild(
  path: string,
  document: Record<string, unknown> | undefined,
  env: Env,
  options: { placeholderSecrets?: boolean; placeholderIssuer?: boolean },
): { env: Record<string, string | undefined>; checked: FileConfig; overrides: SettingsOverrides } {
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
  return { env: buildEnv, checked, overrides };
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
  const document = plainDocument(path);
  const build = checkedForBuild(path, document, env, options);
  cliAuthorizerConfig(build.env, build.checked, build.overrides);
  if (document === undefined) throw new UsageError(`${path}: cannot be read`);
  delete document.$schema;
  const inline = (source: RulesSource | undefined): unknown =>
    source?.kind === 'file' ? readRulesFile(source.path) : undefined;
  if (build.checked.rules?.kind === 'file') document.rules = inline(build.checked.rules);
  const issuers = document.issuers as Record<string, unknown>[] | undefined;
  build.checked.issuers?.forEach((issuer, i) => {
    if (issuer.rules?.kind === 'file' && issuers?.[i]) issuers[i]!.rules = inline(issuer.rules);
  });
  return document;
}
