
/** The parts of an execute-api ARN (`arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path}`). */
export interface MethodArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly apiId: string;
  readonly stage: string;
}

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

/** An IAM wildcard as API Gateway matches it: case-sensitive, `*` any run (across `/`), `?` one character. */
function iamPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/**
 * How API Gateway evaluates an authorizer's policy for one ARN (spec section 3): only statements
 * whose Action matches execute-api:Invoke; any matching Deny wins; otherwise a matching Allow.
 */
export function evaluatePolicy(document: unknown, arn: string): 'allow' | 'explicit-deny' | 'implicit-deny' {
  const statements = typeof document === "object" && document !== null ? (document as { Statement?: unknown }).Statement : undefined;
  let allowed = false;
  for (const s of Array.isArray(statements) ? statements : []) {
    if (typeof s !== 'object' || s === null) continue;
    const { Effect, Action, Resource } = s as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    if (!asList(Action).some((a) => iamPattern(a).test('execute-api:Invoke'))) continue;
    if (!asList(Resource).some((r) => iamPattern(r).test(arn))) continue;
    if (Effect === 'Deny') return 'explicit-deny';
    if (Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
