import type { MethodArn } from '../core/rules-types.js';

export type { MethodArn };

// Only the prefix is parsed: path-parameter values after the stage may contain ':' or anything else.
const METHOD_ARN = /^arn:([^:]+):execute-api:([^:]+):([^:]+):([^/:]+)\/([^/]+)(?:\/|$)/;

export function parseMethodArn(arn: unknown): MethodArn | undefined {
  if (typeof arn !== 'string') return undefined;
  const m = METHOD_ARN.exec(arn);
  if (m === null) return undefined;
  return { partition: m[1]!, region: m[2]!, account: m[3]!, apiId: m[4]!, stage: m[5]! };
}

/**
 * The resource an Allow or Deny covers. API Gateway caches the authorizer's result per token and
 * checks every later request of that token against it, so the policy must cover the routes, not
 * the first request's methodArn (the seed sample's bug: a second route then answers 403).
 */
export function policyResource(arn: MethodArn, scope: 'stage' | 'api'): string {
  const base = `arn:${arn.partition}:execute-api:${arn.region}:${arn.account}:${arn.apiId}`;
  return scope === 'api' ? `${base}/*` : `${base}/${arn.stage}/*/*`;
}
