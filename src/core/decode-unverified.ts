// Reading a token without verifying it, for `tollgate explain` and for picking an issuer: kept
// apart from parse.ts, so the Lambda's cold TOKEN path does not load it.
import { decodeJsonObject, type JsonProblem } from './parse.js';

const asObject = (v: Record<string, unknown> | JsonProblem): Record<string, unknown> | undefined =>
  typeof v === 'string' ? undefined : v;

/** Decodes header and payload without checking anything but their form: for `tollgate explain`. */
export function decodeUnverified(token: string): {
  header?: Record<string, unknown>;
  payload?: Record<string, unknown>;
} {
  const parts = token.split('.');
  const header = parts[0] !== undefined ? asObject(decodeJsonObject(parts[0])) : undefined;
  const payload =
    parts.length === 3 && parts[1] !== undefined ? asObject(decodeJsonObject(parts[1])) : undefined;
  return { ...(header ? { header } : {}), ...(payload ? { payload } : {}) };
}
