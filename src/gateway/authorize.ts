// A REST API's Lambda authorizer step, in API Gateway's order (spec sections 1-4): identity
// sources, validation expression, result cache, invocation, output checks, policy evaluation.
import { evaluatePolicy } from '../lambda/policy.js';
import type { ContextValue } from '../core/reasons.js';
import type { AuthorizerCache, AuthorizerOutput } from './authorizer-cache.js';
import { LOCAL_API, requestEvent, tokenEvent, type RequestView } from './events.js';
import { invoke, type LambdaHandler } from './invoke.js';
import type { AuthorizerSpec, IdentitySource } from './openapi.js';
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
}

export const DEFAULT_ASSUMPTIONS: Assumptions = { validationMatch: 'test', nullContextValues: 'error', requirePrincipalId: false };

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
}

export interface AuthorizeDeps {
  readonly handler: LambdaHandler;
  readonly cache: AuthorizerCache;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly assumptions: Assumptions;
}

function refused(reason: AuthReason, response: GatewayResponseType, rest: Partial<AuthResult> = {}): AuthResult {
  return { reason, response, output: undefined, cache: undefined, invoked: false, latencyMs: 0, stale: undefined, detail: undefined, ...rest };
}

/** The identity values, in configured order; undefined when one is missing or empty (401, no invocation). */
function identityValues(sources: readonly IdentitySource[], view: RequestView): string[] | undefined {
  const values: string[] = [];
  for (const s of sources) {
    let v: unknown;
    if (s.kind === 'header') v = Object.entries(view.headers).find(([k]) => k.toLowerCase() === s.name.toLowerCase())?.[1];
    else if (s.kind === 'query') v = view.queryStringParameters[s.name];
    else if (s.kind === 'stageVariable') v = view.stageVariables[s.name];
    else v = s.name.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), view.requestContext);
    if (v === undefined || v === null || v === '') return undefined;
    values.push(String(v));
  }
  return values;
}

type Checked = { ok: true; output: AuthorizerOutput } | { ok: false; reason: 'RESULT_INVALID' | 'CONTEXT_INVALID'; detail: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The output API Gateway accepts (spec section 3); anything else is a 500. */
export function checkOutput(value: unknown, assumptions: Assumptions): Checked {
  if (!isObj(value)) return { ok: false, reason: 'RESULT_INVALID', detail: 'the authorizer did not return an object' };
  const { principalId, policyDocument, context, usageIdentifierKey } = value;
  if (principalId !== undefined && typeof principalId !== 'string') return { ok: false, reason: 'RESULT_INVALID', detail: 'principalId is not a string' };
  if (!isObj(policyDocument) || !Array.isArray(policyDocument.Statement)) return { ok: false, reason: 'RESULT_INVALID', detail: 'policyDocument.Statement is not a list' };
  if (usageIdentifierKey !== undefined && typeof usageIdentifierKey !== 'string') return { ok: false, reason: 'RESULT_INVALID', detail: 'usageIdentifierKey is not a string' };
  const flat: Record<string, ContextValue> = {};
  if (context !== undefined && context !== null) {
    if (!isObj(context)) return { ok: false, reason: 'CONTEXT_INVALID', detail: 'context is not an object' };
    for (const [k, v] of Object.entries(context)) {
      if (v === null && assumptions.nullContextValues === 'omit') continue;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        return { ok: false, reason: 'CONTEXT_INVALID', detail: `context.${k} is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}; REST context values must be strings, numbers or booleans` };
      }
      flat[k] = v;
    }
  }
  return { ok: true, output: { principalId, policyDocument, context: flat, usageIdentifierKey } };
}

export async function authorize(spec: AuthorizerSpec, view: RequestView, deps: AuthorizeDeps): Promise<AuthResult> {
  const identity = identityValues(spec.identitySources, view);
  if (identity === undefined) return refused('IDENTITY_MISSING', 'UNAUTHORIZED');
  if (spec.type === 'token' && spec.validationExpression) {
    const re = spec.validationExpression;
    const token = identity[0]!;
    const matches = deps.assumptions.validationMatch === 'full' ? new RegExp(`^(?:${re.source})$`, re.flags).test(token) : new RegExp(re.source, re.flags).test(token);
    if (!matches) return refused('IDENTITY_INVALID', 'UNAUTHORIZED');
  }

  const caching = spec.ttlSeconds > 0;
  const cached = caching ? deps.cache.get(spec.name, identity) : undefined;
  let output: AuthorizerOutput;
  let latencyMs = 0;
  if (cached) {
    output = cached.output;
  } else {
    const event = spec.type === 'token' ? tokenEvent(view, identity[0]!) : requestEvent(view);
    const started = performance.now();
    const result = await invoke(deps.handler, event, { functionName: spec.functionName, requestId: view.requestId, timeoutMs: deps.timeoutMs, now: deps.now, region: LOCAL_API.region, account: LOCAL_API.account });
    latencyMs = Math.round(performance.now() - started);
    const cache = caching ? 'miss' : 'off';
    // Neither a 401 nor a 500 is cached (spec section 4: unconfirmed, default not cached).
    if (result.kind === 'timeout') return refused('AUTHORIZER_TIMEOUT', 'AUTHORIZER_CONFIGURATION_ERROR', { cache, invoked: true, latencyMs, detail: `no answer within ${deps.timeoutMs} ms` });
    if (result.kind === 'error') {
      // Exactly "Unauthorized", case-sensitive: any other text is a 500 (spec section 3).
      if (result.message === 'Unauthorized') return refused('UNAUTHORIZED', 'UNAUTHORIZED', { cache, invoked: true, latencyMs });
      return refused('AUTHORIZER_ERROR', 'AUTHORIZER_CONFIGURATION_ERROR', { cache, invoked: true, latencyMs, detail: result.message.slice(0, 300) });
    }
    const checked = checkOutput(result.value, deps.assumptions);
    if (!checked.ok) return refused(checked.reason, 'AUTHORIZER_CONFIGURATION_ERROR', { cache, invoked: true, latencyMs, detail: checked.detail });
    output = checked.output;
    if (caching) deps.cache.set(spec.name, identity, spec.ttlSeconds, output, view.methodArn);
  }

  const cache = cached ? 'hit' : caching ? 'miss' : 'off';
  const base = { output, cache, invoked: !cached, latencyMs, stale: undefined, detail: undefined } as const;
  const verdict = evaluatePolicy(output.policyDocument, view.methodArn);
  if (verdict === 'explicit-deny') return { ...base, reason: 'EXPLICIT_DENY', response: 'ACCESS_DENIED_EXPLICIT' };
  if (verdict === 'implicit-deny') {
    // The policy allowed the request it was issued for but not this one, and names methods without
    // wildcards: method-specific, reused from the cache (a deliberate per-route policy has wildcards).
    const stale =
      cached && cached.issuedFor !== view.methodArn && evaluatePolicy(output.policyDocument, cached.issuedFor) === 'allow' && methodSpecific(output.policyDocument)
        ? { issuedFor: cached.issuedFor, ageSeconds: Math.floor((deps.now() - cached.storedAt) / 1000) }
        : undefined;
    return { ...base, reason: 'IMPLICIT_DENY', response: 'ACCESS_DENIED', stale };
  }
  if (deps.assumptions.requirePrincipalId && output.principalId === undefined) {
    return { ...base, reason: 'RESULT_INVALID', response: 'AUTHORIZER_CONFIGURATION_ERROR', detail: 'an Allow without principalId' };
  }
  return { ...base, reason: 'ALLOW', response: undefined };
}

/** Whether every Allow in a policy names exact ARNs, with no `*` or `?`: the seed sample's bug. */
function methodSpecific(document: unknown): boolean {
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  if (!Array.isArray(statements)) return false;
  const allows = statements.filter((st) => (st as { Effect?: unknown })?.Effect === 'Allow');
  return allows.length > 0 && allows.every((st) => {
    const r = (st as { Resource?: unknown }).Resource;
    return (Array.isArray(r) ? r : [r]).every((x) => typeof x === 'string' && !/[*?]/.test(x));
  });
}
