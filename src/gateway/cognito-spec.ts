// Reads a REST API's `x-amazon-apigateway-authorizer` of type `cognito_user_pools` (AWS's
// "Integrate a REST API with an Amazon Cognito user pool": `providerARNs`, the token header,
// an optional validation expression on the ID token's aud).
import type { KeyPath } from '../core/key-path.js';
import { parseUserPoolArn, type UserPool } from '../aws/cognito.js';
import type { IdentitySource } from './openapi.js';

export interface CognitoAuthorizerSpec {
  readonly type: 'cognito';
  readonly name: string;
  /** One header: the token, bare or after `Bearer `. */
  readonly identitySources: readonly IdentitySource[];
  /** Cognito results are not cached locally: each request is verified (docs/emulation.md). */
  readonly ttlSeconds: 0;
  /** `providerARNs`: a token of any of these pools is accepted (AWS allows up to 1,000). */
  readonly pools: readonly UserPool[];
  /** `identityValidationExpression`: matched against the ID token's aud before verification. */
  readonly audPattern: RegExp | undefined;
}

type Obj = Record<string, unknown>;
type Fail = (path: KeyPath, message: string, atKey?: boolean) => never;

const HEADER_SOURCE = /^method\.request\.header\.([^\s,]+)$/;

function readPools(v: unknown, path: KeyPath, fail: Fail): UserPool[] {
  if (!Array.isArray(v) || v.length === 0)
    return fail(path, 'must be a non-empty list of user pool ARNs', v === undefined);
  if (v.length > 1000) fail(path, "has more than 1,000 user pools, API Gateway's limit");
  const pools = v.map((arn, i) => {
    if (typeof arn !== 'string') return fail([...path, i], 'must be a user pool ARN (a string)');
    const pool = parseUserPoolArn(arn.trim());
    return 'problem' in pool ? fail([...path, i], pool.problem) : pool;
  });
  const twice = pools.find((p, i) => pools.findIndex((q) => q.poolId === p.poolId) !== i);
  if (twice) fail(path, `names the user pool ${twice.poolId} twice`);
  return pools;
}

/** The token header: identitySource, else the scheme's `in: header` name, else Authorization. */
function readHeader(scheme: Obj, ext: Obj, path: KeyPath, fail: Fail): IdentitySource {
  if (ext.identitySource === undefined) {
    const name =
      scheme.in === 'header' && typeof scheme.name === 'string' && scheme.name !== ''
        ? scheme.name
        : 'Authorization';
    return { kind: 'header', name, expression: `method.request.header.${name}` };
  }
  const source = typeof ext.identitySource === 'string' ? ext.identitySource.trim() : '';
  const m = HEADER_SOURCE.exec(source);
  if (!m)
    return fail(
      [...path, 'identitySource'],
      'must be one header (method.request.header.NAME) for a cognito_user_pools authorizer',
    );
  return { kind: 'header', name: m[1]!, expression: source };
}

function readAudPattern(ext: Obj, path: KeyPath, fail: Fail): RegExp | undefined {
  const source = ext.identityValidationExpression;
  if (source === undefined) return undefined;
  if (typeof source !== 'string' || source === '')
    return fail([...path, 'identityValidationExpression'], 'must be a non-empty string');
  try {
    return new RegExp(source);
  } catch (error) {
    return fail(
      [...path, 'identityValidationExpression'],
      `is not a valid regular expression: ${(error as Error).message}`,
    );
  }
}

/** The authorizer, or the first problem through `fail` (a key path and a message). */
export function readCognitoAuthorizer(
  name: string,
  scheme: Obj,
  ext: Obj,
  path: KeyPath,
  fail: Fail,
): CognitoAuthorizerSpec {
  const ttl = ext.authorizerResultTtlInSeconds;
  if (
    ttl !== undefined &&
    (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 3600)
  )
    fail(
      [...path, 'authorizerResultTtlInSeconds'],
      'must be a whole number of seconds from 0 (no caching) to 3600',
    );
  return {
    type: 'cognito',
    name,
    identitySources: [readHeader(scheme, ext, path, fail)],
    ttlSeconds: 0,
    pools: readPools(ext.providerARNs, [...path, 'providerARNs'], fail),
    audPattern: readAudPattern(ext, path, fail),
  };
}

/**
 * Warnings for a document's Cognito authorizers: a result cache TTL is accepted but not emulated
 * (every request is verified, so a token is refused the second it expires).
 */
export function cognitoWarnings(
  schemes: Readonly<Record<string, unknown>>,
  schemesPath: KeyPath,
): Array<{ path: KeyPath; key: string; message: string; more: number }> {
  const out: Array<{ path: KeyPath; key: string; message: string; more: number }> = [];
  for (const [name, scheme] of Object.entries(schemes)) {
    const ext = (scheme as Obj | null)?.['x-amazon-apigateway-authorizer'] as Obj | undefined;
    if (String(ext?.type ?? '').toLowerCase() !== 'cognito_user_pools') continue;
    const ttl = ext!.authorizerResultTtlInSeconds;
    if (typeof ttl === 'number' && ttl > 0)
      out.push({
        path: [
          ...schemesPath,
          name,
          'x-amazon-apigateway-authorizer',
          'authorizerResultTtlInSeconds',
        ],
        key: 'cognito-ttl',
        message:
          'authorizerResultTtlInSeconds: the Cognito authorizer result cache is not emulated; every request is verified (a token is refused the moment it expires; on AWS a cached result may outlive it)',
        more: 0,
      });
  }
  return out;
}
