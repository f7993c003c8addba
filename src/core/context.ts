import type { ContextValue, JwtPayload } from './reasons.js';

/** API Gateway's limit on a policy's context is part of the 8 KB result; stay well under it. */
export const MAX_CONTEXT_VALUE_LENGTH = 1024;

/** A claim copied into the context, under its own name or another (`email` as `userEmail`). */
export interface ContextClaim {
  readonly claim: string;
  readonly name: string;
}

/** The whole context stays well inside API Gateway's 8 KB result, beside the policy and principalId. */
export const MAX_CONTEXT_LENGTH = 4096;

/**
 * Copies the chosen claims into an authorizer context, which REST APIs accept only as flat
 * string, number and boolean values: arrays of strings are joined with spaces (like `scope`),
 * other objects become JSON text, null, absent and non-finite values are left out, and long values
 * are truncated. Claims past the total budget are left out, so no token can push the result over
 * API Gateway's size limit. Only the payload's own properties are read.
 */
export function buildContext(
  payload: JwtPayload,
  claims: readonly (string | ContextClaim)[],
): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {};
  let total = 0;
  for (const entry of claims) {
    const claim = typeof entry === 'string' ? entry : entry.claim;
    const name = typeof entry === 'string' ? entry : entry.name;
    if (!Object.hasOwn(payload, claim)) continue;
    const value = payload[claim];
    let out: ContextValue | undefined;
    if (typeof value === 'string')
      out =
        value.length > MAX_CONTEXT_VALUE_LENGTH ? value.slice(0, MAX_CONTEXT_VALUE_LENGTH) : value;
    else if (typeof value === 'number') out = Number.isFinite(value) ? value : undefined;
    else if (typeof value === 'boolean') out = value;
    else if (typeof value === 'object' && value !== null) {
      const text =
        Array.isArray(value) && value.every((v) => typeof v === 'string')
          ? value.join(' ')
          : JSON.stringify(value);
      out = text.length > MAX_CONTEXT_VALUE_LENGTH ? text.slice(0, MAX_CONTEXT_VALUE_LENGTH) : text;
    }
    if (out === undefined) continue;
    total += name.length + String(out).length + 6;
    if (total > MAX_CONTEXT_LENGTH) break;
    context[name] = out;
  }
  return context;
}
