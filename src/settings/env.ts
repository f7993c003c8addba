import { readFileSync } from 'node:fs';
import {
  ALGORITHM_SPECS,
  ALGORITHMS,
  HMAC_ALGORITHMS,
  isAlgorithm,
  isHmac,
  type Algorithm,
} from '../core/algorithms.js';
import type { ContextClaim } from '../core/context.js';
import { TollgateError } from '../core/errors.js';
import type { ScopeMatch } from '../core/scopes.js';
import { checkPresetIssuer, presetClaims, type PresetName } from './presets.js';
import { checkKeyUrl } from '../keys/key-url.js';
import {
  boundsProblem,
  choiceProblem,
  SETTING_TABLE,
  type SettingName,
  type SettingSpec,
} from './table.js';

/** Everything the TOKEN handler needs, validated. */
export interface TollgateConfig {
  readonly issuer: string;
  /** Absent: found through the issuer's OpenID discovery document (or unused with a secret). */
  readonly jwksUri: URL | undefined;
  /** The HMAC secret of an issuer that signs with HS256/384/512; such an issuer has no JWKS. */
  readonly secret: Buffer | undefined;
  readonly audiences: readonly string[];
  readonly algorithms: readonly Algorithm[];
  readonly clockTolerance: number;
  readonly requiredScopes: readonly string[];
  readonly scopeMatch: ScopeMatch;
  readonly preset: PresetName;
  /** Where scopes and groups are read, and where the audience is (from the preset unless overridden). */
  readonly scopeClaims: readonly string[];
  readonly groupClaims: readonly string[];
  readonly audienceClaim: 'aud' | 'client_id';
  /** Amazon Cognito: the token_use every token must carry. */
  readonly tokenUse: 'access' | 'id' | undefined;
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

/** A setting is missing or invalid. The handler refuses to start rather than run without it. */
export class ConfigError extends TollgateError<'CONFIG_INVALID'> {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super('CONFIG_INVALID', `Invalid configuration: ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** A default as the environment spells it: lists comma-separated, numbers as digits. */
export function envDefault(spec: SettingSpec): string | undefined {
  const d = spec.default;
  return d === undefined ? undefined : typeof d === 'object' ? d.join(',') : String(d);
}

type Env = Readonly<Record<string, string | undefined>>;

function list(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

function integer(env: Env, name: SettingName): number {
  const spec: SettingSpec = SETTING_TABLE[name];
  const raw = (env[name] ?? envDefault(spec) ?? '').trim();
  if (!/^\d+$/.test(raw))
    throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  const problem = spec.type === 'integer' ? boundsProblem(n, spec) : undefined;
  if (problem) throw new ConfigError(name, problem);
  return n;
}

function oneOf<T extends string>(env: Env, name: SettingName): T {
  const spec: SettingSpec = SETTING_TABLE[name];
  const values = spec.type === 'choice' ? spec.values : [];
  const raw = (env[name] ?? envDefault(spec) ?? '').trim();
  if (!values.includes(raw))
    throw new ConfigError(name, choiceProblem(values, JSON.stringify(raw)));
  return raw as T;
}

/**
 * Reads and validates the configuration from environment variables, once, at cold start. Throws
 * a ConfigError naming the setting; there is no default issuer or audience.
 */
export function configFromEnv(env: Env): TollgateConfig {
  const issuer = env.TOKEN_ISSUER?.trim();
  if (!issuer)
    throw new ConfigError(
      'TOKEN_ISSUER',
      'is required (the exact iss of your tokens, e.g. https://YOUR_TENANT.auth0.com/)',
    );

  const secret = readSecret(env);
  let jwksUri: URL | undefined;
  const rawJwks = env.JWKS_URI?.trim();
  if (secret && rawJwks)
    throw new ConfigError(
      'JWKS_URI',
      'must not be set with TOKEN_SECRET: an issuer signs with a shared secret or with published keys, never both',
    );
  if (rawJwks) {
    const checked = checkKeyUrl(rawJwks);
    if (typeof checked === 'string') throw new ConfigError('JWKS_URI', checked);
    jwksUri = checked;
  } else if (!secret) {
    const checked = checkKeyUrl(issuer);
    if (typeof checked === 'string')
      throw new ConfigError(
        'JWKS_URI',
        `is unset and TOKEN_ISSUER cannot be used for OpenID discovery: ${checked}`,
      );
  }

  const audiences = list(env.AUDIENCE ?? '');
  if (audiences.length === 0)
    throw new ConfigError('AUDIENCE', 'is required (the API identifier your tokens carry in aud)');

  const algorithms = list(
    env.ALGORITHMS ?? (secret ? 'HS256' : envDefault(SETTING_TABLE.ALGORITHMS)!),
  );
  if (algorithms.length === 0)
    throw new ConfigError('ALGORITHMS', 'must name at least one algorithm');
  for (const alg of algorithms) {
    if (!isAlgorithm(alg)) {
      const why = /^none$/i.test(alg)
        ? 'unsigned tokens are never accepted'
        : /^hs/i.test(alg)
          ? 'names are case-sensitive: HMAC is HS256, HS384 or HS512, and only with TOKEN_SECRET'
          : `supported: ${[...ALGORITHMS, ...HMAC_ALGORITHMS].join(', ')}`;
      throw new ConfigError('ALGORITHMS', `contains ${JSON.stringify(alg)}: ${why}`);
    }
    if (isHmac(alg) && !secret)
      throw new ConfigError(
        'ALGORITHMS',
        `contains ${JSON.stringify(alg)}: HMAC cannot be used with keys from a JWKS (set TOKEN_SECRET for an HMAC issuer)`,
      );
    if (!isHmac(alg) && secret)
      throw new ConfigError(
        'ALGORITHMS',
        `contains ${JSON.stringify(alg)}: an issuer with TOKEN_SECRET verifies only HS256, HS384 or HS512`,
      );
    const need = ALGORITHM_SPECS[alg].signatureLength!;
    if (secret && secret.length < need)
      throw new ConfigError(
        secretSetting(env),
        `is ${secret.length} bytes; ${alg} needs at least ${need} (RFC 7518 section 3.2)`,
      );
  }

  const contextClaims = list(env.CONTEXT_CLAIMS ?? envDefault(SETTING_TABLE.CONTEXT_CLAIMS)!).map(
    (entry): ContextClaim => {
      // '=' renames; ':' cannot, since claim names such as cognito:groups contain it.
      const [claim, name = claim, extra] = entry.split('=');
      if (extra !== undefined || !claim || !name)
        throw new ConfigError(
          'CONTEXT_CLAIMS',
          `entry ${JSON.stringify(entry)} must be CLAIM or CLAIM=NAME`,
        );
      if (name === 'principalId' || name === 'claims')
        throw new ConfigError('CONTEXT_CLAIMS', `contains ${name}, a name API Gateway reserves`);
      return { claim, name };
    },
  );

  const preset = oneOf<PresetName>(env, 'PRESET');
  const presetProblem = checkPresetIssuer(preset, issuer);
  if (presetProblem)
    throw new ConfigError(
      'TOKEN_ISSUER',
      `${JSON.stringify(issuer)} does not fit PRESET=${preset}: ${presetProblem}`,
    );
  const rawTokenUse = env.TOKEN_USE?.trim();
  if (rawTokenUse && preset !== 'cognito')
    throw new ConfigError('TOKEN_USE', 'applies only to PRESET=cognito');
  if (rawTokenUse && rawTokenUse !== 'access' && rawTokenUse !== 'id')
    throw new ConfigError('TOKEN_USE', `must be access or id, got ${JSON.stringify(rawTokenUse)}`);
  const claimsOfPreset = presetClaims(
    preset,
    (rawTokenUse as 'access' | 'id' | undefined) ?? 'access',
  );
  const overridden = (
    name: 'SCOPE_CLAIMS' | 'GROUP_CLAIMS',
    fallback: readonly string[],
  ): readonly string[] =>
    env[name]?.trim() ? env[name]!.split(/[\s,]+/).filter(Boolean) : fallback;
  const usageIdentifierClaim = env.USAGE_IDENTIFIER_CLAIM?.trim() || undefined;

  const maxAgeSeconds = integer(env, 'JWKS_MAX_AGE');
  // Minimums of 1 s: a zero would let `no-store` or a flood of unknown kids turn requests into fetches.
  const minAgeSeconds = integer(env, 'JWKS_MIN_AGE');
  if (minAgeSeconds > maxAgeSeconds)
    throw new ConfigError(
      'JWKS_MIN_AGE',
      `(${minAgeSeconds}) must not exceed JWKS_MAX_AGE (${maxAgeSeconds})`,
    );

  return {
    issuer,
    jwksUri,
    secret,
    audiences,
    algorithms: algorithms as Algorithm[],
    clockTolerance: integer(env, 'CLOCK_TOLERANCE'),
    requiredScopes: list(env.REQUIRED_SCOPES ?? ''),
    scopeMatch: oneOf<ScopeMatch>(env, 'SCOPE_MATCH'),
    preset,
    scopeClaims: overridden('SCOPE_CLAIMS', claimsOfPreset.scopeClaims),
    groupClaims: overridden('GROUP_CLAIMS', claimsOfPreset.groupClaims),
    audienceClaim: claimsOfPreset.audienceClaim,
    tokenUse: claimsOfPreset.tokenUse,
    contextClaims,
    usageIdentifierClaim,
    maxTokenLength: integer(env, 'TOKEN_MAX_LENGTH'),
    policyResource: oneOf<'stage' | 'api'>(env, 'POLICY_RESOURCE'),
    tokenCacheSize: integer(env, 'TOKEN_CACHE_SIZE'),
    logDecisions: oneOf<'all' | 'refusals'>(env, 'LOG_DECISIONS'),
    jwks: {
      timeoutMs: integer(env, 'JWKS_TIMEOUT_MS'),
      maxBytes: 256 * 1024,
      maxAgeSeconds,
      minAgeSeconds,
      cooldownSeconds: integer(env, 'JWKS_COOLDOWN'),
      staleIfErrorSeconds: integer(env, 'JWKS_STALE_IF_ERROR'),
    },
  };
}

function secretSetting(env: Env): string {
  return env.TOKEN_SECRET ? 'TOKEN_SECRET' : 'TOKEN_SECRET_FILE';
}

/**
 * The HMAC secret: TOKEN_SECRET (text, or `base64:` and base64) or TOKEN_SECRET_FILE (the file's
 * bytes, a trailing newline removed). Read once at cold start; never logged.
 */
function readSecret(env: Env): Buffer | undefined {
  const inline = env.TOKEN_SECRET;
  const file = env.TOKEN_SECRET_FILE?.trim();
  if (inline && file)
    throw new ConfigError('TOKEN_SECRET', 'and TOKEN_SECRET_FILE are both set; use one');
  if (inline)
    return inline.startsWith('base64:')
      ? Buffer.from(inline.slice(7), 'base64')
      : Buffer.from(inline, 'utf8');
  if (!file) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigError(
      'TOKEN_SECRET_FILE',
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${file}`,
    );
  }
  const end = bytes.at(-1) === 0x0a ? (bytes.at(-2) === 0x0d ? 2 : 1) : 0;
  return bytes.subarray(0, bytes.length - end);
}
