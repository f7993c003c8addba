import { reasonMessage } from '../core/reason-messages.js';
import type { Context } from 'aws-lambda';
import { credentialRefusal, decide, type DecisionRules, type Verdict } from '../core/decide.js';
import { reason, refuse, type Decision } from '../core/reasons.js';
import type { IssuerSettings } from '../settings/settings.js';
import { IssuerSet } from '../core/issuers.js';
import type { Authorizer } from './authorizer.js';
import { logLinesWritten, monotonicMs } from './log-line.js';
import {
  formatResponse,
  outcomeOf,
  readRequest,
  statement,
  type AuthorizerResult,
  type AuthRequest,
  type Outcome,
  type OutcomeOptions,
  type Shape,
} from '../aws/shapes/index.js';

export type AuthorizerHandler = (
  event: unknown,
  context?: Pick<Context, 'awsRequestId'>,
) => Promise<AuthorizerResult>;

export interface HandlerOptions {
  /** Each decision as made, with the invocation's request id: `tollgate serve` shows it beside the response. */
  readonly onDecision?: (decision: Decision, requestId: string | undefined) => void;
}

type RequestId = string | undefined;

const INVALID_EVENT: Verdict = {
  decision: refuse(
    reason('EVENT_INVALID', { expected: 'an API Gateway authorizer event' }),
  ) as Extract<Verdict, { grant: undefined }>['decision'],
  grant: undefined,
};
const INVALID_EVENT_OUTCOME: Outcome = { kind: 'failure', code: 'EVENT_INVALID' };

/**
 * The Lambda handler for every authorizer shape: REST TOKEN and REQUEST, HTTP API 1.0 and 2.0,
 * WebSocket $connect. The shape adapters read the event and write the answer; the verifier and
 * `decide` decide; this function joins them and logs one line per decision.
 */
export function createHandler(
  authorizer: Authorizer,
  options: HandlerOptions = {},
): AuthorizerHandler {
  const rules = decisionRules(authorizer);
  // Lambda's log level (AWS_LAMBDA_LOG_LEVEL) may leave decision lines out: then none is built.
  const infoLogged = authorizer.log.enabled?.('info') ?? true;
  const errorLogged = authorizer.log.enabled?.('error') ?? true;
  const allowsLogged = infoLogged && authorizer.config.shared.logDecisions === 'all';
  const outcomeOptions: OutcomeOptions = {
    v2Response: authorizer.config.v2Response,
    policyScope: () => authorizer.config.shared.policyResource,
  };
  return async (event, context) => {
    const started = monotonicMs();
    const requestId = context?.awsRequestId;
    const request = readRequest(event, authorizer.config.tokenSource);
    const verdict =
      request === undefined
        ? INVALID_EVENT
        : await verdictFor(authorizer, rules, request).catch(internalError);
    const { decision } = verdict;
    options.onDecision?.(decision, requestId);
    const outcome =
      request === undefined ? INVALID_EVENT_OUTCOME : outcomeOf(verdict, request, outcomeOptions);
    const note = outcome.kind === 'allow' || outcome.kind === 'deny' ? outcome.note : undefined;
    if (note)
      authorizer.log({
        level: 'warn',
        event: 'route_policy_fallback',
        route: routeOf(request!),
        why: note,
      });
    if (
      decision.kind === 'allow'
        ? allowsLogged
        : decision.kind === 'failure'
          ? errorLogged
          : infoLogged
    )
      logDecision(authorizer, decision, request, note, requestId, started);
    // A line queued behind a full stdout pipe is written before the invocation ends.
    const backlog = logLinesWritten();
    if (backlog) await backlog;
    return answer(
      authorizer,
      request?.shape ?? 'rest-token',
      request?.arn,
      outcome,
      usageKey(authorizer, decision),
      requestId,
    );
  };
}

/**
 * The Lambda's one error boundary, with formatResponse (which answers each outcome: a policy, the
 * exact `Unauthorized` error, or an AuthorizerFailure): an error thrown while deciding (a bug) is
 * an INTERNAL_ERROR failure, logged and answered 500 like every failure, never an Allow. Its
 * message is not logged: it might quote the request.
 */
function internalError(): Verdict {
  return {
    decision: refuse(reason('INTERNAL_ERROR')) as Extract<
      Verdict,
      { grant: undefined }
    >['decision'],
    grant: undefined,
  };
}

/** The rules `decide` applies for this authorizer; built once. */
export function decisionRules(authorizer: Authorizer): DecisionRules {
  return {
    shared: authorizer.config.rules,
    byIssuer: authorizer.config.issuerRules,
    // An issuer's settings name its scope and group claims.
    claimsOf: (issuer) => issuerSettings(authorizer, issuer),
  };
}

/** The verifier on the presented token (unless there is none to verify), then `decide`. */
export async function verdictFor(
  authorizer: Authorizer,
  rules: DecisionRules,
  request: Pick<AuthRequest, 'token' | 'malformedAuth' | 'method' | 'path'>,
): Promise<Verdict> {
  const verified =
    credentialRefusal(request.token, request.malformedAuth) ??
    (await issuersOf(authorizer).verify(request.token!));
  return decide(verified, request, rules);
}

const issuerSets = new WeakMap<Authorizer, IssuerSet>();

/** The issuer set over the authorizer's runtimes, built once. */
function issuersOf(authorizer: Authorizer): IssuerSet {
  let set = issuerSets.get(authorizer);
  if (set === undefined) {
    const verifiers = [...authorizer.runtimes].map(([iss, rt]) => [iss, rt.verifier] as const);
    issuerSets.set(authorizer, (set = new IssuerSet(new Map(verifiers))));
  }
  return set;
}

/** An issuer's settings; the first issuer's for a token whose issuer is none of them. */
function issuerSettings(authorizer: Authorizer, issuer: string | undefined): IssuerSettings {
  return authorizer.runtimes.get(issuer ?? '')?.config ?? authorizer.config.issuers[0]!;
}

/** The route as the log names it: `GET /pets/1`, or `$connect`. */
function routeOf(request: AuthRequest): string | undefined {
  return request.method !== undefined ? `${request.method} ${request.path ?? ''}` : request.path;
}

function logDecision(
  authorizer: Authorizer,
  decision: Decision,
  request: AuthRequest | undefined,
  note: string | undefined,
  requestId: RequestId,
  started: number,
): void {
  authorizer.log({
    level: decision.kind === 'failure' ? 'error' : 'info',
    decision: decision.kind,
    reason: decision.kind === 'allow' ? 'OK' : decision.reason.code,
    message: decision.kind === 'failure' ? reasonMessage(decision.reason) : undefined,
    principal: decision.principal,
    kid: decision.kid,
    issuer: decision.issuer,
    shape: request?.shape,
    route: request === undefined ? undefined : routeOf(request),
    methodArn: request ? request.arn.slice(0, 1600) : undefined,
    note,
    requestId,
    durationMs: monotonicMs() - started,
  });
}

/**
 * The outcome as the event's shape answers it. Too large or unsendable even without context: this
 * request alone, or a failure; never a broader Allow.
 */
function answer(
  authorizer: Authorizer,
  shape: Shape,
  arn: string | undefined,
  outcome: Outcome,
  usageIdentifierKey: string | undefined,
  requestId: RequestId,
): AuthorizerResult {
  const { log, config } = authorizer;
  const formatOptions = { v2Response: config.v2Response, usageIdentifierKey };
  const formatted = formatResponse(shape, outcome, formatOptions);
  if (formatted.ok) {
    if (formatted.info.droppedForSize.length)
      log({
        level: 'warn',
        event: 'context_trimmed',
        dropped: formatted.info.droppedForSize,
        requestId,
      });
    return formatted.result;
  }
  if ((outcome.kind === 'allow' || outcome.kind === 'deny') && arn !== undefined) {
    const narrow = {
      ...outcome,
      context: {},
      statements: [statement(outcome.kind === 'allow' ? 'Allow' : 'Deny', arn)],
    };
    const retry = formatResponse(shape, narrow, formatOptions);
    log({ level: 'warn', event: 'result_narrowed', why: formatted.error.message, requestId });
    if (retry.ok) return retry.result;
  }
  return formatResponse(
    shape,
    { kind: 'failure', code: 'RESULT_INVALID' },
    { v2Response: config.v2Response },
  ) as never;
}

function usageKey(authorizer: Authorizer, decision: Decision): string | undefined {
  if (decision.kind !== 'allow') return undefined;
  const claim = authorizer.config.shared.usageIdentifierClaim;
  const value = claim === undefined ? undefined : decision.claims[claim];
  return typeof value === 'string' && value ? value : undefined;
}
