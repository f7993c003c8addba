// A REST API's Lambda authorizer step, in API Gateway's order (spec sections 1-4): identity
// sources, validation expression, result cache, invocation, output checks, policy evaluation.
import { httpShapedAnswerDetail, looksLikeHttpResponse } from './authorizer-explanations.js';
import { judgePolicy, type ConditionEvaluator } from '../aws/policy-eval.js';
import type { AuthorizerCache, AuthorizerOutput, CachedOutput } from './authorizer-cache.js';
import type { DecisionNote } from './authorizer-header.js';
import {
  headerValue,
  LOCAL_API,
  httpAuthorizerEventV1,
  httpAuthorizerEventV2,
  requestEvent,
  tokenEvent,
  type HttpView,
  type RequestView,
} from './events.js';
import { invoke, type Invocation, type LambdaHandler } from './invoke.js';
import type { IdentitySource, LambdaAuthorizerSpec } from './openapi.js';
import { evaluateCondition } from '../aws/policy-conditions.js';
import type { GatewayResponseType } from './responses.js';

/**
 * Behaviours the spec marks [unconfirmed], with the defaults chosen. A local gateway that is
 * stricter than AWS shows a problem before deployment; one that is looser hides it.
 */
export interface Assumptions {
  /** `test` (default): `new RegExp(expr).test(token)`, a match anywhere; `full`: the whole token must match. */
  readonly validationMatch: 'test' | 'full';
  /** A `null` context value: `error` (default, 500) or `omit` (dropped). */
  readonly nullContextValues: 'error' | 'omit';
  /** Refuse (500) an Allow whose output has no principalId. Default false: the spec's field reports evaluate such outputs. */
  readonly requirePrincipalId: boolean;
  /** HTTP APIs: a thrown "Unauthorized" gives `unauthorized` (default, 401, as on REST) or `error` (500). */
  readonly httpThrownUnauthorized: 'unauthorized' | 'error';
  /** HTTP APIs: `isAuthorized: false` or a Deny gives `forbidden` (default, 403) or `unauthorized` (401, as one field report says). */
  readonly httpDeny: 'forbidden' | 'unauthorized';
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  validationMatch: 'test',
  nullContextValues: 'error',
  requirePrincipalId: false,
  httpThrownUnauthorized: 'unauthorized',
  httpDeny: 'forbidden',
};

/** API Gateway's limit on an authorizer's answer (spec section 3: 8 KB, the quota table); over it, a 500. */
export const MAX_AUTHORIZER_RESULT_BYTES = 8 * 1024;

/** Why a request was answered as it was, for the access log. */
export type AuthReason =
  | 'ALLOW'
  | 'IDENTITY_MISSING'
  | 'IDENTITY_INVALID'
  | 'UNAUTHORIZED'
  | 'AUTHORIZER_ERROR'
  | 'AUTHORIZER_TIMEOUT'
  | 'RESULT_INVALID'
  | 'CONTEXT_INVALID'
  | 'EXPLICIT_DENY'
  | 'IMPLICIT_DENY';

export interface AuthResult {
  readonly reason: AuthReason;
  /** Undefined on allow. */
  readonly response: GatewayResponseType | undefined;
  readonly output: AuthorizerOutput | undefined;
  /** `off`: TTL 0; undefined: the cache was not reached (identity refused first). */
  readonly cache: 'hit' | 'miss' | 'off' | undefined;
  readonly invoked: boolean;
  /** Milliseconds spent in the authorizer function; 0 on a cache hit. */
  readonly latencyMs: number;
  /** Set when a cached policy issued for another route refused this one: the classic cache bug. */
  readonly stale: { readonly issuedFor: string; readonly ageSeconds: number } | undefined;
  readonly detail: string | undefined;
  /** The cache entry this answer is (hit) or became (miss): the request it was made for and when it expires. */
  readonly cacheEntry?: { readonly issuedFor: string; readonly expiresAt: number } | undefined;
  /** Tollgate's own authorizer, when invoked: why it decided so (`tollgate serve`). */
  readonly note?: DecisionNote | undefined;
  /** The event the authorizer was invoked with and what it answered, for `--verbose`; undefined on a cache hit. */
  readonly event?: unknown;
  readonly raw?: unknown;
}

export interface AuthorizeDeps {
  readonly handler: LambdaHandler;
  readonly cache: AuthorizerCache;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly assumptions: Assumptions;
  /** Tollgate's own authorizer: what it decided for the request it was invoked for (`tollgate serve`). */
  readonly noteFor?: (requestId: string) => DecisionNote | undefined;
}

function refused(
  reason: AuthReason,
  response: GatewayResponseType,
  rest: Partial<AuthResult> = {},
): AuthResult {
  return {
    reason,
    response,
    output: undefined,
    cache: undefined,
    invoked: false,
    latencyMs: 0,
    stale: undefined,
    detail: undefined,
    ...rest,
  };
}

/** The identity values, in configured order; undefined when one is missing or empty (401, no invocation). */
export function identityValues(
  sources: readonly IdentitySource[],
  view: RequestView,
  http?: HttpView,
): string[] | undefined {
  const values: string[] = [];
  for (const s of sources) {
    let v: unknown;
    if (s.kind === 'header') v = headerValue(view.headers, s.name.toLowerCase());
    else if (s.kind === 'query') v = view.queryStringParameters[s.name];
    else if (s.kind === 'stageVariable') v = view.stageVariables[s.name];
    else
      v = s.name
        .split('.')
        .reduce<unknown>(
          (o, k) =>
            typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined,
          http ? http.requestContext : view.requestContext,
        );
    if (v === undefined || v === null || v === '') return undefined;
    values.push(String(v));
  }
  return values;
}

type Checked =
  | { ok: true; output: AuthorizerOutput }
  | { ok: false; reason: 'RESULT_INVALID' | 'CONTEXT_INVALID'; detail: string };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The output API Gateway accepts (spec sections 3 and 6); anything else is a 500. REST context
 * values are strings, numbers or booleans; HTTP API ones may also be lists and objects.
 */
export function checkOutput(
  value: unknown,
  assumptions: Assumptions,
  flavour: 'rest' | 'http' = 'rest',
): Checked {
  if (!isObj(value))
    return {
      ok: false,
      reason: 'RESULT_INVALID',
      detail: 'the authorizer did not return an object',
    };
  if (looksLikeHttpResponse(value))
    return {
      ok: false,
      reason: 'RESULT_INVALID',
      detail: httpShapedAnswerDetail(value.statusCode),
    };
  const { principalId, policyDocument, context, usageIdentifierKey } = value;
  if (principalId !== undefined && typeof principalId !== 'string')
    return { ok: false, reason: 'RESULT_INVALID', detail: 'principalId is not a string' };
  if (!isObj(policyDocument) || !Array.isArray(policyDocument.Statement))
    return {
      ok: false,
      reason: 'RESULT_INVALID',
      detail: 'policyDocument.Statement is not a list',
    };
  if (usageIdentifierKey !== undefined && typeof usageIdentifierKey !== 'string')
    return { ok: false, reason: 'RESULT_INVALID', detail: 'usageIdentifierKey is not a string' };
  const flat = checkContext(context, assumptions, flavour);
  if (typeof flat === 'string') return { ok: false, reason: 'CONTEXT_INVALID', detail: flat };
  return {
    ok: true,
    output: {
      principalId,
      policyDocument,
      context: flat,
      usageIdentifierKey,
      isAuthorized: undefined,
    },
  };
}

/** HTTP API simple response (payload 2.0 with enableSimpleResponses): `{ isAuthorized, context? }`. */
export function checkSimpleOutput(value: unknown, assumptions: Assumptions): Checked {
  if (!isObj(value))
    return {
      ok: false,
      reason: 'RESULT_INVALID',
      detail: 'the authorizer did not return an object',
    };
  if (looksLikeHttpResponse(value))
    return {
      ok: false,
      reason: 'RESULT_INVALID',
      detail: httpShapedAnswerDetail(value.statusCode),
    };
  if (typeof value.isAuthorized !== 'boolean')
    return {
      ok: false,
      reason: 'RESULT_INVALID',
      detail: 'isAuthorized is not a boolean (a simple response is { isAuthorized, context })',
    };
  const flat = checkContext(value.context, assumptions, 'http');
  if (typeof flat === 'string') return { ok: false, reason: 'CONTEXT_INVALID', detail: flat };
  return {
    ok: true,
    output: {
      principalId: undefined,
      policyDocument: undefined,
      context: flat,
      usageIdentifierKey: undefined,
      isAuthorized: value.isAuthorized,
    },
  };
}

/** The context as delivered, or why it is refused. */
function checkContext(
  context: unknown,
  assumptions: Assumptions,
  flavour: 'rest' | 'http',
): Record<string, unknown> | string {
  const flat: Record<string, unknown> = {};
  if (context === undefined || context === null) return flat;
  if (!isObj(context)) return 'context is not an object';
  for (const [k, v] of Object.entries(context)) {
    if (v === null && assumptions.nullContextValues === 'omit') continue;
    const scalar = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
    if (flavour === 'rest' && !scalar) {
      return `context.${k} is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}; REST context values must be strings, numbers or booleans`;
    }
    if (flavour === 'http' && v === null) return `context.${k} is null`;
    flat[k] = v;
  }
  return flat;
}

/** How an invocation failed, as API Gateway answers it; undefined when it returned an answer in bounds. */
export interface InvocationFailure {
  readonly reason: AuthReason;
  readonly response: GatewayResponseType;
  readonly detail: string | undefined;
}

/**
 * A timeout, a thrown error (exactly "Unauthorized", case-sensitive, is a 401 where honoured; any
 * other text a 500: spec section 3) or an answer over 8 KB (a 500 before any check).
 */
export function invocationFailure(
  result: Invocation,
  honourUnauthorized: boolean,
  timeoutDetail: string,
): InvocationFailure | undefined {
  if (result.kind === 'timeout')
    return {
      reason: 'AUTHORIZER_TIMEOUT',
      response: 'AUTHORIZER_CONFIGURATION_ERROR',
      detail: timeoutDetail,
    };
  if (result.kind === 'error')
    return result.message === 'Unauthorized' && honourUnauthorized
      ? { reason: 'UNAUTHORIZED', response: 'UNAUTHORIZED', detail: undefined }
      : {
          reason: 'AUTHORIZER_ERROR',
          response: 'AUTHORIZER_CONFIGURATION_ERROR',
          detail: result.message.slice(0, 300),
        };
  if (resultBytes(result) > MAX_AUTHORIZER_RESULT_BYTES)
    return {
      reason: 'RESULT_INVALID',
      response: 'AUTHORIZER_CONFIGURATION_ERROR',
      detail: `the answer is over ${MAX_AUTHORIZER_RESULT_BYTES} bytes of JSON, API Gateway's limit`,
    };
  return undefined;
}

/**
 * An answer's size as JSON: counted by invoke() when it had a limit, else counted here (the value
 * is already a JSON copy, so it always writes).
 */
function resultBytes(result: Extract<Invocation, { kind: 'result' }>): number {
  return result.bytes ?? Buffer.byteLength(JSON.stringify(result.value) ?? 'null');
}

/** The token matches the TOKEN authorizer's validation expression (or there is none). */
function identityValid(
  spec: LambdaAuthorizerSpec,
  token: string,
  assumptions: Assumptions,
): boolean {
  const re = spec.type === 'token' ? spec.validationExpression : undefined;
  if (!re) return true;
  // Compiled once at start (no g/y flag: test() keeps no state); the anchored form once per expression.
  return assumptions.validationMatch === 'full' ? anchored(re).test(token) : re.test(token);
}

const ANCHORED = new WeakMap<RegExp, RegExp>();
function anchored(re: RegExp): RegExp {
  let full = ANCHORED.get(re);
  if (!full) ANCHORED.set(re, (full = new RegExp(`^(?:${re.source})$`, re.flags)));
  return full;
}

export async function authorize(
  spec: LambdaAuthorizerSpec,
  view: RequestView,
  deps: AuthorizeDeps,
  http?: HttpView,
): Promise<AuthResult> {
  const identity = identityValues(spec.identitySources, view, http);
  if (identity === undefined) return refused('IDENTITY_MISSING', 'UNAUTHORIZED');
  if (!identityValid(spec, identity[0]!, deps.assumptions))
    return refused('IDENTITY_INVALID', 'UNAUTHORIZED');
  // The ARN the policy is evaluated against: methodArn (REST, HTTP 1.0) or routeArn (HTTP 2.0); the same string here.
  const arn = http ? http.routeArn : view.methodArn;
  const caching = spec.ttlSeconds > 0;
  const scope = caching ? cacheScope(view.stage, spec.name) : '';
  const cached = caching ? deps.cache.get(scope, identity) : undefined;
  if (cached)
    return judge(cached.output, view, deps, arn, http, cached, {
      cache: 'hit',
      invoked: false,
      latencyMs: 0,
      // The entry itself: it has issuedFor and expiresAt (and is not changed once stored).
      cacheEntry: cached,
    });
  const fresh = await invokeAuthorizer(spec, view, deps, identity, http);
  if (!fresh.ok) return fresh.refusal;
  if (caching) deps.cache.set(scope, identity, spec.ttlSeconds, fresh.output, arn);
  return judge(fresh.output, view, deps, arn, http, undefined, {
    cache: caching ? 'miss' : 'off',
    invoked: true,
    latencyMs: fresh.latencyMs,
    cacheEntry: caching
      ? { issuedFor: arn, expiresAt: deps.now() + spec.ttlSeconds * 1000 }
      : undefined,
    ...fresh.seen,
  });
}

/**
 * Where an authorizer's answers are cached: API Gateway keeps one authorizer cache per stage
 * (FlushStageAuthorizersCache and ResetAuthorizersCache take a stage). Shared across stages, the
 * stage-wide Allow cached by `/dev/pets` (stage `dev`) would answer `/pets` (stage `local`): 403.
 * The stage's length comes first, so no stage and name read as another pair.
 */
function cacheScope(stage: string, authorizer: string): string {
  return `${stage.length}:${stage}${authorizer}`;
}

/** The event for this authorizer's type and payload version. */
function authorizerEvent(
  spec: LambdaAuthorizerSpec,
  view: RequestView,
  identity: readonly string[],
  http: HttpView | undefined,
): unknown {
  if (spec.type === 'token') return tokenEvent(view, identity[0]!);
  if (spec.payloadFormatVersion === '2.0' && http)
    return httpAuthorizerEventV2(view, http, identity);
  if (spec.payloadFormatVersion === '1.0') return httpAuthorizerEventV1(view, identity as string[]);
  return requestEvent(view);
}

interface Seen {
  readonly event: unknown;
  readonly raw: unknown;
  readonly note: DecisionNote | undefined;
}

type Fresh =
  | { ok: true; output: AuthorizerOutput; latencyMs: number; seen: Seen }
  | { ok: false; refusal: AuthResult };

/** Invokes the authorizer and checks its answer (spec sections 3 and 6); neither a 401 nor a 500 is cached. */
async function invokeAuthorizer(
  spec: LambdaAuthorizerSpec,
  view: RequestView,
  deps: AuthorizeDeps,
  identity: readonly string[],
  http: HttpView | undefined,
): Promise<Fresh> {
  const event = authorizerEvent(spec, view, identity, http);
  const started = performance.now();
  const result = await invoke(deps.handler, event, {
    functionName: spec.functionName,
    requestId: view.requestId,
    timeoutMs: deps.timeoutMs,
    now: deps.now,
    region: LOCAL_API.region,
    account: LOCAL_API.account,
    maxResultBytes: MAX_AUTHORIZER_RESULT_BYTES,
  });
  const latencyMs = Math.round(performance.now() - started);
  const seen: Seen = { event, raw: rawAnswer(result), note: deps.noteFor?.(view.requestId) };
  const invoked = {
    ...seen,
    cache: spec.ttlSeconds > 0 ? 'miss' : 'off',
    invoked: true,
    latencyMs,
  } as const;
  const honoured = !http || deps.assumptions.httpThrownUnauthorized === 'unauthorized';
  const fail = (reason: AuthReason, response: GatewayResponseType, detail?: string): Fresh => ({
    ok: false,
    refusal: refused(reason, response, { ...invoked, detail }),
  });
  const failed = invocationFailure(result, honoured, `no answer within ${deps.timeoutMs} ms`);
  if (failed) return fail(failed.reason, failed.response, failed.detail);
  const value = (result as Extract<Invocation, { kind: 'result' }>).value;
  const checked = spec.simpleResponses
    ? checkSimpleOutput(value, deps.assumptions)
    : checkOutput(value, deps.assumptions, http ? 'http' : 'rest');
  if (!checked.ok) return fail(checked.reason, 'AUTHORIZER_CONFIGURATION_ERROR', checked.detail);
  if (spec.payloadFormatVersion === '1.0' && 'claims' in checked.output.context)
    return fail(
      'CONTEXT_INVALID',
      'AUTHORIZER_CONFIGURATION_ERROR',
      'context.claims is reserved in payload 1.0',
    );
  // The note is kept with the answer in the cache: a hit for the same route has the same reason.
  const output = seen.note ? { ...checked.output, note: seen.note } : checked.output;
  return { ok: true, output, latencyMs, seen };
}

/** What the authorizer answered, for `--verbose`: an oversized answer only by its size. */
function rawAnswer(result: Invocation): unknown {
  if (result.kind === 'timeout') return { timeout: true };
  if (result.kind === 'error') return { errorMessage: result.message };
  return resultBytes(result) > MAX_AUTHORIZER_RESULT_BYTES
    ? { oversized: true, bytes: resultBytes(result) }
    : result.value;
}

/** The answer's verdict for this request: a simple response as it is, a policy evaluated against the ARN. */
function judge(
  output: AuthorizerOutput,
  view: RequestView,
  deps: AuthorizeDeps,
  arn: string,
  http: HttpView | undefined,
  cached: CachedOutput | undefined,
  how: Pick<
    AuthResult,
    'cache' | 'invoked' | 'latencyMs' | 'cacheEntry' | 'event' | 'raw' | 'note'
  >,
): AuthResult {
  // One object per verdict, every field written out: spreading a base and then the verdict made two.
  const verdictOf = (
    reason: AuthReason,
    response: GatewayResponseType | undefined,
    detail: string | undefined = undefined,
    stale: AuthResult['stale'] = undefined,
  ): AuthResult => ({
    reason,
    response,
    output,
    cache: how.cache,
    invoked: how.invoked,
    latencyMs: how.latencyMs,
    stale,
    detail,
    cacheEntry: how.cacheEntry,
    note: how.note,
    event: how.event,
    raw: how.raw,
  });
  const denied: GatewayResponseType =
    http && deps.assumptions.httpDeny === 'unauthorized' ? 'UNAUTHORIZED' : 'ACCESS_DENIED';
  if (output.isAuthorized !== undefined) {
    // A simple response decides for every route that presents the same identity, cached or not.
    return output.isAuthorized ? verdictOf('ALLOW', undefined) : verdictOf('EXPLICIT_DENY', denied);
  }
  // Conditions are evaluated per request, cached policy or not: the cache holds the policy, not the decision.
  const conditions = conditionsFor(view, deps.now());
  const { verdict, unevaluated } = judgeFor(output.policyDocument, arn, conditions);
  const why =
    unevaluated === undefined
      ? undefined
      : `refused: a policy condition cannot be evaluated (${unevaluated})`;
  if (verdict === 'explicit-deny')
    return verdictOf('EXPLICIT_DENY', http ? denied : 'ACCESS_DENIED_EXPLICIT', why);
  if (verdict === 'implicit-deny') {
    const stale = staleFor(output, arn, cached, conditions, deps.now());
    return verdictOf('IMPLICIT_DENY', denied, why, stale);
  }
  if (deps.assumptions.requirePrincipalId && output.principalId === undefined)
    return verdictOf(
      'RESULT_INVALID',
      'AUTHORIZER_CONFIGURATION_ERROR',
      'an Allow without principalId',
    );
  return verdictOf('ALLOW', undefined);
}

type Judged = ReturnType<typeof judgePolicy>;

// A cached policy is judged again for every request; without a Condition its verdict for an ARN
// never changes (the document is the gateway's own JSON copy, never changed), so the last one is kept.
const LAST_JUDGED = new WeakMap<object, { readonly arn: string; readonly judged: Judged }>();

/** judgePolicy, remembered per document for its last ARN when no statement has a Condition. */
function judgeFor(document: unknown, arn: string, conditions: ConditionEvaluator): Judged {
  if (typeof document !== 'object' || document === null)
    return judgePolicy(document, arn, conditions);
  const last = LAST_JUDGED.get(document);
  if (last !== undefined && last.arn === arn) return last.judged;
  const judged = judgePolicy(document, arn, conditions);
  if (!hasCondition(document)) LAST_JUDGED.set(document, { arn, judged });
  return judged;
}

/** Whether any statement of a policy has a Condition (conditions are evaluated per request). */
function hasCondition(document: object): boolean {
  const statements = (document as { Statement?: unknown }).Statement;
  if (!Array.isArray(statements)) return false;
  for (const st of statements)
    if (
      typeof st === 'object' &&
      st !== null &&
      (st as { Condition?: unknown }).Condition !== undefined
    )
      return true;
  return false;
}

/**
 * The policy allowed the request it was issued for but not this one, and names methods without
 * wildcards: method-specific, reused from the cache (a deliberate per-route policy has wildcards).
 */
function staleFor(
  output: AuthorizerOutput,
  arn: string,
  cached: CachedOutput | undefined,
  conditions: ConditionEvaluator,
  nowMs: number,
): AuthResult['stale'] {
  return cached &&
    cached.issuedFor !== arn &&
    judgePolicy(output.policyDocument, cached.issuedFor, conditions).verdict === 'allow' &&
    methodSpecific(output.policyDocument)
    ? { issuedFor: cached.issuedFor, ageSeconds: Math.floor((nowMs - cached.storedAt) / 1000) }
    : undefined;
}

/** The request's condition keys (aws:SourceIp, aws:UserAgent, ...) for the policy's Condition blocks. */
function conditionsFor(view: RequestView, nowMs: number): ConditionEvaluator {
  // Read only when a policy has a Condition block: most have none.
  let request: Parameters<typeof evaluateCondition>[1] | undefined;
  return (condition) => {
    if (request === undefined) {
      const identity = view.requestContext.identity as { sourceIp?: unknown } | undefined;
      request = {
        sourceIp: String(identity?.sourceIp ?? ''),
        userAgent: headerValue(view.headers, 'user-agent'),
        referer: headerValue(view.headers, 'referer'),
        nowMs,
      };
    }
    return evaluateCondition(condition, request);
  };
}

/** Whether every Allow in a policy names exact ARNs, with no `*` or `?`: the seed sample's bug. */
function methodSpecific(document: unknown): boolean {
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  if (!Array.isArray(statements)) return false;
  const allows = statements.filter((st) => (st as { Effect?: unknown })?.Effect === 'Allow');
  return (
    allows.length > 0 &&
    allows.every((st) => {
      const r = (st as { Resource?: unknown }).Resource;
      return (Array.isArray(r) ? r : [r]).every((x) => typeof x === 'string' && !/[*?]/.test(x));
    })
  );
}
