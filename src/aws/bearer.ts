// The pieces every shape shares: reading a bearer token, and the message API Gateway answers 401 for.
// AuthorizerFailure (500) is in authorizer-failure.ts: the TOKEN path never throws one.

/** API Gateway answers 401 only for this exact message; any other error message gives 500. */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * The token in an Authorization value: `Bearer <token>` (scheme case-insensitive) or a bare token.
 * Empty when there is none; undefined when the value uses another scheme or has extra words.
 */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return '';
  // The common shape, without scanning the token: the parser refuses any whitespace left in it.
  if (
    value.startsWith('Bearer ') &&
    value.charCodeAt(7) > 32 &&
    value.charCodeAt(value.length - 1) > 32
  )
    return value.slice(7);
  const v = value.trim();
  const space = v.search(/\s/);
  if (space < 0) return v.toLowerCase() === 'bearer' ? '' : v;
  if (v.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = v.slice(space + 1).trim();
  return /\s/.test(token) ? undefined : token;
}
