import { reason, type JwtPayload, type Reason } from './reasons.js';

export type ScopeMatch = 'all' | 'any';

/** Where scopes are by default: `scope` (RFC 8693: space-delimited; Auth0, Cognito) and `scp` (Okta array, Entra string). */
export const DEFAULT_SCOPE_CLAIMS: readonly string[] = ['scope', 'scp'];

/**
 * The values a token grants through the given claims: each a space-delimited string or an array
 * of strings. Used for scopes and for groups alike; only own properties are read.
 */
export function claimValues(payload: JwtPayload, claims: readonly string[]): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const s of v.split(' ')) if (s) out.add(s);
    } else if (Array.isArray(v)) {
      for (const s of v) if (typeof s === 'string' && s) out.add(s);
    }
  };
  for (const claim of claims) if (Object.hasOwn(payload, claim)) add(payload[claim]);
  return out;
}

export function grantedScopes(
  payload: JwtPayload,
  claims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): Set<string> {
  return claimValues(payload, claims);
}

/** Checks required scopes: every one of them (`all`, the default) or at least one (`any`). */
export function checkScopes(
  payload: JwtPayload,
  required: readonly string[],
  match: ScopeMatch,
  claims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): Reason | undefined {
  if (required.length === 0) return undefined;
  const granted = grantedScopes(payload, claims);
  const ok =
    match === 'all' ? required.every((s) => granted.has(s)) : required.some((s) => granted.has(s));
  if (ok) return undefined;
  const missing = required.filter((s) => !granted.has(s));
  return reason(
    'SCOPE_INSUFFICIENT',
    { match, missing: missing.join(' ') },
    match === 'all'
      ? `The token lacks required scopes: ${missing.join(' ')}`
      : `The token has none of the scopes: ${required.join(' ')}`,
  );
}
