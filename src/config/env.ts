import { ALGORITHM_SPECS, isAlgorithm, type Algorithm } from '../core/algorithms.js';
import type { ScopeMatch } from '../core/scopes.js';
import { checkKeyUrl } from '../io/key-url.js';

/** Everything the TOKEN handler needs, validated. */
export interface TollgateConfig {
  readonly issuer: string;
  /** Absent: found through the issuer's OpenID discovery document. */
  readonly jwksUri: URL | undefined;
  readonly audiences: readonly string[];
  readonly algorithms: readonly Algorithm[];
  readonly clockTolerance: number;
  readonly requiredScopes: readonly string[];
  readonly scopeMatch: ScopeMatch;
  readonly contextClaims: readonly string[];
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
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly setting: string, problem: string) {
    super(`Invalid configuration: ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Defaults of the optional settings; the README's configuration table documents each. */
export const SETTINGS = {
  TOKEN_ISSUER: { default: undefined },
  JWKS_URI: { default: undefined },
  AUDIENCE: { default: undefined },
  ALGORITHMS: { default: 'RS256' },
  CLOCK_TOLERANCE: { default: '0' },
  REQUIRED_SCOPES: { default: '' },
  SCOPE_MATCH: { default: 'all' },
  CONTEXT_CLAIMS: { default: 'scope' },
  POLICY_RESOURCE: { default: 'stage' },
  TOKEN_MAX_LENGTH: { default: '10240' },
  TOKEN_CACHE_SIZE: { default: '200' },
  LOG_DECISIONS: { default: 'all' },
  JWKS_TIMEOUT_MS: { default: '2500' },
  JWKS_MAX_AGE: { default: '600' },
  JWKS_MIN_AGE: { default: '60' },
  JWKS_COOLDOWN: { default: '30' },
  JWKS_STALE_IF_ERROR: { default: '3600' },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function list(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

function integer(env: Env, name: keyof typeof SETTINGS, min: number, max: number): number {
  const raw = (env[name] ?? SETTINGS[name].default ?? '').trim();
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: keyof typeof SETTINGS, values: readonly T[]): T {
  const raw = (env[name] ?? SETTINGS[name].default ?? '').trim();
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/**
 * Reads and validates the configuration from environment variables, once, at cold start. Throws
 * a ConfigError naming the setting; there is no default issuer or audience.
 */
export function configFromEnv(env: Env): TollgateConfig {
  const issuer = env.TOKEN_ISSUER?.trim();
  if (!issuer) throw new ConfigError('TOKEN_ISSUER', 'is required (the exact iss of your tokens, e.g. https://YOUR_TENANT.auth0.com/)');

  let jwksUri: URL | undefined;
  const rawJwks = env.JWKS_URI?.trim();
  if (rawJwks) {
    const checked = checkKeyUrl(rawJwks);
    if (typeof checked === 'string') throw new ConfigError('JWKS_URI', checked);
    jwksUri = checked;
  } else {
    const checked = checkKeyUrl(issuer);
    if (typeof checked === 'string') throw new ConfigError('JWKS_URI', `is unset and TOKEN_ISSUER cannot be used for OpenID discovery: ${checked}`);
  }

  const audiences = list(env.AUDIENCE ?? '');
  if (audiences.length === 0) throw new ConfigError('AUDIENCE', 'is required (the API identifier your tokens carry in aud)');

  const algorithms = list(env.ALGORITHMS ?? SETTINGS.ALGORITHMS.default);
  if (algorithms.length === 0) throw new ConfigError('ALGORITHMS', 'must name at least one algorithm');
  for (const alg of algorithms) {
    if (!isAlgorithm(alg)) {
      const why = /^none$/i.test(alg) ? 'unsigned tokens are never accepted' : /^HS/i.test(alg) ? 'HMAC cannot be used with keys from a JWKS' : `supported: ${Object.keys(ALGORITHM_SPECS).join(', ')}`;
      throw new ConfigError('ALGORITHMS', `contains ${JSON.stringify(alg)}: ${why}`);
    }
  }

  const contextClaims = list(env.CONTEXT_CLAIMS ?? SETTINGS.CONTEXT_CLAIMS.default);
  for (const claim of contextClaims) {
    if (claim === 'principalId' || claim === 'claims') throw new ConfigError('CONTEXT_CLAIMS', `contains ${claim}, a name API Gateway reserves`);
  }

  const maxAgeSeconds = integer(env, 'JWKS_MAX_AGE', 1, 86400);
  // Minimums of 1 s: a zero would let `no-store` or a flood of unknown kids turn requests into fetches.
  const minAgeSeconds = integer(env, 'JWKS_MIN_AGE', 1, 86400);
  if (minAgeSeconds > maxAgeSeconds) throw new ConfigError('JWKS_MIN_AGE', `(${minAgeSeconds}) must not exceed JWKS_MAX_AGE (${maxAgeSeconds})`);

  return {
    issuer,
    jwksUri,
    audiences,
    algorithms: algorithms as Algorithm[],
    clockTolerance: integer(env, 'CLOCK_TOLERANCE', 0, 300),
    requiredScopes: list(env.REQUIRED_SCOPES ?? ''),
    scopeMatch: oneOf(env, 'SCOPE_MATCH', ['all', 'any'] as const),
    contextClaims,
    maxTokenLength: integer(env, 'TOKEN_MAX_LENGTH', 256, 65536),
    policyResource: oneOf(env, 'POLICY_RESOURCE', ['stage', 'api'] as const),
    tokenCacheSize: integer(env, 'TOKEN_CACHE_SIZE', 0, 100000),
    logDecisions: oneOf(env, 'LOG_DECISIONS', ['all', 'refusals'] as const),
    jwks: {
      timeoutMs: integer(env, 'JWKS_TIMEOUT_MS', 100, 8000),
      maxBytes: 256 * 1024,
      maxAgeSeconds,
      minAgeSeconds,
      cooldownSeconds: integer(env, 'JWKS_COOLDOWN', 1, 3600),
      staleIfErrorSeconds: integer(env, 'JWKS_STALE_IF_ERROR', 0, 86400),
    },
  };
}
