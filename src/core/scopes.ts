import { reason, type JwtPayload, type Reason } from './reasons.js';

export type ScopeMatch = 'all' | 'any';

/**
 * The scopes a token grants: the space-delimited `scope` claim (RFC 8693, Auth0, Cognito) and
 * `scp` as a string or an array (Okta, Entra ID).
 */
export function grantedScopes(payload: JwtPayload): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const s of v.split(' ')) if (s) out.add(s);
    } else if (Array.isArray(v)) {
      for (const s of v) if (typeof s === 'string' && s) out.add(s);
    }
  };
  add(payload.scope);
  add(payload.scp);
  return out;
}

/** Checks required scopes: every one of them (`all`, the default) or at least one (`any`). */
export function checkScopes(payload: JwtPayload, required: readonly string[], match: ScopeMatch): Reason | undefined {
  if (required.length === 0) return undefined;
  const granted = grantedScopes(payload);
  const ok = match === 'all' ? required.every((s) => granted.has(s)) : required.some((s) => granted.has(s));
  if (ok) return undefined;
  const missing = required.filter((s) => !granted.has(s));
  return reason('SCOPE_INSUFFICIENT', { match, missing: missing.join(' ') },
    match === 'all' ? `The token lacks required scopes: ${missing.join(' ')}` : `The token has none of the scopes: ${required.join(' ')}`);
}
