// Evaluates an authorizer policy against a methodArn as API Gateway does (spec section 3):
// execute-api:Invoke statements only, case-sensitive wildcards (* any run, ? one char), Deny wins.
import type { APIGatewayAuthorizerResult } from 'aws-lambda';

function matcher(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export function evaluate(
  result: APIGatewayAuthorizerResult,
  methodArn: string,
): 'allow' | 'explicit-deny' | 'implicit-deny' {
  let allowed = false;
  for (const s of result.policyDocument.Statement as Array<{
    Effect: string;
    Action?: string | string[];
    Resource?: string | string[];
  }>) {
    if (!list(s.Action).some((a) => matcher(a).test('execute-api:Invoke'))) continue;
    if (!list(s.Resource).some((r) => matcher(r).test(methodArn))) continue;
    if (s.Effect === 'Deny') return 'explicit-deny';
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
