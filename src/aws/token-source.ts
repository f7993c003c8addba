import { TollgateError } from '../core/errors.js';
import {
  AMBIGUOUS,
  checked,
  fromBearer,
  MALFORMED,
  NONE,
  single,
  type TokenRead,
  type TokenSource,
} from './token-read.js';

export { DEFAULT_TOKEN_SOURCE, readAuthorizationToken } from './token-read.js';
export type { TokenRead, TokenSource } from './token-read.js';

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

/** The parts of a REQUEST-type event a token can come from. Any map may be null (console test invoke). */
export interface RequestParts {
  readonly headers?: unknown;
  readonly multiValueHeaders?: unknown;
  readonly queryStringParameters?: unknown;
  readonly multiValueQueryStringParameters?: unknown;
  /** HTTP API 2.0 only: the request's cookies, `name=value` each. */
  readonly cookies?: unknown;
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
