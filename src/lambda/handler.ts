import type { Context, Statement } from 'aws-lambda';
import { reason, refuse, type Decision, type Reason } from '../core/reasons.js';
import type { RuleIdentity } from '../core/rules-eval.js';
import type { CompiledRules, RouteRule } from '../core/rules-types.js';
import type { AuthorizerConfig } from '../settings/authorizer-config.js';
import { claimValues } from '../core/scopes.js';
import type { Authorizer } from './authorizer.js';
import { logLinesWritten } from './log-line.js';
import { evaluatePolicy, policyResource } from '../aws/policy.js';
import {
  formatResponse,
  readRequest,
  type AuthorizerResult,
  type AuthRequest,
  type Outcome,
} from '../aws/shapes/index.js';

export type AuthorizerHandler = (
  event: unknown,
  context?: Pick<Context, 'awsRequestId'>,
) => Promise<AuthorizerResult>;

export interface HandlerOptions {
  /** Each decision as made, with the invocation's request id: `tollgate serve` shows it beside the response. */
  readonly onDecision?: (decision: Decision, requestId: string | undefined) => void;
}

/** What a request resolved to, for the log line. */
interface Resolution {
  decision: Decision;
  outcome: Outcome;
  route?: string | undefined;
  note?: string | undefined;
}

const statement = (effect: 'Allow' | 'Deny', resource: string | string[]): Statement => ({
  Action: 'execute-api:Invoke',
  Effect: effect,
  Resource: resource,
});

/**
 * The Lambda handler for every authorizer shape: REST TOKEN and REQUEST, HTTP API 1.0 and 2.0,
 * WebSocket $connect. The shape adapters read the event and write the answer; the verifier and the
 * route rules decide; this function joins them and logs one line per decision.
 */
export function createHandler(
  authorizer: Authorizer,
  options: HandlerOptions = {},
): AuthorizerHandler {
  const { config, log } = authorizer;
  return async (event, context) => {
    const started = process.hrtime.bigint();
    const request = readRequest(event, config.tokenSource);
    const resolved = request === undefined ? invalidEvent() : await resolve(authorizer, request);
    const { decision } = resolved;
    options.onDecision?.(decision, context?.awsRequestId);
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
    // A line queued behind a full stdout pipe is written before the invocation ends.
    const backlog = logLinesWritten();
    if (backlog) await backlog;
    const usage = usageKey(authorizer, decision);
    const formatted = formatResponse(request?.shape ?? 'rest-token', resolved.outcome, {
      v2Response: config.v2Response,
      usageIdentifierKey: usage,
    });
    if (formatted.ok) {
      if (formatted.info.droppedForSize.length)
        log({
          level: 'warn',
          event: 'context_trimmed',
          dropped: formatted.info.droppedForSize,
          requestId: context?.awsRequestId,
        });
      return formatted.result;
    }
    // Too large or unsendable even without context: answer this request alone, or fail; never a broader Allow.
    if (resolved.outcome.kind === 'allow' || resolved.outcome.kind === 'deny') {
      const narrow = {
        ...resolved.outcome,
        context: {},
        statements: [statement(resolved.outcome.kind === 'allow' ? 'Allow' : 'Deny', request!.arn)],
      };
      const retry = formatResponse(request!.shape, narrow, {
        v2Response: config.v2Response,
        usageIdentifierKey: usage,
      });
      log({
        level: 'warn',
        event: 'result_narrowed',
        why: formatted.error.message,
        requestId: context?.awsRequestId,
      });
      if (retry.ok) return retry.result;
    }
    return formatResponse(
      request?.shape ?? 'rest-token',
      { kind: 'failure', code: 'RESULT_INVALID' },
      { v2Response: config.v2Response },
    ) as never;
  };
}

function invalidEvent(): Resolution {
  const r = reason('EVENT_INVALID', { expected: 'an API Gateway authorizer event' });
  return { decision: refuse(r), outcome: { kind: 'failure', code: r.code } };
}

async function resolve(authorizer: Authorizer, request: AuthRequest): Promise<Resolution> {
  const shared = authorizer.config.rules;
  const route =
    request.method !== undefined ? `${request.method} ${request.path ?? ''}` : request.path;

  let decision: Decision;
  if (request.malformedAuth)
    decision = refuse(reason('TOKEN_MALFORMED', { problem: 'unsupported authorization value' }));
  else if (!request.token) decision = refuse(reason('TOKEN_MISSING'));
  else decision = await authorizer.issuers.verify(request.token);

  if (decision.kind === 'failure')
    return { decision, route, outcome: { kind: 'failure', code: decision.reason.code } };
  if (decision.kind === 'unauthorized') {
    // A public route needs no token: an anonymous caller gets the public routes, and only them.
    if (
      decision.reason.code === 'TOKEN_MISSING' &&
      shared &&
      ruleFor(shared.compiled, request).access === 'public'
    ) {
      const anonymous: Decision = {
        kind: 'allow',
        principal: 'anonymous',
        claims: {},
        context: {},
        kid: undefined,
        issuer: '',
      };
      return routePolicy(
        shared,
        authorizer,
        request,
        anonymous,
        route,
        (r) => r.access === 'public',
        undefined,
      );
    }
    return { decision, route, outcome: { kind: 'unauthorized' } };
  }
  const issuerConfig =
    authorizer.runtimes.get(decision.issuer ?? '')?.config ?? authorizer.config.issuers[0]!;
  const wide =
    request.shape === 'websocket'
      ? request.arn
      : policyResource(request.arnParts, issuerConfig.policyResource);
  if (decision.kind === 'deny') {
    // A token-wide refusal (required scopes): the same answer on every route while cached.
    return {
      decision,
      route,
      outcome: {
        kind: 'deny',
        principalId: decision.principal ?? 'unknown',
        context: { reason: decision.reason.code },
        statements: [statement('Deny', wide)],
      },
    };
  }
  // An issuer's own rules replace the shared ones for its tokens.
  const rules = authorizer.config.issuerRules.get(decision.issuer) ?? shared;
  if (rules === undefined) {
    return {
      decision,
      route,
      outcome: {
        kind: 'allow',
        principalId: decision.principal,
        context: decision.context,
        statements: [statement('Allow', wide)],
      },
    };
  }
  const { engine } = rules;
  const identity: RuleIdentity = {
    scopes: claimValues(decision.claims, issuerConfig.scopeClaims),
    groups: claimValues(decision.claims, issuerConfig.groupClaims),
  };
  const rule = ruleFor(rules.compiled, request);
  // One evaluator for the request: each rule and each distinct condition is decided once.
  const evaluate = engine.ruleEvaluator(decision.claims, identity);
  return routePolicy(
    rules,
    authorizer,
    request,
    decision,
    route,
    (r) => evaluate(r) === undefined,
    evaluate(rule),
  );
}

/** The rule that decides this request; WebSocket $connect has no method or path, so the rules' default. */
function ruleFor(compiled: CompiledRules, request: AuthRequest): RouteRule {
  return request.method !== undefined && request.path !== undefined
    ? compiled.resolve(request.method, request.path)
    : compiled.defaultRule;
}

/**
 * The answer under route rules. The policy lists every route this identity may use and denies the
 * rest, so the cached answer is right on every route; the current route's own verdict is the
 * decision logged. When no exact policy exists, the policy covers this request only.
 */
function routePolicy(
  rules: NonNullable<AuthorizerConfig['rules']>,
  authorizer: Authorizer,
  request: AuthRequest,
  allow: Extract<Decision, { kind: 'allow' }>,
  route: string | undefined,
  satisfied: (r: RouteRule) => boolean,
  refusal: Reason | undefined,
): Resolution {
  const { compiled, engine } = rules;
  const decision: Decision = refusal
    ? refuse(refusal, { principal: allow.principal, kid: allow.kid, issuer: allow.issuer })
    : allow;
  const simple = request.shape === 'http-v2' && authorizer.config.v2Response === 'simple';
  const built =
    request.shape === 'websocket' || simple
      ? undefined
      : engine.buildRoutePolicy(request.arnParts, compiled, satisfied);
  const verdict =
    built && 'statements' in built
      ? evaluatePolicy({ Statement: built.statements }, request.arn)
      : undefined;
  if (built && 'statements' in built && (refusal ? verdict !== 'allow' : verdict === 'allow')) {
    // Formatted as an allow even when this route is refused: the policy itself denies this ARN, and
    // its Allow statements keep the other routes right while cached. No per-route reason in the context.
    return {
      decision,
      route,
      outcome: {
        kind: 'allow',
        principalId: allow.principal,
        context: allow.context,
        statements: built.statements,
      },
    };
  }
  const note =
    built && 'fallback' in built
      ? `route policy covers this request only: ${built.fallback}`
      : undefined;
  if (note) authorizer.log({ level: 'warn', event: 'route_policy_fallback', route, why: note });
  const kind = refusal ? 'deny' : 'allow';
  const context = refusal ? { ...allow.context, reason: refusal.code } : allow.context;
  return {
    decision,
    route,
    note,
    outcome: {
      kind,
      principalId: allow.principal,
      context,
      statements: [statement(kind === 'allow' ? 'Allow' : 'Deny', request.arn)],
    },
  };
}

function usageKey(authorizer: Authorizer, decision: Decision): string | undefined {
  if (decision.kind !== 'allow') return undefined;
  const claim = (authorizer.runtimes.get(decision.issuer)?.config ?? authorizer.config.issuers[0]!)
    .usageIdentifierClaim;
  const value = claim === undefined ? undefined : decision.claims[claim];
  return typeof value === 'string' && value ? value : undefined;
}
