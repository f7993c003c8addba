// The authorizer's decision, once: what the verifier made of the token, the request's method and
// path, and the route rules, in; the verdict out. Pure and synchronous: the Lambda handler, the
// local gateway (through that handler) and `tollgate explain` all call it, so none of them can
// decide differently. Rendering the verdict as API Gateway's answer is the shape adapters' job.
// The route-rules half is in route-verdict.ts, reached through the rules engine: a Lambda without
// rules never loads it.
import { reason, refuse, type Decision, type Refusal } from './reasons.js';
import type { Grant, IdentityClaims, RouteRequest, RuleSet, Verdict } from './route-verdict.js';

export type { Grant, IdentityClaims, RouteRequest, RuleSet, Verdict } from './route-verdict.js';

/** The rules a decision applies. Built once per authorizer, not per request. */
export interface DecisionRules {
  /** For requests without a token and for issuers without rules of their own. */
  readonly shared: RuleSet | undefined;
  /** An issuer's own rules, by exact issuer: they replace `shared` for that issuer's tokens. */
  readonly byIssuer: ReadonlyMap<string, RuleSet>;
  /** Where a verified token's issuer keeps scopes and groups. */
  readonly claimsOf: (issuer: string) => IdentityClaims;
}

const TOKEN_WIDE: Grant = { kind: 'token' };

/**
 * The refusal for a request that presents no usable token, before any verification: another
 * scheme or several values (TOKEN_MALFORMED), or nothing (TOKEN_MISSING). Undefined when `token`
 * is the one to verify.
 */
export function credentialRefusal(
  token: string | undefined,
  malformed: boolean | undefined,
): Refusal<'unauthorized'> | undefined {
  if (malformed)
    return refuse(
      reason('TOKEN_MALFORMED', { problem: 'unsupported authorization value' }),
    ) as Refusal<'unauthorized'>;
  if (!token) return refuse(reason('TOKEN_MISSING')) as Refusal<'unauthorized'>;
  return undefined;
}

/**
 * The verdict for a request, given what the verifier decided about its token (or the
 * credentialRefusal). A token refused by the verifier stays refused, except that a missing token
 * is allowed on public routes; a verified token then meets its issuer's rules (or the shared ones).
 * @example decide(await issuers.verify(token), { method: 'GET', path: '/pets/1' }, rules)
 */
export function decide(verified: Decision, request: RouteRequest, rules: DecisionRules): Verdict {
  switch (verified.kind) {
    case 'failure':
      return { decision: verified, grant: undefined };
    case 'unauthorized': {
      // A public route needs no token: an anonymous caller gets the public routes, and only them.
      const { shared } = rules;
      return verified.reason.code === 'TOKEN_MISSING' && shared !== undefined
        ? shared.engine.publicVerdict(verified, request, shared)
        : { decision: verified, grant: undefined };
    }
    case 'deny':
      // A token-wide refusal (required scopes): the same answer on every route while cached.
      return { decision: verified, grant: TOKEN_WIDE };
    case 'allow': {
      // An issuer's own rules replace the shared ones for its tokens.
      const set = rules.byIssuer.get(verified.issuer) ?? rules.shared;
      return set === undefined
        ? { decision: verified, grant: TOKEN_WIDE }
        : set.engine.routeVerdict(verified, request, set, rules.claimsOf(verified.issuer));
    }
  }
}
