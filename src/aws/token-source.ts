import { TollgateError } from '../core/errors.js';
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

/** A token source specification that cannot be used. The message names the problem, never a token. */
export class TokenSourceError extends TollgateError<'TOKEN_SOURCE_INVALID'> {
  constructor(
    readonly spec: string,
    readonly problem: string,
  ) {
    super('TOKEN_SOURCE_INVALID', `Invalid token source ${JSON.stringify(spec)}: ${problem}`);
    this.name = 'TokenSourceError';
  }
}

// RFC 9110 section 5.6.2 `token`: the characters a header field name (and an RFC 6265 cookie-name) may use.
const TOKEN_CHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Query parameter names as API Gateway passes them (already percent-decoded); `&`, `=`, `#`, `?`
// and whitespace could never arrive as part of a name, so a spec holding them is a mistake.
const QUERY_NAME = /^[^\s&=#?]+$/;

/**
 * Parses `header:NAME`, `query:NAME` or `cookie:NAME`.
 * @throws TokenSourceError naming what is wrong (the caller wraps it in its configuration error).
 * @example parseTokenSource('query:access_token') // { kind: 'query', name: 'access_token' }
 */
export function parseTokenSource(spec: string): TokenSource {
  const colon = spec.indexOf(':');
  if (spec.trim() === '')
    throw new TokenSourceError(
      spec,
      'it is empty; expected header:NAME, query:NAME or cookie:NAME',
    );
  if (colon < 0)
    throw new TokenSourceError(spec, 'expected header:NAME, query:NAME or cookie:NAME');
  const kind = spec.slice(0, colon).trim().toLowerCase();
  const name = spec.slice(colon + 1).trim();
  if (kind !== 'header' && kind !== 'query' && kind !== 'cookie') {
    throw new TokenSourceError(
      spec,
      `unknown kind ${JSON.stringify(kind)}; expected header, query or cookie`,
    );
  }
  if (name === '') throw new TokenSourceError(spec, `the ${kind} name is empty`);
  if (kind === 'query' ? !QUERY_NAME.test(name) : !TOKEN_CHARS.test(name)) {
    throw new TokenSourceError(spec, `${JSON.stringify(name)} is not a valid ${kind} name`);
  }
  return { kind, name };
}

/** For logs: where the token was read, e.g. `header:authorization` (never the value). */
export function describeTokenSource(source: TokenSource): string {
  return `${source.kind}:${source.kind === 'header' ? source.name.toLowerCase() : source.name}`;
}

/** What a token source found: `token` undefined means none was presented. */
export interface TokenRead {
  readonly token: string | undefined;
  /** A value was presented but is not a usable token: another scheme, or several different values. */
  readonly malformed: boolean;
}

/** The parts of a REQUEST-type event a token can come from. Any map may be null (console test invoke). */
export interface RequestParts {
  readonly headers?: unknown;
  readonly multiValueHeaders?: unknown;
  readonly queryStringParameters?: unknown;
  readonly multiValueQueryStringParameters?: unknown;
  /** HTTP API 2.0 only: the request's cookies, `name=value` each. */
  readonly cookies?: unknown;
}

const NONE: TokenRead = { token: undefined, malformed: false };
const MALFORMED: TokenRead = { token: undefined, malformed: true };

/** The token in a TOKEN event's `authorizationToken`: Bearer or bare, as the TOKEN handler reads it. */
export function readAuthorizationToken(value: unknown): TokenRead {
  return fromBearer(typeof value === 'string' ? [value] : []);
}

/** Reads the token from a REQUEST-type event according to `source`. Pure; never throws. */
export function readToken(source: TokenSource, parts: RequestParts): TokenRead {
  switch (source.kind) {
    case 'header':
      return fromBearer(headerValues(parts, source.name));
    case 'query':
      return fromRaw(
        mapValues(
          parts.multiValueQueryStringParameters,
          parts.queryStringParameters,
          (k) => k === source.name,
        ),
      );
    case 'cookie':
      return fromCookie(cookieValues(parts, source.name));
  }
}

function isMap(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every value of the matching keys: from the multi-value map when it has any (REST and WebSocket
 * events keep only the last of repeated headers or parameters in the single-value map), else from
 * the single-value map. Both maps may be null or absent.
 */
function mapValues(multi: unknown, one: unknown, match: (key: string) => boolean): string[] {
  const values: string[] = [];
  if (isMap(multi)) {
    for (const key of Object.keys(multi)) {
      const list = multi[key];
      if (match(key) && Array.isArray(list))
        for (const v of list) if (typeof v === 'string') values.push(v);
    }
  }
  if (values.length === 0 && isMap(one)) {
    for (const key of Object.keys(one)) {
      const v = one[key];
      if (match(key) && typeof v === 'string') values.push(v);
    }
  }
  return values;
}

function headerValues(parts: RequestParts, name: string): string[] {
  const lower = name.toLowerCase();
  // The length test first spares a lower-cased copy of every other header name.
  return mapValues(
    parts.multiValueHeaders,
    parts.headers,
    (k) => k.length === lower.length && k.toLowerCase() === lower,
  );
}

const AMBIGUOUS: unique symbol = Symbol('ambiguous');

/**
 * One value, or none. Several different values (a repeated header or parameter, or two spellings of
 * a header name) are refused rather than one picked: which token a request "means" must not depend
 * on which copy a proxy or API Gateway kept.
 */
function single(values: readonly string[]): string | undefined | typeof AMBIGUOUS {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return AMBIGUOUS;
  return values[0];
}

// A compact JWS is base64url segments joined by '.', so it never holds a comma. HTTP API 2.0 joins
// repeated headers and query parameters with commas (http-api-develop-integrations-lambda,
// "Duplicate headers are combined with commas"), so a comma means several values: refuse it.
function checked(token: string): TokenRead {
  if (token === '') return NONE;
  return token.includes(',') ? MALFORMED : { token, malformed: false };
}

function fromBearer(values: readonly string[]): TokenRead {
  const value = single(values);
  if (value === AMBIGUOUS) return MALFORMED;
  if (value === undefined) return NONE;
  const token = bearerToken(value);
  return token === undefined ? MALFORMED : checked(token);
}

function fromRaw(values: readonly string[]): TokenRead {
  const value = single(values);
  if (value === AMBIGUOUS) return MALFORMED;
  return value === undefined ? NONE : checked(value.trim());
}

/**
 * Cookie values in request order: the HTTP API 2.0 `cookies` array first (API Gateway moves the
 * Cookie header there), then every Cookie header. Quotes around a value are removed (RFC 6265
 * section 4.1.1 allows a DQUOTE-wrapped cookie-value).
 */
function cookieValues(parts: RequestParts, name: string): string[] {
  const pairs: string[] = [];
  if (Array.isArray(parts.cookies))
    for (const c of parts.cookies) if (typeof c === 'string') pairs.push(...c.split(';'));
  for (const header of headerValues(parts, 'cookie')) pairs.push(...header.split(';'));
  const values: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

// A repeated cookie name is normal for browsers (the same name set for two paths), and RFC 6265
// section 5.4 has user agents send the cookie with the longer (more specific) path first: take the
// first, as servers usually do. The token is verified either way, so the choice cannot grant access.
function fromCookie(values: readonly string[]): TokenRead {
  return values.length === 0 ? NONE : checked(values[0]!);
}
