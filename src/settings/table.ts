// The settings table: every setting once, with its environment name (the Auth0 sample's names),
// its config-file key, type, bounds and default, and whether it belongs to one issuer or to all.
// The environment reader (env.ts), the config file's keys (file-forms.ts) and its validator
// (file-validate.ts), schema/tollgate.config.schema.json (config-schema.ts) and the README's
// configuration table (settings-docs.ts, with the doc lines of table-docs.ts) are derived from it. This module is in the Lambda bundle:
// it holds facts the code needs, not prose.
import { PRESETS } from './presets.js';

/** `issuer`: each issuer has its own; `shared`: one value for every issuer; `deployment`: where settings come from. */
export type SettingScope = 'issuer' | 'shared' | 'deployment';

interface Common {
  /** Where it is in a config file: `clockTolerance`, `jwks.maxAge`, `issuers[].audience`; undefined: environment only. */
  readonly file: string | undefined;
  readonly scope: SettingScope;
}

export type SettingSpec = Common &
  (
    | {
        readonly type: 'integer';
        readonly min: number;
        readonly max: number;
        readonly default: number;
      }
    | {
        readonly type: 'choice';
        readonly values: readonly string[];
        readonly default: string | undefined;
      }
    /**
     * A list in the file; in the environment, items separated by commas or spaces. `min`: the
     * fewest items a list that is given may hold.
     */
    | {
        readonly type: 'list';
        readonly default: readonly string[] | undefined;
        readonly min: number;
      }
    | { readonly type: 'text'; readonly default: string | undefined }
  );

// Helpers that keep the table short (it is in every cold start): shared unless `issuer()` says so.
const text = (file?: string, dflt?: string): SettingSpec => ({
  type: 'text',
  file,
  scope: 'shared',
  default: dflt,
});
const list = (file: string, dflt?: readonly string[], min = 0): SettingSpec => ({
  type: 'list',
  file,
  scope: 'shared',
  default: dflt,
  min,
});
const choice = (
  file: string | undefined,
  values: readonly string[],
  dflt?: string,
): SettingSpec => ({ type: 'choice', file, scope: 'shared', values, default: dflt });
const integer = (file: string, min: number, max: number, dflt: number): SettingSpec => ({
  type: 'integer',
  file,
  scope: 'shared',
  min,
  max,
  default: dflt,
});
/** One issuer's setting: in the file, a key of each `issuers[]` item. */
const issuer = (spec: SettingSpec): SettingSpec => ({
  ...spec,
  file: `issuers[].${spec.file}`,
  scope: 'issuer',
});

/** Every setting, in the README's order. */
export const SETTING_TABLE = {
  TOKEN_ISSUER: issuer(text('issuer')),
  AUDIENCE: issuer(list('audience', undefined, 1)),
  TOLLGATE_CONFIG: { ...text(), scope: 'deployment' } as SettingSpec,
  RULES_FILE: text('rules'),
  TOKEN_SOURCE: text('tokenSource', 'header:Authorization'),
  // Without route rules; with them, iam (authorizer-config.ts).
  V2_RESPONSE: choice('v2Response', ['simple', 'iam'], 'simple'),
  V2_SIMPLE_CACHE: choice(undefined, ['per-route', 'off']),
  JWKS_URI: issuer(text('jwksUri')),
  ALGORITHMS: issuer(list('algorithms', ['RS256'], 1)),
  TOKEN_SECRET: issuer(text('secret')),
  TOKEN_SECRET_FILE: issuer(text('secret')),
  PRESET: issuer(choice('preset', PRESETS, 'oidc')),
  TOKEN_USE: issuer(choice('tokenUse', ['access', 'id'], 'access')),
  SCOPE_CLAIMS: issuer(list('scopeClaims', undefined, 1)),
  GROUP_CLAIMS: issuer(list('groupClaims', undefined, 1)),
  CLOCK_TOLERANCE: integer('clockTolerance', 0, 300, 0),
  REQUIRED_SCOPES: issuer(list('requiredScopes', [])),
  SCOPE_MATCH: issuer(choice('scopeMatch', ['all', 'any'], 'all')),
  CONTEXT_CLAIMS: list('context.claims', ['scope']),
  USAGE_IDENTIFIER_CLAIM: text('usageIdentifierClaim'),
  POLICY_RESOURCE: choice('policyResource', ['stage', 'api'], 'stage'),
  TOKEN_MAX_LENGTH: integer('tokenMaxLength', 256, 65536, 10240),
  TOKEN_CACHE_SIZE: integer('tokenCacheSize', 0, 100000, 200),
  LOG_DECISIONS: choice('logDecisions', ['all', 'refusals'], 'refusals'),
  JWKS_TIMEOUT_MS: integer('jwks.timeoutMs', 100, 8000, 2500),
  JWKS_MAX_AGE: integer('jwks.maxAge', 1, 86400, 600),
  // Minimums of 1 s: a zero would let `no-store` or a flood of unknown kids turn requests into fetches.
  JWKS_MIN_AGE: integer('jwks.minAge', 1, 86400, 60),
  JWKS_COOLDOWN: integer('jwks.cooldown', 1, 3600, 30),
  JWKS_STALE_IF_ERROR: integer('jwks.staleIfError', 0, 86400, 3600),
} as const satisfies Readonly<Record<string, SettingSpec>>;

export type SettingName = keyof typeof SETTING_TABLE;

/** The settings of one issuer (with issuers in the config file, these are refused in the environment). */
export const ISSUER_SETTINGS = /* @__PURE__ */ (Object.keys(SETTING_TABLE) as SettingName[]).filter(
  (name) => SETTING_TABLE[name].scope === 'issuer',
);

/** Integer settings under `prefix` in the file (`''` for top-level keys, `jwks.`), by file key. */
export function integerSettings(
  prefix: string,
): Readonly<Record<string, { min: number; max: number; env: SettingName }>> {
  const out: Record<string, { min: number; max: number; env: SettingName }> = {};
  for (const [env, spec] of Object.entries(SETTING_TABLE) as [SettingName, SettingSpec][]) {
    if (spec.type !== 'integer' || !spec.file?.startsWith(prefix)) continue;
    const key = spec.file.slice(prefix.length);
    if (!key.includes('.')) out[key] = { min: spec.min, max: spec.max, env };
  }
  return out;
}

/** The one wording of a bound: `must be between 0 and 300, got 301`, or undefined when inside. */
export function boundsProblem(
  value: number,
  bounds: { readonly min: number; readonly max: number },
): string | undefined {
  return value < bounds.min || value > bounds.max
    ? `must be between ${bounds.min} and ${bounds.max}, got ${value}`
    : undefined;
}

/** The one wording of a choice: `must be one of all, any, got "most"` (`got` as the caller shows the value). */
export function choiceProblem(values: readonly string[], got: string): string {
  return `must be one of ${values.join(', ')}, got ${got}`;
}
