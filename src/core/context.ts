import type { ContextValue, JwtPayload } from './reasons.js';

/** API Gateway's limit on a policy's context is part of the 8 KB result; stay well under it. */
export const MAX_CONTEXT_VALUE_LENGTH = 1024;

/**
 * Copies the chosen claims into an authorizer context, which REST APIs accept only as flat
 * string, number and boolean values: arrays of strings are joined with spaces (like `scope`),
 * other objects become JSON text, null and absent claims are left out, and long values are
 * truncated so one claim cannot push the result over API Gateway's size limit.
 */
export function buildContext(payload: JwtPayload, claims: readonly string[]): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {};
  for (const name of claims) {
    const value = payload[name];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') context[name] = value.length > MAX_CONTEXT_VALUE_LENGTH ? value.slice(0, MAX_CONTEXT_VALUE_LENGTH) : value;
    else if (typeof value === 'number' || typeof value === 'boolean') context[name] = value;
    else {
      const text = Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(' ') : JSON.stringify(value);
      context[name] = text.length > MAX_CONTEXT_VALUE_LENGTH ? text.slice(0, MAX_CONTEXT_VALUE_LENGTH) : text;
    }
  }
  return context;
}
