// The common deployment's settings, read without the settings table, the presets and the checks
// that word their problems: one issuer from TOKEN_ISSUER, AUDIENCE, JWKS_URI, ALGORITHMS and
// REQUIRED_SCOPES, everything else at its default. Anything else set, or anything this reader
// would have to explain, and it answers undefined: buildSettings then reads the environment and
// names the problem. So a cold start loads the full reader only when it has something to do.
// test/quick-settings.test.ts checks that every answer is buildSettings' own.
import { ALGORITHMS } from '../core/algorithms.js';
import { DEFAULT_TOKEN_SOURCE } from '../aws/token-read.js';
import { checkKeyUrl } from '../keys/key-url.js';
import type { Settings } from './build-settings.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The settings this reader leaves to buildSettings: any of them set (not blank) means undefined. */
export const QUICK_UNREAD = [
  'TOLLGATE_CONFIG',
  'RULES_FILE',
  'TOKEN_SOURCE',
  'V2_RESPONSE',
  'V2_SIMPLE_CACHE',
  'TOKEN_SECRET',
  'TOKEN_SECRET_FILE',
  'PRESET',
  'TOKEN_USE',
  'SCOPE_CLAIMS',
  'GROUP_CLAIMS',
  'CLOCK_TOLERANCE',
  'SCOPE_MATCH',
  'CONTEXT_CLAIMS',
  'USAGE_IDENTIFIER_CLAIM',
  'POLICY_RESOURCE',
  'TOKEN_MAX_LENGTH',
  'TOKEN_CACHE_SIZE',
  'LOG_DECISIONS',
  'JWKS_TIMEOUT_MS',
  'JWKS_MAX_AGE',
  'JWKS_MIN_AGE',
  'JWKS_COOLDOWN',
  'JWKS_STALE_IF_ERROR',
] as const;

/** Set: neither absent nor blank (buildSettings counts a blank variable as unset). */
const given = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

const list = (value: string | undefined): string[] =>
  given(value) === undefined ? [] : value!.split(/[\s,]+/).filter(Boolean);

/** buildSettings' answer for this environment when it is the common case, else undefined. */
export function quickSettings(env: Env): Settings | undefined {
  if (QUICK_UNREAD.some((name) => given(env[name]) !== undefined)) return undefined;
  const issuer = given(env.TOKEN_ISSUER)?.trim();
  const audiences = list(env.AUDIENCE);
  const algorithms = given(env.ALGORITHMS) === undefined ? ['RS256'] : list(env.ALGORITHMS);
  if (!issuer || audiences.length === 0 || algorithms.length === 0) return undefined;
  if (!algorithms.every((alg) => (ALGORITHMS as readonly string[]).includes(alg))) return undefined;
  // A JWKS URL, or discovery from the issuer, which must then be a URL keys may come from.
  const raw = given(env.JWKS_URI)?.trim();
  const url = checkKeyUrl(raw ?? issuer);
  if (typeof url === 'string') return undefined;
  return {
    shared: {
      clockTolerance: 0,
      contextClaims: [{ claim: 'scope', name: 'scope' }],
      usageIdentifierClaim: undefined,
      maxTokenLength: 10240,
      policyResource: 'stage',
      tokenCacheSize: 200,
      logDecisions: 'refusals',
      jwks: {
        timeoutMs: 2500,
        maxBytes: 256 * 1024,
        maxAgeSeconds: 600,
        minAgeSeconds: 60,
        cooldownSeconds: 30,
        staleIfErrorSeconds: 3600,
      },
    },
    issuers: [
      {
        issuer,
        jwksUri: raw === undefined ? undefined : url,
        secret: undefined,
        audiences,
        algorithms: algorithms as Settings['issuers'][number]['algorithms'],
        requiredScopes: list(env.REQUIRED_SCOPES),
        scopeMatch: 'all',
        preset: 'oidc',
        scopeClaims: ['scope', 'scp'],
        groupClaims: ['groups'],
        audienceClaim: 'aud',
        tokenUse: undefined,
      },
    ],
    rules: undefined,
    issuerRules: new Map(),
    tokenSource: DEFAULT_TOKEN_SOURCE,
    v2Response: 'simple',
  };
}
