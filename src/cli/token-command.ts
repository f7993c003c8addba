import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { defaultDevIssuer, DEV_AUDIENCE, DEV_ISSUER, loadDevKey } from '../idp/dev-issuer.js';
import { parseDuration } from './duration.js';
import { UsageError } from '../core/errors.js';

export const TOKEN_HELP = `Usage: tollgate token [options]

Mints a development access token signed by the local development key (.tollgate/dev-key.json,
created on first use, never committed). 'tollgate invoke' and 'tollgate explain' trust it when no
TOKEN_ISSUER is configured; 'tollgate jwks' prints or serves its public key.

Options:
  --sub ID            subject (becomes principalId)            default: dev-user
  --scope "A B"       space-separated scopes
  --aud AUD           audience, repeatable or comma-separated    default: ${DEV_AUDIENCE}
  --iss ISSUER        issuer                                     default: ${DEV_ISSUER} (port: $PORT when set)
  --expires-in DUR    lifetime: 30s, 15m, 1h, 2d                 default: 1h
                      (negative, e.g. -1h: an already expired token, for testing)
  --not-before DUR    nbf this far in the future (-5m: the past)  default: none
  --claim NAME=VALUE  extra claim, repeatable; VALUE parsed as JSON when it is JSON
  --decode            also print the header and claims to stderr
  -h, --help          this help`;

export interface TokenOptions {
  sub?: string | undefined;
  scope?: string | undefined;
  aud?: string[] | undefined;
  iss?: string | undefined;
  'expires-in'?: string | undefined;
  'not-before'?: string | undefined;
  claim?: string[] | undefined;
}

const RESERVED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

export interface MintedToken {
  token: string;
  claims: Record<string, unknown>;
  header: Record<string, unknown>;
  /** What makes the token unusable on purpose (already expired, never valid), for stderr. */
  warnings: string[];
}

export async function mintDevToken(
  options: TokenOptions,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<MintedToken> {
  const key = loadDevKey({ create: true })!;
  const audiences = (options.aud ?? [DEV_AUDIENCE])
    .flatMap((a) => a.split(','))
    .map((a) => a.trim())
    .filter(Boolean);
  if (audiences.length === 0) throw new UsageError('--aud must name at least one audience');
  const claims: Record<string, unknown> = {};
  for (const pair of options.claim ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--claim must be NAME=VALUE, got ${JSON.stringify(pair)}`);
    const name = pair.slice(0, eq);
    if (RESERVED.has(name))
      throw new UsageError(`--claim ${name}: use the dedicated option for registered claims`);
    const raw = pair.slice(eq + 1);
    try {
      claims[name] = JSON.parse(raw);
    } catch {
      claims[name] = raw;
    }
  }
  const sub = options.sub ?? 'dev-user';
  if (!sub) throw new UsageError('--sub must not be empty');
  if (options.scope !== undefined)
    claims.scope = options.scope.trim().split(/\s+/).filter(Boolean).join(' ');
  const exp = nowSeconds + parseDuration('--expires-in', options['expires-in'] ?? '1h');
  Object.assign(claims, {
    iss: options.iss ?? defaultDevIssuer(),
    sub,
    aud: audiences.length === 1 ? audiences[0] : audiences,
    iat: nowSeconds,
    exp,
    jti: randomUUID(),
    ...(options['not-before'] !== undefined
      ? { nbf: nowSeconds + parseDuration('--not-before', options['not-before']) }
      : {}),
  });
  const header = { alg: 'RS256', kid: key.kid, typ: 'JWT' };
  const token = await new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
  return { token, claims, header, warnings: validityWarnings(claims, nowSeconds) };
}

function validityWarnings(claims: Record<string, unknown>, now: number): string[] {
  const exp = claims.exp as number;
  const nbf = claims.nbf as number | undefined;
  const warnings: string[] = [];
  if (exp <= now)
    warnings.push(
      `warning: the token is already expired (exp ${new Date(exp * 1000).toISOString()}, ${now - exp} s ago)`,
    );
  if (nbf !== undefined && nbf >= exp)
    warnings.push('warning: --not-before is at or after the expiry: the token is never valid');
  return warnings;
}
