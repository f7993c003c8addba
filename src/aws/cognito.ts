// Amazon Cognito user pools as API Gateway's COGNITO_USER_POOLS authorizer sees them (REST APIs;
// docs/emulation.md, "Cognito user pool authorizers"): the pool named by its ARN, its issuer and
// key set, which kind of token a method takes, and the claims as the integration receives them.
// Pure: no I/O.

/** A user pool an authorizer trusts, from its ARN in `providerARNs`. */
export interface UserPool {
  readonly arn: string;
  readonly region: string;
  /** e.g. `eu-west-1_Pw7Kx2mQa`. */
  readonly poolId: string;
  /** `https://cognito-idp.{region}.amazonaws.com/{poolId}`: every token of the pool has this `iss`. */
  readonly issuer: string;
  /** `{issuer}/.well-known/jwks.json`: the pool's signing keys. */
  readonly jwksUri: string;
}

const POOL_ARN =
  /^arn:aws(?:-[a-z]+)*:cognito-idp:([a-z0-9-]+):(\d{12}):userpool\/([a-z0-9-]+_[A-Za-z0-9]+)$/;

/** The issuer of a pool's tokens. */
export function poolIssuer(poolId: string): string {
  const region = poolId.slice(0, poolId.indexOf('_'));
  return `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
}

/**
 * The pool whose issuer this is (an HTTP API's JWT authorizer trusting a pool, as CDK's
 * HttpUserPoolAuthorizer writes it: https://cognito-idp.REGION.amazonaws.com/POOL_ID), or undefined.
 */
export function issuerPoolId(issuer: string): string | undefined {
  const m =
    /^https:\/\/cognito-idp\.([a-z0-9-]+)\.amazonaws\.com\/([a-z0-9-]+_[A-Za-z0-9]+)\/?$/.exec(
      issuer,
    );
  return m && m[2]!.startsWith(`${m[1]}_`) && isPoolId(m[2]!) ? m[2] : undefined;
}

/** The pool an ARN names, or why it names none. */
export function parseUserPoolArn(arn: string): UserPool | { readonly problem: string } {
  if (arn.includes('${'))
    return { problem: 'uses a stage variable, which the local gateway does not resolve here' };
  const m = POOL_ARN.exec(arn);
  if (!m)
    return {
      problem: 'must be a user pool ARN: arn:aws:cognito-idp:REGION:ACCOUNT:userpool/REGION_ID',
    };
  const [, region, , poolId] = m as unknown as [string, string, string, string];
  if (!poolId.startsWith(`${region}_`))
    return { problem: `names pool ${poolId}, whose id does not start with its region ${region}_` };
  const issuer = poolIssuer(poolId);
  return { arn, region, poolId, issuer, jwksUri: `${issuer}/.well-known/jwks.json` };
}

/** A user pool id as written in `--cognito POOL_ID=...`: REGION_ID. */
export function isPoolId(value: string): boolean {
  return /^[a-z]{2}(?:-[a-z]+)+-\d_[A-Za-z0-9]+$/.test(value);
}

/**
 * The `token_use` a method takes: without OAuth scopes the ID token ("API Gateway treats the
 * supplied token as an identity token"), with scopes the access token.
 */
export function tokenUseFor(methodScopes: readonly string[]): 'id' | 'access' {
  return methodScopes.length === 0 ? 'id' : 'access';
}

/** Whether a verified access token's `scope` holds one of the method's scopes. */
export function hasMethodScope(claims: Record<string, unknown>, methodScopes: readonly string[]) {
  const scope = claims.scope;
  if (typeof scope !== 'string') return false;
  const granted = new Set(scope.split(' ').filter(Boolean));
  return methodScopes.some((s) => granted.has(s));
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** Seconds since the epoch as API Gateway writes a Cognito token's exp and iat: `Fri Jul 29 18:52:53 UTC 2016`. */
export function cognitoDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return String(seconds);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/**
 * The claims as a COGNITO_USER_POOLS authorizer hands them to the integration
 * (`$context.authorizer.claims.*`, a Lambda proxy's `requestContext.authorizer.claims`): every value
 * a string; exp and iat as dates, other numbers and booleans as text, lists comma-joined
 * (`cognito:groups`), objects as JSON.
 */
export function cognitoClaims(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === null || v === undefined) continue;
    if ((k === 'exp' || k === 'iat') && typeof v === 'number') out[k] = cognitoDate(v);
    else if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v))
      out[k] = v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',');
    else if (typeof v === 'object') out[k] = JSON.stringify(v);
    else out[k] = String(v);
  }
  return out;
}
