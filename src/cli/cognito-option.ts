// `tollgate serve --cognito POOL_ID=dev|URL` and `serve.cognito`: where a Cognito user pool's keys
// are read locally. `dev`: the development provider stands for the pool; a URL: a JWKS served
// elsewhere (a local key server); unmapped pools are read from Cognito itself.
import { isPoolId, issuerPoolId } from '../aws/cognito.js';
import { UsageError } from '../core/errors.js';
import type { PoolMapping } from '../gateway/cognito-authorizer.js';
import type { ApiDefinition } from '../gateway/openapi.js';

/** What a pool id maps to, or why the value is not one. */
export function cognitoTargetProblem(poolId: string, value: string): string | undefined {
  if (!isPoolId(poolId))
    return `${JSON.stringify(poolId)} is not a user pool id (REGION_ID, e.g. eu-west-1_Pw7Kx2mQa)`;
  if (value === 'dev') return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    return `${poolId} must map to dev or to a JWKS URL (http:// or https://), got ${JSON.stringify(value)}`;
  return undefined;
}

/** `--cognito POOL_ID=dev|URL`, repeatable, over the config file's `serve.cognito`. */
export function cognitoTargets(
  fromConfig: Readonly<Record<string, string>>,
  fromFlags: readonly string[],
): Map<string, string> {
  const targets = new Map(Object.entries(fromConfig));
  for (const entry of fromFlags) {
    const eq = entry.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--cognito must be POOL_ID=dev or POOL_ID=JWKS_URL, got ${JSON.stringify(entry)}`,
      );
    const [poolId, value] = [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
    const problem = cognitoTargetProblem(poolId, value);
    if (problem) throw new UsageError(`--cognito: ${problem}`);
    targets.set(poolId, value);
  }
  return targets;
}

/** The development provider as a pool's stand-in: its issuer and its JWKS on the local server. */
export interface DevStandIn {
  readonly issuer: string;
  readonly jwksUri: string;
}

/**
 * The gateway's pool mappings, with a start-up line for each pool the API trusts (where its keys
 * come from) and a warning for a mapped pool no authorizer names.
 */
export function resolveCognitoPools(
  targets: ReadonlyMap<string, string>,
  api: ApiDefinition,
  dev: DevStandIn | undefined,
  err: (line: string) => void,
): Map<string, PoolMapping> {
  const named = namedPools(api);
  const pools = new Map<string, PoolMapping>();
  for (const [poolId, value] of targets) {
    if (!named.has(poolId)) {
      err(
        `tollgate: warning: --cognito ${poolId}: no authorizer of the API trusts this pool (a cognito_user_pools authorizer, or a JWT authorizer with the pool's issuer)`,
      );
      continue;
    }
    if (value !== 'dev') pools.set(poolId, { jwksUri: value });
    else if (!dev)
      throw new UsageError(
        `--cognito ${poolId}=dev needs the development provider: unset TOKEN_ISSUER and leave serve.devProvider on`,
      );
    else pools.set(poolId, { jwksUri: dev.jwksUri, devIssuer: dev.issuer });
  }
  for (const [poolId, jwksUri] of named) {
    const mapped = pools.get(poolId);
    err(
      `tollgate: Cognito user pool ${poolId}: ${
        mapped === undefined
          ? `keys from ${jwksUri} (Cognito itself; --cognito ${poolId}=dev to use the development provider)`
          : mapped.devIssuer
            ? `the development provider (${mapped.devIssuer}) stands for it`
            : `keys from ${mapped.jwksUri}`
      }`,
    );
  }
  return pools;
}

/**
 * The pools the API's authorizers trust, with the JWKS URL Cognito serves each from: a
 * cognito_user_pools authorizer's providerARNs, and a JWT authorizer's issuer that is a pool's (an
 * HTTP API's user pool authorizer, as CDK's HttpUserPoolAuthorizer writes it).
 */
function namedPools(api: ApiDefinition): Map<string, string> {
  const named = new Map<string, string>();
  for (const spec of api.authorizers.values())
    if (spec.type === 'cognito') for (const p of spec.pools) named.set(p.poolId, p.jwksUri);
    else if (spec.type === 'jwt')
      for (const { issuer } of spec.issuers) {
        const poolId = issuerPoolId(issuer);
        if (poolId) named.set(poolId, `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`);
      }
  return named;
}

/** The provider's scopes plus those the API's Cognito methods ask for, so it can grant them. */
export function withCognitoScopes(scopes: readonly string[], api: ApiDefinition): string[] {
  const out = new Set(scopes);
  for (const op of api.routes.operations) {
    const spec = op.authorizer === undefined ? undefined : api.authorizers.get(op.authorizer);
    const trustsPool =
      spec?.type === 'cognito' ||
      (spec?.type === 'jwt' && spec.issuers.some((i) => issuerPoolId(i.issuer) !== undefined));
    if (trustsPool) for (const s of op.scopes) out.add(s);
  }
  return [...out];
}
