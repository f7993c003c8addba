import type { Context, Statement } from 'aws-lambda';
import { reason, refuse, type Decision, type Reason } from '../core/reasons.js';
import type { RuleIdentity } from '../core/rules-eval.js';
import type { RouteRule } from '../core/rules-types.js';
import { claimValues } from '../core/scopes.js';
import type { Authorizer } from './authorizer.js';
import { policyResource } from './policy.js';
import { formatResponse, readRequest, type AuthorizerResult, type AuthRequest, type Outcome } from './shapes/index.js';

export type AuthorizerHandler = (event: unknown, context?: Pick<Context, 'awsRequestId'>) => Promise<AuthorizerResult>;

/** What a request resolved to, for the log line. */
interface Resolution {
  decision: Decision;
  outcome: Outcome;
  route?: string | undefined;
  note?: string | undefined;
}

const statement = (effect: 'Allow' | 'Deny', resource: string | string[]): Statement => ({ Action: 'execute-api:Invoke', Effect: effect, Resource: resource });

/**
 * The Lambda handler for every authorizer shape: REST TOKEN and REQUEST, HTTP API 1.0 and 2.0,
 * WebSocket $connect. The shape adapters read the event and write the answer; the verifier and the
 * route rules decide; this function joins them and logs one line per decision.
 */
export function createHandler(authorizer: Authorizer): AuthorizerHandler {
  const { config, log } = authorizer;
  return async (event, context) => {
    const started = process.hrtime.bigint();
    const request = readRequest(event, config.tokenSource);
    const resolved = request === undefined ? invalidEvent() : await resolve(authorizer, request);
    const { decision } = resolved;
    if (decision.kind !== 'allow' || config.issuers[0]!.logDecisions === 'all') {
      log({
        level: decision.kind === 'failure' ? 'error' : 'info',
        decision: decision.kind,
        reason: decision.kind === 'allow' ? 'OK' : decision.reason.code,
        message: decision.kind === 'failure' ? decision.reason.message : undefined,
        principal: decision.principal,
        kid: decision.kid,
        issuer: decision.issuer,
        shape: request?.shape,
        route: resolved.route,
        methodArn: request ? request.arn.slice(0, 1600) : undefined,
        note: resolved.note,
        requestId: context?.awsRequestId,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    }
    const usage = usageKey(authorizer, decision);
    const formatted = formatResponse(request?.shape ?? 'rest-token', resolved.outcome, { v2Response: config.v2Response, usageIdentifierKey: usage });
    if (formatted.ok) {
      if (formatted.info.droppedForSize.length) log({ level: 'warn', event: 'context_trimmed', dropped: formatted.info.droppedForSize, requestId: context?.awsRequestId });
      return formatted.result;
    }
    // Too large or unsendable even without context: answer this request alone, or fail; never a broader Allow.
    if (resolved.outcome.kind === 'allow' || resolved.outcome.kind === 'deny') {
      const narrow = { ...resolved.outcome, context: {}, statements: [statement(resolved.outcome.kind === 'allow' ? 'Allow' : 'Deny', request!.arn)] };
      const retry = formatResponse(request!.shape, narrow, { v2Response: config.v2Response, usageIdentifierKey: usage });
      log({ level: 'warn', event: 'result_narrowed', why: formatted.error.message, requestId: context?.awsRequestId });
      if (retry.ok) return retry.result;
    }
    return formatResponse(request?.shape ?? 'rest-token', { kind: 'failure', code: 'RESULT_INVALID' }, { v2Response: config.v2Response }) as never;
  };
}

function invalidEvent(): Resolution {
  const r = reason('EVENT_INVALID', { expected: 'an API Gateway authorizer event' });
  return { decision: refuse(r), outcome: { kind: 'failure', code: r.code } };
}

async function resolve(authorizer: Authorizer, request: AuthRequest): Promise<Resolution> {
  const rules = authorizer.config.rules?.compiled;
  const engine = authorizer.config.rules?.engine;
  const rule = rules && request.method !== undefined && request.path !== undefined ? rules.resolve(request.method, request.path) : undefined;
  const route = request.method !== undefined ? `${request.method} ${request.path ?? ''}` : request.path;

  let decision: Decision;
  if (request.malformedAuth) decision = refuse(reason('TOKEN_MALFORMED', { problem: 'unsupported authorization value' }));
  else if (!request.token) decision = refuse(reason('TOKEN_MISSING'));
  else decision = await authorizer.issuers.verify(request.token);

  if (decision.kind === 'unauthorized' || decision.kind === 'failure') {
    return { decision, route, outcome: decision.kind === 'failure' ? { kind: 'failure', code: decision.reason.code } : { kind: 'unauthorized' } };
  }
  const issuerConfig = authorizer.runtimes.get(decision.issuer ?? '')?.config ?? authorizer.config.issuers[0]!;
  const wide = policyResource(request.arnParts, issuerConfig.policyResource);
  if (decision.kind === 'deny') {
    // A token-wide refusal (required scopes): the same answer on every route while cached.
    return { decision, route, outcome: { kind: 'deny', principalId: decision.principal ?? 'unknown', context: { reason: decision.reason.code }, statements: [statement('Deny', request.shape === 'websocket' ? request.arn : wide)] } };
  }

  const base = { principalId: decision.principal, context: decision.context };
  if (rules === undefined || engine === undefined || rule === undefined) {
    return { decision, route, outcome: { kind: 'allow', ...base, statements: [statement('Allow', request.shape === 'websocket' ? request.arn : wide)] } };
  }
  const identity: RuleIdentity = { scopes: claimValues(decision.claims, issuerConfig.scopeClaims), groups: claimValues(decision.claims, issuerConfig.groupClaims) };
  const satisfied = (r: RouteRule): boolean => engine.evaluateRule(r, decision.claims, identity) === undefined;
  const refusal: Reason | undefined = engine.evaluateRule(rule, decision.claims, identity);
  const routeDecision: Decision = refusal ? refuse(refusal, { principal: decision.principal, kid: decision.kid, issuer: decision.issuer }) : decision;
  const kind = refusal ? 'deny' : 'allow';
  const context = refusal ? { ...decision.context, reason: refusal.code } : decision.context;
  // The policy lists every route this token may use and denies the rest, so the cached answer is right on every route.
  const built = engine.buildRoutePolicy(request.arnParts, rules, satisfied);
  if ('statements' in built) return { decision: routeDecision, route, outcome: { kind, principalId: decision.principal, context, statements: built.statements } };
  return {
    decision: routeDecision,
    route,
    note: `route policy fell back to this request only: ${built.fallback}`,
    outcome: { kind, principalId: decision.principal, context, statements: [statement(kind === 'allow' ? 'Allow' : 'Deny', request.arn)] },
  };
}

function usageKey(authorizer: Authorizer, decision: Decision): string | undefined {
  if (decision.kind !== 'allow') return undefined;
  const claim = (authorizer.runtimes.get(decision.issuer)?.config ?? authorizer.config.issuers[0]!).usageIdentifierClaim;
  const value = claim === undefined ? undefined : decision.claims[claim];
  return typeof value === 'string' && value ? value : undefined;
}
