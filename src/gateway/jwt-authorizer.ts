// API Gateway's native JWT authorizers with Tollgate's verifier underneath: an HTTP API's (spec
// section 7: one issuer, RSA, aud or client_id when aud is absent) and a REST API's (several
// issuers with their own audiences and claim rules, an RS/ES allow-list: docs/emulation.md). The
// token bare or after `Bearer `, a signature from the issuer's JWKS (found by discovery, cached up
// to 1 h, refetched on an unseen kid), iss, aud, exp, nbf, iat, then one of the method's scopes.
import { reasonMessage } from '../core/reason-messages.js';
import type { Decision, JwtPayload } from '../core/reasons.js';
import { checkScopes, grantedScopes } from '../core/scopes.js';
import { Verifier } from '../core/verifier.js';
import { discoverJwksUri } from '../keys/discovery.js';
import { JwksClient } from '../keys/jwks-client.js';
import { issuerPoolId } from '../aws/cognito.js';
import type { PoolMapping } from './cognito-authorizer.js';
import type { JwtAdditionalClaim, JwtAuthorizerSpec, JwtIssuerSpec } from './openapi.js';

export type JwtOutcome =
  | {
      readonly ok: true;
      readonly principal: string;
      readonly claims: Record<string, string>;
      readonly scopes: readonly string[] | null;
      /** Cognito user pool authorizers: the integration gets `authorizer.claims` alone. */
      readonly claimsOnly?: boolean;
    }
  | {
      readonly ok: false;
      /** 500 only when the issuer's keys cannot be had. */
      readonly status: 401 | 403 | 500;
      /** The `www-authenticate` header API Gateway sends with a 401 or 403. */
      readonly wwwAuthenticate: string | undefined;
      /** Tollgate's reason code, for the access log. */
      readonly reason: string;
      readonly detail: string;
      /** The refusal's message when it is not the response type's default (Cognito: an expired token). */
      readonly message?: string;
    };

export interface JwtAuthorizer {
  authorize(identity: string, routeScopes: readonly string[]): Promise<JwtOutcome>;
}

export interface JwtAuthorizerOptions {
  readonly now?: () => number;
  readonly log?: (entry: Record<string, unknown>) => void;
  /** Bound on discovery plus the JWKS fetch. */
  readonly timeoutMs?: number;
  /**
   * Cognito user pools whose keys are elsewhere (`--cognito POOL_ID=URL|dev`): an issuer that is a
   * pool's takes its keys from the mapping, and a `dev` mapping's issuer is accepted besides it.
   */
  readonly pools?: ReadonlyMap<string, PoolMapping>;
}

// What AWS says in error_description for the common failures (http-api-troubleshooting-jwt).
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  AUDIENCE_MISMATCH: 'the token does not have a valid audience',
  ISSUER_MISMATCH: 'the token does not have a valid issuer',
  TOKEN_EXPIRED: 'the token has expired',
  TOKEN_NOT_YET_VALID: 'the token is not valid yet',
  TOKEN_ISSUED_IN_FUTURE: 'the token was issued in the future',
  SIGNATURE_INVALID: 'the token signature is invalid',
  KEY_NOT_FOUND: "the token was not signed by a key in the issuer's JWKS",
  ALG_NOT_ALLOWED: 'the token is not signed with an allowed algorithm',
  TOKEN_MALFORMED: 'the token is not a valid JWT',
};

const quote = (s: string): string => s.replace(/["\\]/g, '');

/**
 * Claims as API Gateway hands them to integrations: every value a string, lists as `[a b]`.
 * Nested objects become JSON text (AWS's own rendering of them is not documented).
 */
export function stringifyClaims(claims: JwtPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === null || v === undefined) continue;
    out[k] =
      typeof v === 'string'
        ? v
        : Array.isArray(v)
          ? `[${v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}]`
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v);
  }
  return out;
}

/** The payload's `iss` and whether it has `aud`, decoded without trust: only to pick the issuer and claim. */
function peek(token: string): { iss: unknown; hasAud: boolean } {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as unknown;
    if (typeof payload !== 'object' || payload === null) return { iss: undefined, hasAud: true };
    return { iss: (payload as Record<string, unknown>).iss, hasAud: 'aud' in payload };
  } catch {
    return { iss: undefined, hasAud: true };
  }
}

/** Why a verified token fails one of its issuer's claim rules, or undefined. */
export function claimRuleFailure(
  claims: JwtPayload,
  rules: readonly JwtAdditionalClaim[],
): string | undefined {
  for (const rule of rules) {
    const value = claims[rule.name];
    if (value === undefined) {
      if (rule.required) return `the token does not have the required claim ${rule.name}`;
      continue;
    }
    if (typeof value !== 'string') return `the token claim ${rule.name} is not a single string`;
    if (rule.expectedValues.length > 0 && !rule.expectedValues.includes(value))
      return `the token does not have a valid ${rule.name} claim`;
  }
  return undefined;
}

interface IssuerVerifiers {
  readonly spec: JwtIssuerSpec;
  readonly byAud: Verifier;
  readonly byClientId: Verifier | undefined;
}

/**
 * API Gateway's native JWT authorizer over Tollgate's verifier: one verifier per issuer (and one
 * reading client_id where the spec allows a token without aud), keys by discovery.
 */
export function createJwtAuthorizer(
  spec: JwtAuthorizerSpec,
  options: JwtAuthorizerOptions = {},
): JwtAuthorizer {
  const issuers = new Map<string, IssuerVerifiers>();
  for (const issuer of spec.issuers) {
    const mapping = options.pools?.get(issuerPoolId(issuer.issuer) ?? '');
    const keySource = issuerKeySource(issuer.issuer, mapping?.jwksUri, options);
    issuers.set(issuer.issuer, issuerVerifiers(spec, issuer, options, keySource));
    // `--cognito POOL=dev`: the development provider's own tokens stand for the pool's.
    const dev = mapping?.devIssuer;
    if (dev !== undefined && !issuers.has(dev))
      issuers.set(dev, issuerVerifiers(spec, { ...issuer, issuer: dev }, options, keySource));
  }
  const first = issuers.values().next().value!;
  return {
    async authorize(identity, routeScopes) {
      const token = identity.startsWith('Bearer ') ? identity.slice(7) : identity;
      const seen = peek(token);
      // An unknown iss goes to the first issuer's verifier, which refuses it before any key fetch.
      const chosen = (typeof seen.iss === 'string' ? issuers.get(seen.iss) : undefined) ?? first;
      const verifier = !seen.hasAud && chosen.byClientId ? chosen.byClientId : chosen.byAud;
      return judgeToken(await verifier.verify(token), chosen.spec, routeScopes);
    },
  };
}

/**
 * How API Gateway's own authorizers (JWT, Cognito) keep a JWKS: "cached for up to 1 hour on a
 * best-effort basis", refetched on an unseen kid (spec section 7).
 */
export const GATEWAY_KEY_CACHE = {
  maxBytes: 512 * 1024,
  maxAgeSeconds: 3600,
  minAgeSeconds: 60,
  cooldownSeconds: 10,
  staleIfErrorSeconds: 3600,
  retryAfterFailureSeconds: 5,
} as const;

/** The issuer's keys: by OpenID discovery, or from a mapped pool's JWKS URL. */
function issuerKeySource(
  issuer: string,
  jwksUri: string | undefined,
  options: JwtAuthorizerOptions,
): JwksClient {
  return new JwksClient({
    jwksUri:
      jwksUri !== undefined
        ? new URL(jwksUri)
        : (budget: number) => discoverJwksUri(issuer, { timeoutMs: budget }),
    timeoutMs: options.timeoutMs ?? 5000,
    ...GATEWAY_KEY_CACHE,
    now: options.now ?? Date.now,
    ...(options.log ? { log: options.log } : {}),
  });
}

function issuerVerifiers(
  spec: JwtAuthorizerSpec,
  issuer: JwtIssuerSpec,
  options: JwtAuthorizerOptions,
  keySource: JwksClient,
): IssuerVerifiers {
  const now = options.now ?? Date.now;
  const verifier = (audienceClaim: 'aud' | 'client_id'): Verifier =>
    new Verifier({
      issuer: issuer.issuer,
      audiences: issuer.audiences,
      audienceClaim,
      algorithms: spec.algorithms,
      clockTolerance: 0,
      requiredScopes: [],
      scopeMatch: 'any',
      contextClaims: [],
      maxTokenLength: 16 * 1024,
      keySource,
      now,
    });
  // HTTP APIs: aud is checked when present; without it, client_id is (spec section 7, doc S21).
  return {
    spec: issuer,
    byAud: verifier('aud'),
    byClientId: spec.clientIdWithoutAud ? verifier('client_id') : undefined,
  };
}

/** The verifier's decision, then the issuer's claim rules (401), then one of the route's scopes (403). */
function judgeToken(
  decision: Decision,
  issuer: JwtIssuerSpec,
  routeScopes: readonly string[],
): JwtOutcome {
  if (decision.kind !== 'allow') {
    const code = decision.reason.code;
    // Only an issuer whose keys cannot be had is API Gateway's fault; every token problem is a 401.
    return refusal(
      decision.kind === 'failure' && code !== 'INTERNAL_ERROR' ? 500 : 401,
      code,
      DESCRIPTIONS[code] ?? reasonMessage(decision.reason),
    );
  }
  const ruleFailure = claimRuleFailure(decision.claims, issuer.additionalClaims);
  if (ruleFailure) return refusal(401, 'CLAIM_CONDITION_FAILED', ruleFailure);
  // Any one of the route's scopes, from `scope` or `scp`: the core's scope rule.
  if (checkScopes(decision.claims, routeScopes, 'any'))
    return refusal(
      403,
      'SCOPE_INSUFFICIENT',
      'the token does not have the required scopes',
      routeScopes.join(' '),
    );
  const granted = grantedScopes(decision.claims);
  return {
    ok: true,
    principal: decision.principal,
    claims: stringifyClaims(decision.claims),
    scopes: granted.size ? [...granted] : null,
  };
}

function refusal(
  status: 401 | 403 | 500,
  reason: string,
  description: string,
  scope = '',
): JwtOutcome {
  return {
    ok: false,
    status,
    reason,
    detail: description,
    wwwAuthenticate:
      status === 500
        ? undefined
        : `Bearer scope="${quote(scope)}" error="${status === 401 ? 'invalid_token' : 'insufficient_scope'}" error_description="${quote(description)}"`,
  };
}
