import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { ContextValue } from '../core/reasons.js';

/** The parts of an execute-api ARN (`arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path}`). */
export interface MethodArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly apiId: string;
  readonly stage: string;
}

export function parseMethodArn(arn: unknown): MethodArn | undefined {
  if (typeof arn !== 'string') return undefined;
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'execute-api') return undefined;
  const [, partition, , region, account, rest] = parts as [string, string, string, string, string, string];
  const slash = rest.indexOf('/');
  const apiId = rest.slice(0, slash);
  const stage = rest.slice(slash + 1, rest.indexOf('/', slash + 1) >>> 0);
  if (slash <= 0 || !partition || !region || !account || !stage) return undefined;
  return { partition, region, account, apiId, stage };
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

export function policy(
  effect: 'Allow' | 'Deny',
  principalId: string,
  resource: string,
  context: Record<string, ContextValue> | undefined,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...(context ? { context } : {}),
  };
}
