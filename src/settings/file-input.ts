// A validated config file (file-validate.ts) as typed partial settings for buildSettings: lists
// stay lists (an item may hold a comma), numbers stay numbers; no setting becomes text again.
// Loaded with the file validator (the Lambda's lazy chunk), only when a config file is used.
import type { FileInput } from './build-settings.js';
import { ConfigError } from './config-error.js';
import type { FileConfig, FileIssuer } from './file-validate.js';
import type { IssuerInput, SharedInput } from './settings.js';
import { ISSUER_SETTINGS } from './table.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The file's settings. `env` gives the secrets the file names (`secret: { env: NAME }`), and
 * with issuers in the file an issuer variable in it is refused: which issuer would it belong to?
 */
export function fileInput(file: FileConfig, env: Env): FileInput {
  const set = (name: string): string | undefined => (env[name]?.trim() ? env[name] : undefined);
  if (file.issuers) {
    const stray = ISSUER_SETTINGS.find((k) => set(k) !== undefined);
    if (stray)
      throw new ConfigError(
        stray,
        'is set and the config file lists issuers: set it per issuer in the file',
      );
  }
  return {
    shared: sharedFromFile(file),
    issuers: file.issuers?.map((issuer) => ({
      ...issuerFromFile(issuer, set),
      rules: issuer.rules,
    })),
    rules: file.rules,
    tokenSource: file.tokenSource && `${file.tokenSource.kind}:${file.tokenSource.name}`,
    v2Response: file.v2Response,
  };
}

function sharedFromFile(file: FileConfig): SharedInput {
  const j = file.jwks;
  const context = file.context;
  return {
    CONTEXT_CLAIMS: context?.claims.map((claim) => ({
      claim,
      name: context.rename[claim] ?? claim,
    })),
    USAGE_IDENTIFIER_CLAIM: file.usageIdentifierClaim,
    POLICY_RESOURCE: file.policyResource,
    CLOCK_TOLERANCE: file.clockTolerance,
    TOKEN_MAX_LENGTH: file.tokenMaxLength,
    TOKEN_CACHE_SIZE: file.tokenCacheSize,
    LOG_DECISIONS: file.logDecisions,
    JWKS_TIMEOUT_MS: j.timeoutMs,
    JWKS_MAX_AGE: j.maxAge,
    JWKS_MIN_AGE: j.minAge,
    JWKS_COOLDOWN: j.cooldown,
    JWKS_STALE_IF_ERROR: j.staleIfError,
  };
}

function issuerFromFile(
  issuer: FileIssuer,
  set: (name: string) => string | undefined,
): IssuerInput {
  if (issuer.issuer !== issuer.issuer.trim())
    throw new ConfigError(
      'issuers',
      `issuer ${JSON.stringify(issuer.issuer)} has surrounding spaces`,
    );
  const secret = issuer.secret;
  const text = secret?.kind === 'env' ? set(secret.name) : undefined;
  if (secret?.kind === 'env' && text === undefined)
    throw new ConfigError(secret.name, `is not set (the secret of issuer ${issuer.issuer})`);
  return {
    issuer: issuer.issuer,
    audiences: issuer.audience,
    algorithms: issuer.algorithms,
    jwksUri: issuer.jwksUri?.href,
    secret:
      secret?.kind === 'file'
        ? { setting: 'TOKEN_SECRET_FILE', path: secret.path }
        : text !== undefined
          ? { setting: 'TOKEN_SECRET', text }
          : undefined,
    preset: issuer.preset,
    tokenUse: issuer.preset === 'cognito' ? issuer.tokenUse : undefined,
    scopeClaims: issuer.scopeClaims,
    groupClaims: issuer.groupClaims,
    requiredScopes: issuer.requiredScopes,
    scopeMatch: issuer.scopeMatch,
  };
}
