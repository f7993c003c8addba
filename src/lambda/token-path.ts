import type { Context } from 'aws-lambda';
import type { Allow, Decision } from '../core/reasons.js';
import type { KeySet } from '../core/keyset.js';
import type { Verifier } from '../core/verifier.js';
import type { IamResult } from '../aws/shapes/result.js';
import { readAuthorizationToken } from '../aws/token-read.js';
import { UNAUTHORIZED } from '../aws/bearer.js';
import type { Authorizer } from './authorizer.js';
import type { HandlerOptions } from './handler.js';
import { logLinesWritten, monotonicMs } from './log-line.js';
import { decisionLogger, type DecisionLogger } from './token-log.js';
import { allowResult, methodTargets, type MethodTarget } from './token-result.js';

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

/** An allowed token: its decision, the seconds its times hold, and the last answer built for it. */
interface Answer {
  /** The whole Authorization value it answers (the cache finds it by the value's ending). */
  readonly header: string;
  readonly decision: Allow;
  readonly from: number;
  readonly until: number;
  /** The key set that verified it: a refetch makes a new set, and the entry is not used again. */
  readonly keys: KeySet;
  /** The methodArn of `result`: another route's answer is built again from the decision. */
  arn: string;
  result: IamResult;
}

/** What every request on the path shares, built once. */
interface PathParts {
  readonly verifier: Verifier;
  readonly keys: { cached(): KeySet | undefined };
  readonly usageClaim: string | undefined;
  readonly onDecision: HandlerOptions['onDecision'];
  readonly log: DecisionLogger;
  readonly targets: (arn: string) => MethodTarget | undefined;
  readonly answers: AnswerCache;
}

/** The TOKEN path for this authorizer, or undefined when its settings need the general handler. */
export function createTokenPath(
  authorizer: Authorizer,
  options: HandlerOptions = {},
): TokenPath | undefined {
  const parts = pathParts(authorizer, options);
  if (parts === undefined) return undefined;
  const { verifier, keys, log, answers, targets } = parts;
  return (event, context) => {
    if (typeof event !== 'object' || event === null) return undefined;
    const e = event as { type?: unknown; authorizationToken?: unknown; methodArn?: unknown };
    const header = e.authorizationToken;
    const arn = e.methodArn;
    if (e.type !== 'TOKEN' || typeof header !== 'string' || typeof arn !== 'string')
      return undefined;
    const requestId = context?.awsRequestId;
    const keySet = keys.cached();
    const hit = answers.get(header, keySet, Math.floor(verifier.clock() / 1000));
    // A hit is an Allow: the clock is read only when its line is written (LOG_DECISIONS=all).
    if (hit !== undefined && hit.arn === arn)
      return answer(
        parts,
        hit.decision,
        arn,
        undefined,
        hit.result,
        log.allows ? monotonicMs() : 0,
        requestId,
      );
    const started = log.timed ? monotonicMs() : 0;
    const target = targets(arn);
    if (hit !== undefined) return reuse(parts, hit, arn, target, started, requestId);
    if (target === undefined) return undefined;
    const read = readAuthorizationToken(header);
    if (!read.token || read.malformed) return undefined;
    const decision = verifier.verifyNow(read.token, false);
    if (decision?.kind === 'unauthorized')
      return refuse(parts, decision, target, started, requestId);
    if (decision?.kind !== 'allow') return undefined;
    const result = allowResult(decision, target, usageOf(parts, decision));
    if (result === undefined) return undefined;
    if (keySet !== undefined) answers.set(header, decision, keySet, verifier, arn, result);
    return answer(parts, decision, arn, target, result, started, requestId);
  };
}

/** The parts, or undefined when this authorizer's settings are not the common case. */
function pathParts(authorizer: Authorizer, options: HandlerOptions): PathParts | undefined {
  const { config } = authorizer;
  if (config.issuers.length !== 1 || config.rules !== undefined || config.issuerRules.size > 0)
    return undefined;
  const issuer = config.issuers[0]!;
  const { verifier, keys } = authorizer.runtimes.get(issuer.issuer)!;
  return {
    verifier,
    keys,
    usageClaim: config.shared.usageIdentifierClaim,
    onDecision: options.onDecision,
    log: decisionLogger(authorizer),
    targets: methodTargets(config.shared.policyResource, config.shared.contextClaims),
    answers: answerCache(config.shared.tokenCacheSize),
  };
}

/** A token allowed before, on another route: its answer there, built again from its decision. */
function reuse(
  parts: PathParts,
  hit: Answer,
  arn: string,
  target: MethodTarget | undefined,
  started: number,
  requestId: string | undefined,
): IamResult | Promise<IamResult> | undefined {
  if (target === undefined) return undefined;
  const result = allowResult(hit.decision, target, usageOf(parts, hit.decision));
  if (result === undefined) return undefined;
  hit.arn = arn;
  hit.result = result;
  return answer(parts, hit.decision, arn, target, result, started, requestId);
}

function answer(
  parts: PathParts,
  decision: Allow,
  arn: string,
  target: MethodTarget | undefined,
  result: IamResult,
  started: number,
  requestId: string | undefined,
): IamResult | Promise<IamResult> {
  parts.onDecision?.(decision, requestId);
  if (parts.log.allows) parts.log.line(decision, target ?? parts.targets(arn)!, started, requestId);
  // A line queued behind a full stdout pipe is written before the invocation ends.
  const backlog = logLinesWritten();
  return backlog ? backlog.then(() => result) : result;
}

function refuse(
  parts: PathParts,
  decision: Decision,
  target: MethodTarget,
  started: number,
  requestId: string | undefined,
): never | Promise<never> {
  parts.onDecision?.(decision, requestId);
  if (parts.log.refusals) parts.log.line(decision, target, started, requestId);
  const backlog = logLinesWritten();
  if (backlog)
    return backlog.then(() => {
      throw new Error(UNAUTHORIZED);
    });
  throw new Error(UNAUTHORIZED);
}

/** USAGE_IDENTIFIER_CLAIM's value, when it is a non-empty string. */
function usageOf(parts: PathParts, decision: Allow): string | undefined {
  if (parts.usageClaim === undefined) return undefined;
  const usage = decision.claims[parts.usageClaim];
  return typeof usage === 'string' && usage ? usage : undefined;
}

interface AnswerCache {
  /** The entry for this Authorization value, if verified under `keys` and its times hold `now`. */
  get(header: string, keys: KeySet | undefined, now: number): Answer | undefined;
  set(
    header: string,
    decision: Allow,
    keys: KeySet,
    verifier: Verifier,
    arn: string,
    result: IamResult,
  ): void;
}

// Entries are found by the Authorization value's last characters (the end of the signature) and
// confirmed by the whole value. A Map keyed by the whole value hashes every new token in full:
// about 1.5 µs for an 800-character token, paid by every distinct token for a lookup that misses.
// Two values sharing an ending only take each other's place.
const KEY_CHARS = 32;

/**
 * Allowed tokens by exact Authorization value, oldest out first, at most `size` (0: none). Never a
 * refusal: an entry out of its times is dropped, and the token is verified again (and refused).
 */
function answerCache(size: number): AnswerCache {
  const answers = new Map<string, Answer>();
  // Insertion order, as a ring: the slot about to be written holds the oldest key, dropped first.
  // Cheaper than answers.keys().next(), which allocates an iterator on every insert of a full cache.
  const order: string[] = [];
  let next = 0;
  const keyOf = (header: string): string =>
    header.length > KEY_CHARS ? header.slice(-KEY_CHARS) : header;
  return {
    get(header, keys, now) {
      const key = keyOf(header);
      const hit = answers.get(key);
      if (hit === undefined || hit.header !== header || hit.keys !== keys) return undefined;
      if (now >= hit.from && now < hit.until) return hit;
      answers.delete(key);
      return undefined;
    },
    set(header, decision, keys, verifier, arn, result) {
      if (size === 0) return;
      const key = keyOf(header);
      // A key still in the ring may since have been dropped or stored again: at most size entries.
      if (order.length === size) answers.delete(order[next]!);
      order[next] = key;
      next = (next + 1) % size;
      const { from, until } = verifier.validSeconds(decision.claims);
      answers.set(key, { header, decision, keys, arn, result, from, until });
    },
  };
}
