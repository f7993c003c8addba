// An HTTP API's native JWT authorizer (spec section 7), with Tollgate's verifier underneath: the
// token bare or after `Bearer `, an RSA signature from the issuer's JWKS (found by discovery),
// iss, aud (or client_id when aud is absent), exp, nbf, iat, and one of the route's scopes.
import type { Algorithm } from '../core/algorithms.js';
import type { Decision, JwtPayload } from '../core/reasons.js';
import { grantedScopes } from '../core/scopes.js';
import { Verifier } from '../core/verifier.js';
import { discoverJwksUri, JwksClient } from '../io/jwks-client.js';
import type { JwtAuthorizerSpec } from './openapi.js';

// "Only RSA-based algorithms are supported" (AWS's HTTP API JWT authorizer docs).
const RSA_ALGORITHMS: readonly Algorithm[] = ['RS256', 'RS384', 'RS512'];

export type JwtOutcome =
  | { readonly ok: true; readonly principal: string; readonly claims: Record<string, string>; readonly scopes: readonly string[] | null }
  | {
      readonly ok: false;
      readonly status: 401 | 403;
      /** The `www-authenticate` header API Gateway sends with the refusal. */
      readonly wwwAuthenticate: string;
      /** Tollgate's reason code, for the access log. */
      readonly reason: string;
      readonly detail: string;
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
  KEY_NOT_FOUND: 'the token was not signed by a key in the issuer\'s JWKS',
  ALG_NOT_ALLOWED: 'the token is not signed with an RSA algorithm',
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
    out[k] = typeof v === 'string' ? v : Array.isArray(v) ? `[${v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** The payload's `aud`, decoded without trust, only to choose which claim carries the audience. */
function hasAud(token: string): boolean {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && 'aud' in payload;
  } catch {
    return true;
  }
}

export function createJwtAuthorizer(spec: JwtAuthorizerSpec, options: JwtAuthorizerOptions = {}): JwtAuthorizer {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 5000;
  const keySource = new JwksClient({
    jwksUri: (budget: number) => discoverJwksUri(spec.issuer, { timeoutMs: budget }),
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
      issuer: spec.issuer,
      audiences: spec.audiences,
      audienceClaim,
      algorithms: RSA_ALGORITHMS,
      clockTolerance: 0,
      requiredScopes: [],
      scopeMatch: 'any',
      contextClaims: [],
      maxTokenLength: 16 * 1024,
      keySource,
      now,
    });
  // aud is checked when present; without it, client_id is (spec section 7, doc S21).
  const byAud = verifier('aud');
  const byClientId = verifier('client_id');

  const refuse = (status: 401 | 403, reason: string, description: string, scope = ''): JwtOutcome => ({
    ok: false,
    status,
    reason,
    detail: description,
    wwwAuthenticate: `Bearer scope="${quote(scope)}" error="${status === 401 ? 'invalid_token' : 'insufficient_scope'}" error_description="${quote(description)}"`,
  });

  return {
    async authorize(identity, routeScopes) {
      const token = identity.startsWith('Bearer ') ? identity.slice(7) : identity;
      const decision: Decision = await (hasAud(token) ? byAud : byClientId).verify(token);
      if (decision.kind !== 'allow') {
        const code = decision.reason.code;
        return refuse(401, code, DESCRIPTIONS[code] ?? decision.reason.message);
      }
      const granted = grantedScopes(decision.claims);
      if (routeScopes.length > 0 && !routeScopes.some((s) => granted.has(s))) {
        return refuse(403, 'SCOPE_INSUFFICIENT', 'the token does not have the required scopes', routeScopes.join(' '));
      }
      return { ok: true, principal: decision.principal, claims: stringifyClaims(decision.claims), scopes: granted.size ? [...granted] : null };
    },
  };
}
