// The TOKEN path's Allow results: what depends on the methodArn alone is built once per ARN (the
// parsed ARN, the policy document, the log line's route fields). A result that a conservative size
// bound says might be near API Gateway's limit is left to the general handler, which fits it.
import type { Allow } from '../core/reasons.js';
import type { ContextClaim } from '../core/context.js';
import { policyResource } from '../aws/policy.js';
import { parseExecuteApiArn, type ExecuteApiArn } from '../aws/execute-api-arn.js';
import { IAM_RESERVED, MAX_RESOURCE_LENGTH, MAX_RESULT_BYTES } from '../aws/shapes/limits.js';
import type { IamResult } from '../aws/shapes/result.js';
import { jsonString } from './log-line.js';

/** What one methodArn's answers share. */
export interface MethodTarget {
  readonly arn: string;
  readonly parts: ExecuteApiArn;
  /** `GET /pets`, as the decision line names the route. */
  readonly route: string;
  /** The decision line's `,"shape":...,"route":...,"methodArn":...` fields, escaped once. */
  readonly logFields: string;
  /** The stage-wide (or API-wide) Allow, frozen: every answer on this ARN holds the same one. */
  readonly policyDocument: IamResult['policyDocument'];
  /** JSON bytes of a result with an empty principal, context and usage key. */
  readonly frameBytes: number;
  /** False when the context needs the general formatter's shaping (a reserved name). */
  readonly direct: boolean;
}

/** A bound on the ARNs remembered: a route per entry, and an authorizer may see many. */
const MAX_TARGETS = 1000;

/**
 * The target for a methodArn, remembered per exact ARN; undefined when the ARN is not a REST one
 * the general handler would accept, or its policy Resource is too long (the general handler then
 * answers, and says why).
 */
export function methodTargets(
  scope: 'stage' | 'api',
  contextClaims: readonly ContextClaim[],
): (arn: string) => MethodTarget | undefined {
  const targets = new Map<string, MethodTarget | undefined>();
  // Names the result's shaping would drop or treat specially: then every result is fitted.
  const direct = contextClaims.every((c) => !IAM_RESERVED.has(c.name) && c.name !== '__proto__');
  return (arn) => {
    let target = targets.get(arn);
    if (target !== undefined || targets.has(arn)) return target;
    target = methodTarget(arn, scope, direct);
    if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value!);
    targets.set(arn, target);
    return target;
  };
}

function methodTarget(
  arn: string,
  scope: 'stage' | 'api',
  direct: boolean,
): MethodTarget | undefined {
  // What restToken.check accepts, for a TOKEN event with this methodArn.
  const parts = parseExecuteApiArn(arn, 'http');
  if (parts === undefined) return undefined;
  const resource = policyResource(parts, scope);
  if (resource.length > MAX_RESOURCE_LENGTH) return undefined;
  const statement = Object.freeze({
    Action: 'execute-api:Invoke',
    Effect: 'Allow',
    Resource: resource,
  });
  const policyDocument = Object.freeze({
    Version: '2012-10-17',
    Statement: Object.freeze([statement]) as unknown as IamResult['policyDocument']['Statement'],
  });
  const route = `${parts.verb} ${parts.path ?? ''}`;
  const frame = { principalId: '', policyDocument, context: {}, usageIdentifierKey: '' };
  return {
    arn,
    parts,
    route,
    logFields: `,"shape":"rest-token","route":${jsonString(route)},"methodArn":${jsonString(arn.slice(0, 1600))}`,
    policyDocument,
    frameBytes: Buffer.byteLength(JSON.stringify(frame)),
    direct,
  };
}

/**
 * The Allow the general handler gives for this decision on this target, frozen (a cached answer is
 * handed out again); undefined when its context needs shaping or it might be near the size limit
 * (the general handler then fits it, and logs anything it drops).
 */
export function allowResult(
  decision: Allow,
  target: MethodTarget,
  usage: string | undefined,
): IamResult | undefined {
  const context = decision.context;
  if (!target.direct || boundBytes(decision, usage, target.frameBytes) > MAX_RESULT_BYTES)
    return undefined;
  let withContext = false;
  for (const _ in context) {
    withContext = true;
    break;
  }
  const result: IamResult = withContext
    ? { principalId: decision.principal, policyDocument: target.policyDocument, context }
    : { principalId: decision.principal, policyDocument: target.policyDocument };
  if (usage) result.usageIdentifierKey = usage;
  Object.freeze(context);
  return Object.freeze(result);
}

/**
 * At least the UTF-8 JSON size of the result: 6 bytes a UTF-16 unit covers any escape or
 * character, and a number's text is at most 24 characters. Context values are flat (buildContext).
 */
function boundBytes(decision: Allow, usage: string | undefined, frame: number): number {
  let n = frame + 6 * decision.principal.length + (usage ? 6 * usage.length : 0);
  const context = decision.context;
  for (const key in context) {
    const value = context[key];
    n += 6 * key.length + 4 + (typeof value === 'string' ? 6 * value.length + 2 : 24);
  }
  return n;
}
