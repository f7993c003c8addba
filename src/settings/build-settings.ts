import type { RulesEngine } from '../core/rules-engine.js';
import { formatKeyPath } from '../core/key-path.js';
import type { CompiledRules } from '../core/rules-types.js';
import {
  DEFAULT_TOKEN_SOURCE,
  parseTokenSource,
  TokenSourceError,
  type TokenSource,
} from '../aws/token-source.js';
import { ConfigError } from './config-error.js';
import { issuerFromEnv, sharedFromEnv } from './env.js';
import type { RulesSource } from './file-validate.js';
import {
  choose,
  overlay,
  resolveIssuer,
  resolveShared,
  type IssuerInput,
  type IssuerSettings,
  type SharedInput,
  type SharedSettings,
} from './settings.js';

/** Everything one authorizer needs: the shared settings, its issuers, route rules, and how to read requests. */
export interface Settings {
  readonly shared: SharedSettings;
  /** One or more issuers, each with its own settings. */
  readonly issuers: readonly IssuerSettings[];
  /**
   * Route rules, compiled, with the engine that evaluates them (loaded only when rules are
   * configured): for requests without a token and for issuers without rules of their own.
   */
  readonly rules: { readonly compiled: CompiledRules; readonly engine: RulesEngine } | undefined;
  /** An issuer's own rules, by exact issuer: they replace `rules` for that issuer's tokens. */
  readonly issuerRules: ReadonlyMap<
    string,
    { readonly compiled: CompiledRules; readonly engine: RulesEngine }
  >;
  readonly tokenSource: TokenSource;
  /** HTTP API payload 2.0: `simple` ({ isAuthorized, context }) or `iam` (a policy). The event does not say. */
  readonly v2Response: 'simple' | 'iam';
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A validated config file as typed partial settings (file-input.ts makes it): nothing in it is
 * text to parse again. Undefined members: the file does not set them.
 */
export interface FileInput {
  readonly shared: SharedInput;
  /** Undefined: the file names no issuer, and TOKEN_ISSUER (environment) supplies the one issuer. */
  readonly issuers:
    readonly (IssuerInput & { readonly rules: RulesSource | undefined })[] | undefined;
  readonly rules: RulesSource | undefined;
  /** `header:Authorization`, as TOKEN_SOURCE spells it. */
  readonly tokenSource: string | undefined;
  readonly v2Response: 'simple' | 'iam' | undefined;
}

/**
 * Typed settings from CLI flags or `tollgate serve` (its development provider, its authorizers'
 * answer forms): they win over the environment and the file, and are validated with them.
 */
export interface SettingsOverrides {
  /** Over the environment's one issuer (TOKEN_ISSUER, AUDIENCE, ...); refused when the file lists issuers. */
  readonly issuer?: IssuerInput | undefined;
  /** A rules file (--rules), over RULES_FILE and the file's rules. */
  readonly rulesFile?: string | undefined;
  readonly v2Response?: 'simple' | 'iam' | undefined;
  /** How a simple answer is cached: per-route ($context.routeKey an identity source) or off (TTL 0). */
  readonly v2SimpleCache?: 'per-route' | 'off' | undefined;
}

export interface SettingsSources {
  /** A validated config file, if one is used. */
  readonly file?: FileInput | undefined;
  /** Flags and `serve`'s settings, over the environment and the file. */
  readonly overrides?: SettingsOverrides | undefined;
  /** Reads and parses a rules file (JSON in the Lambda; YAML or JSON from the CLI). Throws ConfigError. */
  readonly readRules?: (path: string) => unknown;
  /** The rules engine; required when rules are configured. */
  readonly rulesEngine?: RulesEngine;
}

/** Whether this environment and file configure route rules (so the caller loads the engine). */
export function rulesConfigured(env: Env, file: FileInput | undefined): boolean {
  return (
    Boolean(env.RULES_FILE?.trim()) ||
    file?.rules !== undefined ||
    Boolean(file?.issuers?.some((i) => i.rules !== undefined))
  );
}

/**
 * Builds the authorizer's settings from the environment and an optional config file: each source
 * becomes typed partial settings, merged (for shared settings an environment variable wins over
 * the file) and validated once. Issuers come from the file or from TOKEN_ISSUER, never both
 * (which one would the other settings belong to?).
 */
export function buildSettings(env: Env, sources: SettingsSources = {}): Settings {
  const file = sources.file;
  // An empty variable counts as unset: it must neither clear nor override the file.
  env = nonEmpty(env);
  const overrides = sources.overrides ?? {};
  if (overrides.issuer && file?.issuers)
    throw new ConfigError('issuers', 'are in the config file: no other issuer can be added');
  const envIssuer = (): IssuerInput => overlay(issuerFromEnv(env), overrides.issuer ?? {});
  const issuers = (file?.issuers ?? [envIssuer()]).map(resolveIssuer);
  const names = issuers.map((i) => i.issuer);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError('issuers', `lists ${JSON.stringify(twice)} twice`);
  const shared = resolveShared(overlay(file?.shared ?? {}, sharedFromEnv(env)));
  const tokenSource = readTokenSource(env.TOKEN_SOURCE ?? file?.tokenSource);
  const rules = readRulesSetting(overrides.rulesFile ?? env.RULES_FILE, file, sources);
  const issuerRules = new Map<string, NonNullable<Settings['rules']>>();
  file?.issuers?.forEach((issuer, i) => {
    if (issuer.rules)
      issuerRules.set(issuer.issuer!, compileRules(issuer.rules, `issuers[${i}].rules`, sources));
  });
  const v2 = {
    response: overrides.v2Response ?? env.V2_RESPONSE,
    simpleCache: overrides.v2SimpleCache ?? env.V2_SIMPLE_CACHE,
  };
  const v2Response = readV2Response(v2, file, rules !== undefined || issuerRules.size > 0);
  return { shared, issuers, rules, issuerRules, tokenSource, v2Response };
}

/** With route rules, IAM answers by default: a cached simple `isAuthorized: true` would open every route. */
function readV2Response(
  given: { readonly response: string | undefined; readonly simpleCache: string | undefined },
  file: FileInput | undefined,
  anyRules: boolean,
): 'simple' | 'iam' {
  const v2 = choose<'simple' | 'iam'>(
    'V2_RESPONSE',
    given.response ?? file?.v2Response ?? (anyRules ? 'iam' : 'simple'),
  );
  if (v2 === 'simple' && anyRules) {
    const cache = given.simpleCache?.trim();
    if (cache !== 'per-route' && cache !== 'off') {
      throw new ConfigError(
        'V2_RESPONSE',
        "is simple with route rules: API Gateway would reuse one route's isAuthorized for every route. Use V2_RESPONSE=iam, or set V2_SIMPLE_CACHE=per-route (identity sources include $context.routeKey) or off (result TTL 0)",
      );
    }
  }
  return v2;
}

/** The variables that are set: an empty one counts as unset. */
export function nonEmpty(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') out[k] = v;
  return out;
}

function readTokenSource(spec: string | undefined): TokenSource {
  if (spec === undefined || !spec.trim()) return DEFAULT_TOKEN_SOURCE;
  try {
    return parseTokenSource(spec.trim());
  } catch (error) {
    if (error instanceof TokenSourceError) throw new ConfigError('TOKEN_SOURCE', error.message);
    throw error;
  }
}

function readRulesSetting(
  rulesFile: string | undefined,
  file: FileInput | undefined,
  sources: SettingsSources,
): Settings['rules'] {
  const path = rulesFile?.trim();
  if (path) return compileRules({ kind: 'file', path }, `RULES_FILE (${path})`, sources);
  return file?.rules ? compileRules(file.rules, 'rules', sources) : undefined;
}

/** Reads (a path) or takes (inline) a rules document and compiles it; errors name where it came from. */
function compileRules(
  source: RulesSource,
  setting: string,
  { readRules, rulesEngine }: SettingsSources,
): NonNullable<Settings['rules']> {
  let document: unknown;
  let where = setting;
  if (source.kind === 'file') {
    if (!readRules) throw new ConfigError(setting, 'cannot be read here');
    document = readRules(source.path);
    if (!setting.includes('(')) where = `${setting} (${source.path})`;
  } else document = source.document;
  if (!rulesEngine) throw new ConfigError(where, 'needs the rules engine, which was not loaded');
  const result = rulesEngine.validateRules(document);
  if (!result.ok) {
    const first = result.errors[0]!;
    throw new ConfigError(
      where,
      `is invalid: ${formatKeyPath(first.path)} ${first.message}${result.errors.length > 1 ? ` (and ${result.errors.length - 1} more; run tollgate rules check)` : ''}`,
    );
  }
  return { compiled: result.rules, engine: rulesEngine };
}
