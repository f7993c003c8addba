// Reading a token from an Authorization value: all a TOKEN event needs, apart from the token
// source parsing and the REQUEST-type readers of token-source.ts (loaded with the other shapes).
import { bearerToken } from './bearer.js';

/**
 * Where a REQUEST-type event (REST REQUEST, HTTP API 1.0/2.0, WebSocket `$connect`) carries the
 * token. TOKEN events have no choice: API Gateway has already copied one header into
 * `authorizationToken` (spec section 1).
 *
 * - `header`: the header's value, `Bearer <token>` (scheme case-insensitive) or a bare token.
 *   Header names are case-insensitive (RFC 9110 section 5.1; API Gateway identity sources say the
 *   same, spec sections 2 and 6), so the name is matched without regard to case.
 * - `query`: the query parameter's raw value. Names are case-sensitive (spec sections 2 and 6).
 *   The browser WebSocket API cannot set request headers, so a query parameter is how browsers
 *   present a token on `$connect`. Query strings reach access logs: prefer short-lived tokens.
 * - `cookie`: the cookie's value, from the `Cookie` header or the HTTP API 2.0 `cookies` array.
 *   Cookie names are case-sensitive (RFC 6265 section 5.4 compares them exactly).
 */
export type TokenSource =
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'query'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string };

/** The default, as API Gateway's own default identity source: the Authorization header. */
export const DEFAULT_TOKEN_SOURCE: TokenSource = { kind: 'header', name: 'Authorization' };

/** What a token source found: `token` undefined means none was presented. */
export interface TokenRead {
  readonly token: string | undefined;
  /** A value was presented but is not a usable token: another scheme, or several different values. */
  readonly malformed: boolean;
}

export const NONE: TokenRead = { token: undefined, malformed: false };
export const MALFORMED: TokenRead = { token: undefined, malformed: true };

/** The token in a TOKEN event's `authorizationToken`: Bearer or bare, as the TOKEN handler reads it. */
export function readAuthorizationToken(value: unknown): TokenRead {
  return fromBearer(typeof value === 'string' ? [value] : []);
}

export const AMBIGUOUS: unique symbol = Symbol('ambiguous');

/**
 * One value, or none. Several different values (a repeated header or parameter, or two spellings of
 * a header name) are refused rather than one picked: which token a request "means" must not depend
 * on which copy a proxy or API Gateway kept.
 */
export function single(values: readonly string[]): string | undefined | typeof AMBIGUOUS {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return AMBIGUOUS;
  return values[0];
}

// A compact JWS is base64url segments joined by '.', so it never holds a comma. HTTP API 2.0 joins
// repeated headers and query parameters with commas (http-api-develop-integrations-lambda,
// "Duplicate headers are combined with commas"), so a comma means several values: refuse it.
export function checked(token: string): TokenRead {
  if (token === '') return NONE;
  return token.includes(',') ? MALFORMED : { token, malformed: false };
}

export function fromBearer(values: readonly string[]): TokenRead {
  const value = single(values);
  if (value === AMBIGUOUS) return MALFORMED;
  if (value === undefined) return NONE;
  const token = bearerToken(value);
  return token === undefined ? MALFORMED : checked(token);
}
