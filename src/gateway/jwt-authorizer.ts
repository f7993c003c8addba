// API Gateway's native JWT authorizers with Tollgate's verifier underneath: an HTTP API's (spec
// section 7: one issuer, RSA, aud or client_id when aud is absent) and a REST API's (several
// issuers with their own audiences and claim rules, an RS/ES allow-list: docs/emulation.md). The
// token bare or after `Bearer `, a signature from the issuer's JWKS (found by discovery, cached up
// to 1 h, refetched on an unseen kid), iss, aud, exp, nbf, iat, then one of the method's scopes.
import type { Decision, JwtPayload } from '../core/reasons.js';
import { grantedScopes } from '../core/scopes.js';
import { Verifier } from '../core/verifier.js';
import { discoverJwksUri, JwksClient } from '../keys/jwks-client.js';
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

export function createJwtAuthorizer(
  spec: JwtAuthorizerSpec,
  options: JwtAuthorizerOptions = {},
): JwtAuthorizer {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 5000;
  const forIssuer = (issuer: JwtIssuerSpec): IssuerVerifiers => {
    const keySource = new JwksClient({
      jwksUri: (budget: number) => discoverJwksUri(issuer.issuer, { timeoutMs: budget }),
      timeoutMs,
      maxBytes: 512 * 1024,
      // "Cached for up to 1 hour on a best-effort basis", refetched on an unseen kid (spec section 7).
      maxAgeSeconds: 3600,
      minAgeSeconds: 60,
      cooldownSeconds: 10,
      staleIfErrorSeconds: 3600,
      retryAfterFailureSeconds: 5,
      now,
      ...(options.log ? { log: options.log } : {}),
    });
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
  };
  const issuers = new Map(spec.issuers.map((i) => [i.issuer, forIssuer(i)]));
  const first = issuers.values().next().value!;

  const refuse = (
    status: 401 | 403 | 500,
    reason: string,
    description: string,
    scope = '',
  ): JwtOutcome => ({
    ok: false,
    status,
    reason,
    detail: description,
    wwwAuthenticate:
      status === 500
        ? undefined
        : `Bearer scope="${quote(scope)}" error="${status === 401 ? 'invalid_token' : 'insufficient_scope'}" error_description="${quote(description)}"`,
  });

  return {
    async authorize(identity, routeScopes) {
      const token = identity.startsWith('Bearer ') ? identity.slice(7) : identity;
      const seen = peek(token);
      // An unknown iss goes to the first issuer's verifier, which refuses it before any key fetch.
      const chosen = (typeof seen.iss === 'string' ? issuers.get(seen.iss) : undefined) ?? first;
      const decision: Decision = await (
        !seen.hasAud && chosen.byClientId ? chosen.byClientId : chosen.byAud
      ).verify(token);
      if (decision.kind !== 'allow') {
        const code = decision.reason.code;
        // Only an issuer whose keys cannot be had is API Gateway's fault; every token problem is a 401.
        return refuse(
          decision.kind === 'failure' && code !== 'INTERNAL_ERROR' ? 500 : 401,
          code,
          DESCRIPTIONS[code] ?? decision.reason.message,
        );
      }
      const ruleFailure = claimRuleFailure(decision.claims, chosen.spec.additionalClaims);
      if (ruleFailure) return refuse(401, 'CLAIM_CONDITION_FAILED', ruleFailure);
      const granted = grantedScopes(decision.claims);
      if (routeScopes.length > 0 && !routeScopes.some((s) => granted.has(s))) {
        return refuse(
          403,
          'SCOPE_INSUFFICIENT',
          'the token does not have the required scopes',
          routeScopes.join(' '),
        );
      }
      return {
        ok: true,
        principal: decision.principal,
        claims: stringifyClaims(decision.claims),
        scopes: granted.size ? [...granted] : null,
      };
    },
  };
}
