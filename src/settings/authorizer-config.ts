import type { RulesEngine } from '../core/rules-engine.js';
import { formatKeyPath } from '../core/key-path.js';
import type { CompiledRules } from '../core/rules-types.js';
import {
  DEFAULT_TOKEN_SOURCE,
  parseTokenSource,
  TokenSourceError,
  type TokenSource,
} from '../aws/token-source.js';
import { ConfigError, configFromEnv, type TollgateConfig } from './env.js';
import type { FileConfig, FileIssuer, RulesSource } from './file-validate.js';
import { ISSUER_SETTINGS, type SettingName } from './table.js';

/** Everything one authorizer needs: its issuers (each complete), route rules, and how to read requests. */
export interface AuthorizerConfig {
  /** One or more issuers; each carries the shared settings too. */
  readonly issuers: readonly TollgateConfig[];
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

export interface ConfigSources {
  /** A validated config file, if one is used. */
  readonly file?: FileConfig | undefined;
  /** Reads and parses a rules file (JSON in the Lambda; YAML or JSON from the CLI). Throws ConfigError. */
  readonly readRules?: (path: string) => unknown;
  /** The rules engine; required when rules are configured. */
  readonly rulesEngine?: RulesEngine;
}

/** Whether this environment and file configure route rules (so the caller loads the engine). */
export function rulesConfigured(env: Env, file: FileConfig | undefined): boolean {
  return (
    Boolean(env.RULES_FILE?.trim()) ||
    file?.rules !== undefined ||
    Boolean(file?.issuers?.some((i) => i.rules !== undefined))
  );
}

/**
 * Builds the authorizer's configuration from the environment and an optional config file. The
 * file's settings become environment-style settings and go through the same validation; a variable
 * set in the environment wins over the file for shared settings. Issuers come from the file or
 * from TOKEN_ISSUER, never both (which one would the other settings belong to?).
 */
export function authorizerConfig(env: Env, sources: ConfigSources = {}): AuthorizerConfig {
  const file = sources.file;
  // An empty variable counts as unset: it must neither clear nor override the file.
  env = pick(env, () => true);
  const shared: Record<string, string | undefined> = {
    ...(file ? sharedFromFile(file) : {}),
    ...pick(env, (k) => !ISSUER_SETTINGS.includes(k as SettingName)),
  };
  let issuers: TollgateConfig[];
  if (file?.issuers) {
    // Which of the file's issuers would an issuer variable belong to? Refuse rather than ignore it.
    const stray = ISSUER_SETTINGS.find((k) => env[k] !== undefined);
    if (stray)
      throw new ConfigError(
        stray,
        'is set and the config file lists issuers: set it per issuer in the file',
      );
    issuers = file.issuers.map((issuer) =>
      configFromEnv({ ...shared, ...issuerFromFile(issuer, env) }),
    );
    const names = issuers.map((i) => i.issuer);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new ConfigError('issuers', `lists ${JSON.stringify(twice)} twice`);
  } else {
    issuers = [
      configFromEnv({ ...shared, ...pick(env, (k) => ISSUER_SETTINGS.includes(k as SettingName)) }),
    ];
  }

  const tokenSource = readTokenSource(
    env.TOKEN_SOURCE ??
      (file?.tokenSource ? `${file.tokenSource.kind}:${file.tokenSource.name}` : undefined),
  );
  const rules = readRulesSetting(env, file, sources);
  const issuerRules = new Map<string, NonNullable<AuthorizerConfig['rules']>>();
  file?.issuers?.forEach((issuer, i) => {
    if (issuer.rules)
      issuerRules.set(issuer.issuer, compileRules(issuer.rules, `issuers[${i}].rules`, sources));
  });
  // With route rules, IAM answers by default: a cached simple `isAuthorized: true` would open every route.
  const anyRules = rules !== undefined || issuerRules.size > 0;
  const v2 = (env.V2_RESPONSE ?? file?.v2Response ?? (anyRules ? 'iam' : 'simple')).trim();
  if (v2 !== 'simple' && v2 !== 'iam')
    throw new ConfigError('V2_RESPONSE', `must be simple or iam, got ${JSON.stringify(v2)}`);
  if (v2 === 'simple' && anyRules) {
    const cache = env.V2_SIMPLE_CACHE?.trim();
    if (cache !== 'per-route' && cache !== 'off') {
      throw new ConfigError(
        'V2_RESPONSE',
        "is simple with route rules: API Gateway would reuse one route's isAuthorized for every route. Use V2_RESPONSE=iam, or set V2_SIMPLE_CACHE=per-route (identity sources include $context.routeKey) or off (result TTL 0)",
      );
    }
  }
  return { issuers, rules, issuerRules, tokenSource, v2Response: v2 };
}

function pick(env: Env, keep: (key: string) => boolean): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env))
    if (keep(k) && v !== undefined && v.trim() !== '') out[k] = v;
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
  env: Env,
  file: FileConfig | undefined,
  sources: ConfigSources,
): AuthorizerConfig['rules'] {
  const path = env.RULES_FILE?.trim();
  if (path) return compileRules({ kind: 'file', path }, `RULES_FILE (${path})`, sources);
  return file?.rules ? compileRules(file.rules, 'rules', sources) : undefined;
}

/** Reads (a path) or takes (inline) a rules document and compiles it; errors name where it came from. */
function compileRules(
  source: RulesSource,
  setting: string,
  { readRules, rulesEngine }: ConfigSources,
): NonNullable<AuthorizerConfig['rules']> {
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

function sharedFromFile(file: FileConfig): Record<string, string | undefined> {
  const j = file.jwks;
  const str = (n: number | undefined): string | undefined =>
    n === undefined ? undefined : String(n);
  return {
    CONTEXT_CLAIMS: file.context
      ? file.context.claims
          .map((c) => (file.context!.rename[c] ? `${c}=${file.context!.rename[c]}` : c))
          .join(',')
      : undefined,
    USAGE_IDENTIFIER_CLAIM: file.usageIdentifierClaim,
    POLICY_RESOURCE: file.policyResource,
    CLOCK_TOLERANCE: str(file.clockTolerance),
    TOKEN_MAX_LENGTH: str(file.tokenMaxLength),
    TOKEN_CACHE_SIZE: str(file.tokenCacheSize),
    LOG_DECISIONS: file.logDecisions,
    JWKS_TIMEOUT_MS: str(j.timeoutMs),
    JWKS_MAX_AGE: str(j.maxAge),
    JWKS_MIN_AGE: str(j.minAge),
    JWKS_COOLDOWN: str(j.cooldown),
    JWKS_STALE_IF_ERROR: str(j.staleIfError),
  };
}

function issuerFromFile(issuer: FileIssuer, env: Env): Record<string, string | undefined> {
  const secret = issuer.secret;
  if (issuer.issuer !== issuer.issuer.trim())
    throw new ConfigError(
      'issuers',
      `issuer ${JSON.stringify(issuer.issuer)} has surrounding spaces`,
    );
  // Lists become comma-separated settings: an item holding a comma or a space would split in two.
  for (const [key, list] of [
    ['audience', issuer.audience],
    ['requiredScopes', issuer.requiredScopes],
    ['scopeClaims', issuer.scopeClaims ?? []],
    ['groupClaims', issuer.groupClaims ?? []],
  ] as const) {
    const bad = list.find((item) => /[\s,]/.test(item));
    if (bad !== undefined)
      throw new ConfigError(
        'issuers',
        `${issuer.issuer}: ${key} item ${JSON.stringify(bad)} contains a comma or a space`,
      );
  }
  let TOKEN_SECRET: string | undefined;
  if (secret?.kind === 'env') {
    TOKEN_SECRET = env[secret.name];
    if (!TOKEN_SECRET)
      throw new ConfigError(secret.name, `is not set (the secret of issuer ${issuer.issuer})`);
  }
  return {
    TOKEN_ISSUER: issuer.issuer,
    AUDIENCE: issuer.audience.join(','),
    ALGORITHMS: issuer.algorithms.join(','),
    JWKS_URI: issuer.jwksUri?.href,
    TOKEN_SECRET,
    TOKEN_SECRET_FILE: secret?.kind === 'file' ? secret.path : undefined,
    PRESET: issuer.preset,
    TOKEN_USE: issuer.preset === 'cognito' ? issuer.tokenUse : undefined,
    SCOPE_CLAIMS: issuer.scopeClaims?.join(','),
    GROUP_CLAIMS: issuer.groupClaims?.join(','),
    REQUIRED_SCOPES: issuer.requiredScopes.join(' '),
    SCOPE_MATCH: issuer.scopeMatch,
  };
}
