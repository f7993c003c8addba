import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { defaultDevIssuer, DEV_AUDIENCE, DEV_ISSUER, loadDevKey } from '../idp/dev-issuer.js';
import { parseDuration } from './duration.js';
import { UsageError } from '../core/errors.js';
import { isPoolId, poolIssuer } from '../aws/cognito.js';

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
  --cognito id|access an Amazon Cognito user pool token: token_use, cognito:username (id) or
                      username and client_id (access, no aud); --aud is the app client id
                      (default tollgate-web)
  --pool POOL_ID      with --cognito: iss is the pool's, https://cognito-idp.REGION.amazonaws.com/POOL_ID
  --groups "A,B"      with --cognito: cognito:groups
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
  cognito?: string | undefined;
  pool?: string | undefined;
  groups?: string | undefined;
}

const RESERVED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/**
 * A Cognito user pool token's shape (docs/emulation.md): an ID token has `aud` (the app client),
 * `token_use: id` and `cognito:username`; an access token has no `aud` but `client_id`,
 * `token_use: access`, `username` and `scope`. Both may carry `cognito:groups`.
 */
function cognitoShape(
  options: TokenOptions,
  audiences: readonly string[],
  sub: string,
  now: number,
): Record<string, unknown> {
  const use = options.cognito;
  if (use !== 'id' && use !== 'access')
    throw new UsageError(`--cognito must be id or access, got ${JSON.stringify(use)}`);
  if (audiences.length !== 1) throw new UsageError('--cognito takes one --aud: the app client id');
  if (use === 'id' && options.scope !== undefined)
    throw new UsageError('--scope: Cognito ID tokens carry no scope (use --cognito access)');
  const groups = (options.groups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  const client = audiences[0]!;
  return {
    token_use: use,
    auth_time: now,
    ...(use === 'id'
      ? { aud: client, 'cognito:username': sub }
      : { client_id: client, username: sub }),
    ...(groups.length ? { 'cognito:groups': groups } : {}),
    ...(options.pool !== undefined ? { iss: cognitoIssuer(options.pool) } : {}),
  };
}

function cognitoIssuer(pool: string): string {
  if (!isPoolId(pool))
    throw new UsageError(`--pool must be a user pool id (REGION_ID), got ${JSON.stringify(pool)}`);
  return poolIssuer(pool);
}

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
  if (options.cognito === undefined && (options.pool ?? options.groups) !== undefined)
    throw new UsageError(
      `--${options.pool !== undefined ? 'pool' : 'groups'} needs --cognito id|access`,
    );
  if (options.pool !== undefined && options.iss !== undefined)
    throw new UsageError('--pool sets the issuer: give --pool or --iss, not both');
  const audiences = (options.aud ?? [options.cognito ? 'tollgate-web' : DEV_AUDIENCE])
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
  if (options.cognito !== undefined) {
    const shape = cognitoShape(options, audiences, sub, nowSeconds);
    if (shape.aud === undefined) delete claims.aud;
    Object.assign(claims, shape);
  }
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
