// The settings model: typed partial settings (from the environment, a config file, CLI flags or
// `serve`'s overrides), merged, then checked together and completed with their defaults once,
// here. Problems are ConfigErrors naming the setting by its environment name (table.ts).
import { ALGORITHM_SPECS, type Algorithm } from '../core/algorithms.js';
import type { ContextClaim } from '../core/context.js';
import type { ScopeMatch } from '../core/scopes.js';
import { checkKeyUrl } from '../keys/key-url.js';
import { ConfigError } from './config-error.js';
import { checkPresetIssuer, presetClaims, type PresetName } from './presets.js';
import { algorithmProblem, envName, PROBLEMS } from './problems.js';
import { choiceProblem, SETTING_TABLE, type SettingName, type SettingSpec } from './table.js';

// Not an ESM import: the deployed bundle reads its settings with this module at cold start
// (lambda/log-line.ts says why).
const { readFileSync } = process.getBuiltinModule('node:fs');

/** One issuer's own settings, validated and complete. */
export interface IssuerSettings {
  readonly issuer: string;
  /** Absent: found through the issuer's OpenID discovery document (or unused with a secret). */
  readonly jwksUri: URL | undefined;
  /** The HMAC secret of an issuer that signs with HS256/384/512; such an issuer has no JWKS. */
  readonly secret: Buffer | undefined;
  readonly audiences: readonly string[];
  readonly algorithms: readonly Algorithm[];
  readonly requiredScopes: readonly string[];
  readonly scopeMatch: ScopeMatch;
  readonly preset: PresetName;
  /** Where scopes and groups are read, and where the audience is (from the preset unless overridden). */
  readonly scopeClaims: readonly string[];
  readonly groupClaims: readonly string[];
  readonly audienceClaim: 'aud' | 'client_id';
  /** Amazon Cognito: the token_use every token must carry. */
  readonly tokenUse: 'access' | 'id' | undefined;
}

/** The settings every issuer shares, validated and complete. */
export interface SharedSettings {
  readonly clockTolerance: number;
  readonly contextClaims: readonly ContextClaim[];
  /** A claim whose value becomes usageIdentifierKey, for API Gateway usage plans (REST). */
  readonly usageIdentifierClaim: string | undefined;
  readonly maxTokenLength: number;
  readonly policyResource: 'stage' | 'api';
  readonly tokenCacheSize: number;
  /** `refusals` leaves Allow decisions out of the log (high-volume APIs); failures are always logged. */
  readonly logDecisions: 'all' | 'refusals';
  readonly jwks: {
    readonly timeoutMs: number;
    readonly maxBytes: number;
    readonly maxAgeSeconds: number;
    readonly minAgeSeconds: number;
    readonly cooldownSeconds: number;
    readonly staleIfErrorSeconds: number;
  };
}

/** What one issuer's verifier runs under: its own settings and the shared ones. */
export type VerifierSettings = IssuerSettings & SharedSettings;

/** Where an HMAC secret comes from, named by the setting that gave it. */
export type SecretInput =
  | { readonly setting: 'TOKEN_SECRET'; readonly text: string }
  | { readonly setting: 'TOKEN_SECRET_FILE'; readonly path: string };

/** One issuer's settings as given (lists already lists); checked together by resolveIssuer. */
export interface IssuerInput {
  readonly issuer?: string | undefined;
  readonly jwksUri?: string | undefined;
  readonly secret?: SecretInput | undefined;
  readonly audiences?: readonly string[] | undefined;
  readonly algorithms?: readonly string[] | undefined;
  readonly preset?: string | undefined;
  readonly tokenUse?: string | undefined;
  readonly scopeClaims?: readonly string[] | undefined;
  readonly groupClaims?: readonly string[] | undefined;
  readonly requiredScopes?: readonly string[] | undefined;
  readonly scopeMatch?: string | undefined;
}

type IntegerSetting =
  | 'CLOCK_TOLERANCE'
  | 'TOKEN_MAX_LENGTH'
  | 'TOKEN_CACHE_SIZE'
  | 'JWKS_TIMEOUT_MS'
  | 'JWKS_MAX_AGE'
  | 'JWKS_MIN_AGE'
  | 'JWKS_COOLDOWN'
  | 'JWKS_STALE_IF_ERROR';

/** The shared settings as given, by environment name; each already of its type and in bounds. */
export type SharedInput = { readonly [K in IntegerSetting]?: number | undefined } & {
  readonly POLICY_RESOURCE?: 'stage' | 'api' | undefined;
  readonly LOG_DECISIONS?: 'all' | 'refusals' | undefined;
  readonly USAGE_IDENTIFIER_CLAIM?: string | undefined;
  readonly CONTEXT_CLAIMS?: readonly ContextClaim[] | undefined;
};

/** `a` with the defined members of `b` over it: a later source wins only where it says something. */
export function overlay<T extends object>(a: T, b: T): T {
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** A choice setting's value (trimmed), or its default; refused when it is not one of the values. */
export function choose<T extends string>(name: SettingName, raw: string | undefined): T {
  const spec: SettingSpec = SETTING_TABLE[name];
  const values = spec.type === 'choice' ? spec.values : [];
  const value = (raw ?? (spec.default as string | undefined) ?? '').trim();
  if (!values.includes(value))
    throw new ConfigError(name, choiceProblem(values, JSON.stringify(value)));
  return value as T;
}

function defaultOf(name: IntegerSetting): number {
  return (SETTING_TABLE[name] as SettingSpec).default as number;
}

/** The shared settings with their defaults; JWKS_MIN_AGE must not exceed JWKS_MAX_AGE. */
export function resolveShared(input: SharedInput): SharedSettings {
  const int = (name: IntegerSetting): number => input[name] ?? defaultOf(name);
  const maxAgeSeconds = int('JWKS_MAX_AGE');
  const minAgeSeconds = int('JWKS_MIN_AGE');
  if (minAgeSeconds > maxAgeSeconds)
    throw new ConfigError('JWKS_MIN_AGE', PROBLEMS.minAge(envName, minAgeSeconds, maxAgeSeconds));
  const contextDefault = SETTING_TABLE.CONTEXT_CLAIMS.default as readonly string[];
  return {
    clockTolerance: int('CLOCK_TOLERANCE'),
    contextClaims: input.CONTEXT_CLAIMS ?? contextDefault.map((claim) => ({ claim, name: claim })),
    usageIdentifierClaim: input.USAGE_IDENTIFIER_CLAIM,
    maxTokenLength: int('TOKEN_MAX_LENGTH'),
    policyResource: input.POLICY_RESOURCE ?? choose('POLICY_RESOURCE', undefined),
    tokenCacheSize: int('TOKEN_CACHE_SIZE'),
    logDecisions: input.LOG_DECISIONS ?? choose('LOG_DECISIONS', undefined),
    jwks: {
      timeoutMs: int('JWKS_TIMEOUT_MS'),
      maxBytes: 256 * 1024,
      maxAgeSeconds,
      minAgeSeconds,
      cooldownSeconds: int('JWKS_COOLDOWN'),
      staleIfErrorSeconds: int('JWKS_STALE_IF_ERROR'),
    },
  };
}

/**
 * One issuer's settings, checked together and completed: the issuer and audience are required
 * (there is no default), keys come from a secret, a JWKS URL or discovery, and the algorithms
 * must fit the keys. Throws a ConfigError naming the setting.
 */
export function resolveIssuer(input: IssuerInput): IssuerSettings {
  const issuer = input.issuer?.trim();
  if (!issuer) throw new ConfigError('TOKEN_ISSUER', PROBLEMS.issuerRequired);
  const secret = input.secret && readSecret(input.secret);
  const jwksUri = keyUrl(input.jwksUri?.trim(), issuer, secret && input.secret!.setting);
  const audiences = input.audiences ?? [];
  if (audiences.length === 0) throw new ConfigError('AUDIENCE', PROBLEMS.audienceRequired);
  const algorithms = checkAlgorithms(
    input.algorithms ??
      (secret ? ['HS256'] : (SETTING_TABLE.ALGORITHMS.default as readonly string[])),
    secret && input.secret!.setting,
    secret,
  );
  const preset = choose<PresetName>('PRESET', input.preset);
  const presetProblem = checkPresetIssuer(preset, issuer);
  if (presetProblem)
    throw new ConfigError(
      'TOKEN_ISSUER',
      PROBLEMS.presetIssuer(envName, issuer, preset, presetProblem),
    );
  const claims = presetClaims(preset, checkTokenUse(input.tokenUse?.trim(), preset));
  return {
    issuer,
    jwksUri,
    secret,
    audiences,
    algorithms,
    requiredScopes: input.requiredScopes ?? [],
    scopeMatch: choose<ScopeMatch>('SCOPE_MATCH', input.scopeMatch),
    preset,
    scopeClaims: input.scopeClaims ?? claims.scopeClaims,
    groupClaims: input.groupClaims ?? claims.groupClaims,
    audienceClaim: claims.audienceClaim,
    tokenUse: claims.tokenUse,
  };
}

/** The JWKS URL, or undefined for discovery (the issuer must then be a key URL) or a secret. */
function keyUrl(
  raw: string | undefined,
  issuer: string,
  secret: SecretInput['setting'] | undefined,
): URL | undefined {
  if (secret && raw) throw new ConfigError('JWKS_URI', PROBLEMS.keysAndSecret(envName, secret));
  if (raw) {
    const checked = checkKeyUrl(raw);
    if (typeof checked === 'string') throw new ConfigError('JWKS_URI', checked);
    return checked;
  }
  if (!secret) {
    const checked = checkKeyUrl(issuer);
    if (typeof checked === 'string')
      throw new ConfigError(
        'JWKS_URI',
        `is unset and TOKEN_ISSUER ${PROBLEMS.discovery(envName, checked)}`,
      );
  }
  return undefined;
}

function checkAlgorithms(
  algorithms: readonly string[],
  secretSetting: SecretInput['setting'] | undefined,
  secret: Buffer | undefined,
): Algorithm[] {
  if (algorithms.length === 0) throw new ConfigError('ALGORITHMS', PROBLEMS.emptyList);
  for (const alg of algorithms) {
    const problem = algorithmProblem(alg, secretSetting, envName);
    if (problem) throw new ConfigError('ALGORITHMS', problem);
    const need = ALGORITHM_SPECS[alg as Algorithm].signatureLength!;
    if (secret && secret.length < need)
      throw new ConfigError(
        secretSetting ?? 'TOKEN_SECRET',
        `is ${secret.length} bytes; ${alg} needs at least ${need} (RFC 7518 section 3.2)`,
      );
  }
  return algorithms as Algorithm[];
}

function checkTokenUse(raw: string | undefined, preset: PresetName): 'access' | 'id' {
  if (raw && preset !== 'cognito')
    throw new ConfigError('TOKEN_USE', PROBLEMS.tokenUseNotCognito(envName, preset));
  return raw ? choose('TOKEN_USE', raw) : 'access';
}

/**
 * The HMAC secret: text (or `base64:` and base64), or a file's bytes (a trailing newline
 * removed). Read once at cold start; never logged.
 */
function readSecret(source: SecretInput): Buffer {
  if (source.setting === 'TOKEN_SECRET')
    return source.text.startsWith('base64:')
      ? Buffer.from(source.text.slice(7), 'base64')
      : Buffer.from(source.text, 'utf8');
  let bytes: Buffer;
  try {
    bytes = readFileSync(source.path);
  } catch (error) {
    throw new ConfigError(
      'TOKEN_SECRET_FILE',
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${source.path}`,
    );
  }
  const end = bytes.at(-1) === 0x0a ? (bytes.at(-2) === 0x0d ? 2 : 1) : 0;
  return bytes.subarray(0, bytes.length - end);
}
