import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { reason, refuse, type Decision } from '../core/reasons.js';
import { parseMethodArn, policy, policyResource } from './policy.js';
import type { Runtime } from './runtime.js';

/** API Gateway answers 401 only for this exact message; any other error message gives 500. */
export const UNAUTHORIZED = 'Unauthorized';

/** Thrown when Tollgate cannot decide (identity provider down, bad event): API Gateway answers 500. */
export class AuthorizerFailure extends Error {
  constructor(readonly code: string) {
    super(`Authorizer failure: ${code}`);
    this.name = 'AuthorizerFailure';
  }
}

/**
 * The token in an Authorization value: `Bearer <token>` (scheme case-insensitive) or a bare token.
 * Empty when there is none; undefined when the value uses another scheme or has extra words.
 */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return '';
  // The common shape, without scanning the token: the parser refuses any whitespace left in it.
  if (value.startsWith('Bearer ') && value.charCodeAt(7) > 32 && value.charCodeAt(value.length - 1) > 32) return value.slice(7);
  const v = value.trim();
  const space = v.search(/\s/);
  if (space < 0) return v.toLowerCase() === 'bearer' ? '' : v;
  if (v.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = v.slice(space + 1).trim();
  return /\s/.test(token) ? undefined : token;
}

/**
 * The REST TOKEN authorizer: the decision becomes an Allow or Deny policy over the API's routes,
 * an `Unauthorized` error (401), or another error (500). One JSON log line per decision.
 */
export function createTokenHandler(runtime: Runtime): (event: APIGatewayTokenAuthorizerEvent, context?: Pick<Context, 'awsRequestId'>) => Promise<APIGatewayAuthorizerResult> {
  const { config, verifier, log } = runtime;
  return async (event, context) => {
    // process.hrtime, not performance.now: the first use of `performance` costs about 1 ms of cold start.
    const started = process.hrtime.bigint();
    const arn = parseMethodArn(event?.methodArn);
    let decision: Decision;
    if (arn === undefined || event.type !== 'TOKEN') decision = refuse(reason('EVENT_INVALID', { expected: 'a TOKEN event with a methodArn' }));
    else {
      const token = bearerToken(event.authorizationToken);
      decision = token === undefined ? refuse(reason('TOKEN_MALFORMED', { problem: 'unsupported authorization scheme' })) : await verifier.verify(token);
    }
    if (decision.kind !== 'allow' || config.logDecisions === 'all') {
      log({
        level: decision.kind === 'failure' ? 'error' : 'info',
        decision: decision.kind,
        reason: decision.kind === 'allow' ? 'OK' : decision.reason.code,
        message: decision.kind === 'failure' ? decision.reason.message : undefined,
        principal: decision.principal,
        kid: decision.kid,
        issuer: decision.issuer,
        methodArn: typeof event?.methodArn === 'string' ? event.methodArn.slice(0, 1600) : undefined,
        requestId: context?.awsRequestId,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    }
    switch (decision.kind) {
      case 'allow': {
        const result = policy('Allow', decision.principal, policyResource(arn!, config.policyResource), decision.context);
        // API Gateway usage plans meter and throttle each client by this key (apiKeySource AUTHORIZER).
        const usage = config.usageIdentifierClaim === undefined ? undefined : decision.claims[config.usageIdentifierClaim];
        return typeof usage === 'string' && usage ? { ...result, usageIdentifierKey: usage } : result;
      }
      case 'deny':
        // Deny covers the same resources an Allow would, so the cached answer is the same on every route.
        return policy('Deny', decision.principal ?? 'unknown', policyResource(arn!, config.policyResource), { reason: decision.reason.code });
      case 'unauthorized':
        throw new Error(UNAUTHORIZED);
      case 'failure':
        throw new AuthorizerFailure(decision.reason.code);
    }
  };
}
