// API Gateway's COGNITO_USER_POOLS authorizer (REST APIs; docs/emulation.md): the token from one
// header, bare or after `Bearer `; its `iss` one of the authorizer's pools; its signature from the
// pool's JWKS; not expired; `token_use` id on a method without OAuth scopes, access with one of the
// method's scopes otherwise. Every refusal is 401; keys that cannot be had are a 500.
import { reasonMessage } from '../core/reason-messages.js';
import { cognitoClaims, hasMethodScope, tokenUseFor, type UserPool } from '../aws/cognito.js';
import type { Decision } from '../core/reasons.js';
import { Verifier } from '../core/verifier.js';
import { JwksClient } from '../keys/jwks-client.js';
import type { CognitoAuthorizerSpec } from './cognito-spec.js';
import { GATEWAY_KEY_CACHE, type JwtAuthorizer, type JwtOutcome } from './jwt-authorizer.js';

/** Where a pool's keys are when not at Cognito, and which extra issuer stands for it. */
export interface PoolMapping {
  /** A JWKS URL (a local key server), instead of the pool's own. */
  readonly jwksUri: string;
  /** `--cognito POOL=dev`: the development provider's issuer, accepted besides the pool's. */
  readonly devIssuer?: string;
}

export interface CognitoAuthorizerOptions {
  /** Pool id → mapping; a pool not in it is fetched from Cognito itself. */
  readonly pools?: ReadonlyMap<string, PoolMapping>;
  readonly now?: () => number;
  readonly log?: (entry: Record<string, unknown>) => void;
  readonly timeoutMs?: number;
}

/** API Gateway's body for an expired Cognito token (a 401; field reports, docs/emulation.md). */
export const EXPIRED_MESSAGE = 'The incoming token has expired';

type Verifiers = Readonly<Record<'id' | 'access', Verifier>>;

/** The payload's claims decoded without trust: only to pick the pool and pre-check aud. */
function peek(token: string): Record<string, unknown> {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as unknown;
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function keySourceFor(
  pool: UserPool,
  mapping: PoolMapping | undefined,
  o: CognitoAuthorizerOptions,
): JwksClient {
  return new JwksClient({
    jwksUri: new URL(mapping?.jwksUri ?? pool.jwksUri),
    timeoutMs: o.timeoutMs ?? 5000,
    ...GATEWAY_KEY_CACHE,
    ...(o.now ? { now: o.now } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
}

/** Verifiers per accepted issuer: the pool's, and the development provider's when mapped to it. */
function issuersOf(spec: CognitoAuthorizerSpec, o: CognitoAuthorizerOptions) {
  const byIssuer = new Map<string, Verifiers>();
  for (const pool of spec.pools) {
    const mapping = o.pools?.get(pool.poolId);
    const keySource = keySourceFor(pool, mapping, o);
    const verifier = (issuer: string, tokenUse: 'id' | 'access'): Verifier =>
      new Verifier({
        issuer,
        audiences: [],
        audienceClaim: 'none',
        tokenUse,
        algorithms: ['RS256'],
        clockTolerance: 0,
        requiredScopes: [],
        scopeMatch: 'any',
        contextClaims: [],
        maxTokenLength: 16 * 1024,
        keySource,
        ...(o.now ? { now: o.now } : {}),
      });
    for (const issuer of [pool.issuer, mapping?.devIssuer]) {
      if (issuer !== undefined && !byIssuer.has(issuer))
        byIssuer.set(issuer, { id: verifier(issuer, 'id'), access: verifier(issuer, 'access') });
    }
  }
  return byIssuer;
}

function refuse(reason: string, detail: string, status: 401 | 500 = 401): JwtOutcome {
  return {
    ok: false,
    status,
    reason,
    detail,
    wwwAuthenticate: undefined,
    ...(reason === 'TOKEN_EXPIRED' ? { message: EXPIRED_MESSAGE } : {}),
  };
}

function refusal(decision: Exclude<Decision, { kind: 'allow' }>): JwtOutcome {
  const code = decision.reason.code;
  // Only keys that cannot be had are API Gateway's fault; every token problem is a 401.
  return decision.kind === 'failure' && code !== 'INTERNAL_ERROR'
    ? refuse(code, reasonMessage(decision.reason), 500)
    : refuse(code, reasonMessage(decision.reason));
}

export function createCognitoAuthorizer(
  spec: CognitoAuthorizerSpec,
  options: CognitoAuthorizerOptions = {},
): JwtAuthorizer {
  const byIssuer = issuersOf(spec, options);
  return {
    async authorize(identity, methodScopes) {
      const token = identity.startsWith('Bearer ') ? identity.slice(7) : identity;
      const seen = peek(token);
      const verifiers = typeof seen.iss === 'string' ? byIssuer.get(seen.iss) : undefined;
      if (!verifiers)
        return refuse('ISSUER_MISMATCH', "the token's iss is not one of the authorizer's pools");
      if (spec.audPattern && !(typeof seen.aud === 'string' && spec.audPattern.test(seen.aud)))
        return refuse(
          'AUDIENCE_MISMATCH',
          "the token's aud does not match identityValidationExpression",
        );
      const tokenUse = tokenUseFor(methodScopes);
      const decision = await verifiers[tokenUse].verify(token);
      if (decision.kind !== 'allow') return refusal(decision);
      if (tokenUse === 'access' && !hasMethodScope(decision.claims, methodScopes))
        return refuse(
          'SCOPE_INSUFFICIENT',
          "the access token's scope has none of the method's scopes",
        );
      return {
        ok: true,
        principal: decision.principal,
        claims: cognitoClaims(decision.claims),
        scopes: null,
        claimsOnly: true,
      };
    },
  };
}
