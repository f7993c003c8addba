import type { Context } from 'aws-lambda';
import type { Decision } from '../core/reasons.js';
import type { KeySet } from '../core/keyset.js';
import { policyResource } from '../aws/policy.js';
import type { IamResult } from '../aws/shapes/result.js';
import { restToken } from '../aws/shapes/rest-token.js';
import { UNAUTHORIZED } from '../aws/bearer.js';
import type { Authorizer } from './authorizer.js';
import type { HandlerOptions } from './handler.js';
import { jsonString, logLinesWritten } from './log-line.js';

/**
 * The common case in one synchronous step: a TOKEN event, one issuer, no route rules, keys in
 * memory. Answers an Allow, or refuses a bad token (Unauthorized); returns undefined for anything
 * else (another shape, a Deny, a failure, a key to fetch, a result that needs trimming), which the
 * general handler then answers. Its answers and log lines are the general handler's
 * (test/token-path.test.ts compares them case by case).
 */
export type TokenPath = (
  event: unknown,
  context?: Pick<Context, 'awsRequestId'>,
) => IamResult | Promise<IamResult> | undefined;

/** A finished Allow for one token on one methodArn, with the seconds its times hold. */
interface Answer {
  readonly arn: string;
  readonly result: IamResult;
  readonly decision: Extract<Decision, { kind: 'allow' }>;
  readonly route: string;
  readonly from: number;
  readonly until: number;
  /** The key set that verified it: a refetch makes a new set, and the answer is not used again. */
  readonly keys: KeySet;
}

/** The TOKEN path for this authorizer, or undefined when its settings need the general handler. */
// eslint-disable-next-line max-lines-per-function -- being split (issue 11)
export function createTokenPath(
  authorizer: Authorizer,
  options: HandlerOptions = {},
): TokenPath | undefined {
  const { config, log } = authorizer;
  if (config.issuers.length !== 1 || config.rules !== undefined || config.issuerRules.size > 0)
    return undefined;
  const issuer = config.issuers[0]!;
  const { verifier, keys } = authorizer.runtimes.get(issuer.issuer)!;
  const infoLogged = log.enabled?.('info') ?? true;
  const allowsLogged = infoLogged && config.shared.logDecisions === 'all';
  const answers = new Map<string, Answer>();
  const size = config.shared.tokenCacheSize;

  /** The decision line, field for field the general handler's. */
  const logDecision = (
    decision: Decision,
    route: string,
    arn: string,
    started: number,
    requestId: string | undefined,
  ): void => {
    if (log.line === undefined) return logEntry(decision, route, arn, started, requestId);
    // The same text JSON.stringify would write for logEntry's object, without building it.
    const reason = decision.kind === 'allow' ? 'OK' : decision.reason.code;
    log.line(
      'info',
      `{"level":"info","decision":"${decision.kind}","reason":"${reason}"${field('principal', decision.principal)}${field('kid', decision.kid)}${field('issuer', decision.issuer)},"shape":"rest-token","route":${jsonString(route)},"methodArn":${jsonString(arn.slice(0, 1600))}${field('requestId', requestId)},"durationMs":${performance.now() - started}}`,
    );
  };

  const logEntry = (
    decision: Decision,
    route: string,
    arn: string,
    started: number,
    requestId: string | undefined,
  ): void =>
    log({
      level: 'info',
      decision: decision.kind,
      reason: decision.kind === 'allow' ? 'OK' : decision.reason.code,
      message: undefined,
      principal: decision.principal,
      kid: decision.kid,
      issuer: decision.issuer,
      shape: 'rest-token',
      route,
      methodArn: arn.slice(0, 1600),
      note: undefined,
      requestId,
      durationMs: performance.now() - started,
    });

  /** An answer given before: still right while its key set is current and its times hold. */
  const cached = (
    token: string,
    arn: string,
    started: number,
    requestId: string | undefined,
  ): IamResult | Promise<IamResult> | undefined => {
    const hit = answers.get(token);
    if (hit === undefined || hit.arn !== arn || hit.keys !== keys.cached()) return undefined;
    const now = Math.floor(verifier.clock() / 1000);
    if (now < hit.from || now >= hit.until) return void answers.delete(token);
    return answer(hit.decision, hit.route, arn, hit.result, started, requestId);
  };

  const answer = (
    decision: Extract<Decision, { kind: 'allow' }>,
    route: string,
    arn: string,
    result: IamResult,
    started: number,
    requestId: string | undefined,
  ): IamResult | Promise<IamResult> => {
    options.onDecision?.(decision, requestId);
    if (allowsLogged) logDecision(decision, route, arn, started, requestId);
    // A line queued behind a full stdout pipe is written before the invocation ends.
    const backlog = logLinesWritten();
    return backlog ? backlog.then(() => result) : result;
  };

  const remember = (token: string, entry: Answer): void => {
    if (size === 0) return;
    if (answers.size >= size) answers.delete(answers.keys().next().value!);
    answers.set(token, entry);
  };

  return (event, context) => {
    const e = event as { type?: unknown; authorizationToken?: unknown; methodArn?: unknown };
    if (typeof e !== 'object' || e === null || e.type !== 'TOKEN') return undefined;
    const started = performance.now();
    const requestId = context?.awsRequestId;
    const token = e.authorizationToken;
    const arn = e.methodArn;
    if (typeof token === 'string' && typeof arn === 'string') {
      const again = cached(token, arn, started, requestId);
      if (again !== undefined) return again;
    }
    const arnParts = restToken.check(event);
    if (arnParts === undefined) return undefined;
    const request = restToken.extract(event as never, arnParts, config.tokenSource);
    if (!request.token || request.malformedAuth) return undefined;
    const decision = verifier.verifyNow(request.token);
    const route = `${request.method} ${request.path ?? ''}`;
    if (decision?.kind === 'unauthorized') {
      options.onDecision?.(decision, requestId);
      if (infoLogged) logDecision(decision, route, request.arn, started, requestId);
      const backlog = logLinesWritten();
      if (backlog)
        return backlog.then(() => {
          throw new Error(UNAUTHORIZED);
        });
      throw new Error(UNAUTHORIZED);
    }
    if (decision?.kind !== 'allow') return undefined;
    const claim = config.shared.usageIdentifierClaim;
    const usage = claim === undefined ? undefined : decision.claims[claim];
    const formatted = restToken.format(
      {
        kind: 'allow',
        principalId: decision.principal,
        context: decision.context,
        statements: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: policyResource(arnParts, config.shared.policyResource),
          },
        ],
      },
      {
        v2Response: config.v2Response,
        usageIdentifierKey: typeof usage === 'string' && usage ? usage : undefined,
      },
    );
    // Trimmed or too large: the general handler logs why and narrows the policy.
    if (!formatted.ok || formatted.info.droppedForSize.length > 0) return undefined;
    const result = deepFreeze(formatted.result);
    const keySet = keys.cached();
    if (keySet !== undefined && typeof token === 'string')
      remember(token, {
        arn: request.arn,
        result,
        decision,
        route,
        keys: keySet,
        ...verifier.validSeconds(decision.claims),
      });
    return answer(decision, route, request.arn, result, started, requestId);
  };
}

/** A cached answer is handed out again and again: nobody may change it in between. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** `,"name":value` as JSON.stringify writes a string field; nothing for undefined. */
function field(name: string, value: string | undefined): string {
  return value === undefined ? '' : `,"${name}":${jsonString(value)}`;
}
