// The environment reader: environment variables (the Auth0 sample's names, SETTING_TABLE) become
// typed partial settings; settings.ts checks them together and applies the defaults.
import type { ContextClaim } from '../core/context.js';
import { ConfigError } from './config-error.js';
import {
  choose,
  resolveIssuer,
  resolveShared,
  type IssuerInput,
  type SecretInput,
  type SharedInput,
  type VerifierSettings,
} from './settings.js';
import { PROBLEMS } from './problems.js';
import { boundsProblem, SETTING_TABLE, type SettingName, type SettingSpec } from './table.js';

export { ConfigError };

type Env = Readonly<Record<string, string | undefined>>;

/** Items separated by commas or spaces. */
export function envList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/** A default as the environment spells it: lists comma-separated, numbers as digits. */
export function envDefault(spec: SettingSpec): string | undefined {
  const d = spec.default;
  return d === undefined ? undefined : typeof d === 'object' ? d.join(',') : String(d);
}

/** One issuer's settings from TOKEN_ISSUER, AUDIENCE, JWKS_URI, ... (not yet checked together). */
export function issuerFromEnv(env: Env): IssuerInput {
  const claims = (name: 'SCOPE_CLAIMS' | 'GROUP_CLAIMS'): string[] | undefined =>
    env[name]?.trim() ? envList(env[name]!) : undefined;
  return {
    issuer: env.TOKEN_ISSUER,
    jwksUri: env.JWKS_URI,
    secret: secretFromEnv(env),
    audiences: envList(env.AUDIENCE ?? ''),
    algorithms: env.ALGORITHMS === undefined ? undefined : envList(env.ALGORITHMS),
    preset: env.PRESET,
    tokenUse: env.TOKEN_USE,
    scopeClaims: claims('SCOPE_CLAIMS'),
    groupClaims: claims('GROUP_CLAIMS'),
    requiredScopes: envList(env.REQUIRED_SCOPES ?? ''),
    scopeMatch: env.SCOPE_MATCH,
  };
}

/** TOKEN_SECRET (text, or `base64:` and base64) or TOKEN_SECRET_FILE (a path), not both. */
function secretFromEnv(env: Env): SecretInput | undefined {
  const text = env.TOKEN_SECRET;
  const path = env.TOKEN_SECRET_FILE?.trim();
  if (text && path)
    throw new ConfigError('TOKEN_SECRET', 'and TOKEN_SECRET_FILE are both set; use one');
  if (text) return { setting: 'TOKEN_SECRET', text };
  return path ? { setting: 'TOKEN_SECRET_FILE', path } : undefined;
}

function integer(env: Env, name: SettingName): number | undefined {
  const spec: SettingSpec = SETTING_TABLE[name];
  const raw = env[name]?.trim();
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw))
    throw new ConfigError(name, `${PROBLEMS.wholeNumber}, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  const problem = spec.type === 'integer' ? boundsProblem(n, spec) : undefined;
  if (problem) throw new ConfigError(name, problem);
  return n;
}

function choice<T extends string>(env: Env, name: SettingName): T | undefined {
  return env[name] === undefined ? undefined : choose<T>(name, env[name]);
}

/** CONTEXT_CLAIMS: `claim` or `claim=name`, comma-separated. */
function contextClaims(raw: string): ContextClaim[] {
  return envList(raw).map((entry): ContextClaim => {
    // '=' renames; ':' cannot, since claim names such as cognito:groups contain it.
    const [claim, name = claim, extra] = entry.split('=');
    if (extra !== undefined || !claim || !name)
      throw new ConfigError(
        'CONTEXT_CLAIMS',
        `entry ${JSON.stringify(entry)} must be CLAIM or CLAIM=NAME`,
      );
    if (name === 'principalId' || name === 'claims')
      throw new ConfigError(
        'CONTEXT_CLAIMS',
        `${PROBLEMS.reservedContextName(name)}: copy it under another name (CLAIM=NAME)`,
      );
    return { claim, name };
  });
}

/** The shared settings the environment sets (each checked alone; unset ones are undefined). */
export function sharedFromEnv(env: Env): SharedInput {
  return {
    CONTEXT_CLAIMS:
      env.CONTEXT_CLAIMS === undefined ? undefined : contextClaims(env.CONTEXT_CLAIMS),
    USAGE_IDENTIFIER_CLAIM: env.USAGE_IDENTIFIER_CLAIM?.trim() || undefined,
    JWKS_MAX_AGE: integer(env, 'JWKS_MAX_AGE'),
    JWKS_MIN_AGE: integer(env, 'JWKS_MIN_AGE'),
    CLOCK_TOLERANCE: integer(env, 'CLOCK_TOLERANCE'),
    TOKEN_MAX_LENGTH: integer(env, 'TOKEN_MAX_LENGTH'),
    POLICY_RESOURCE: choice(env, 'POLICY_RESOURCE'),
    TOKEN_CACHE_SIZE: integer(env, 'TOKEN_CACHE_SIZE'),
    LOG_DECISIONS: choice(env, 'LOG_DECISIONS'),
    JWKS_TIMEOUT_MS: integer(env, 'JWKS_TIMEOUT_MS'),
    JWKS_COOLDOWN: integer(env, 'JWKS_COOLDOWN'),
    JWKS_STALE_IF_ERROR: integer(env, 'JWKS_STALE_IF_ERROR'),
  };
}

/**
 * Reads and validates one issuer's settings and the shared ones from environment variables, once,
 * at cold start. Throws a ConfigError naming the setting; there is no default issuer or audience.
 */
export function configFromEnv(env: Env): VerifierSettings {
  const issuer = resolveIssuer(issuerFromEnv(env));
  return { ...issuer, ...resolveShared(sharedFromEnv(env)) };
}
