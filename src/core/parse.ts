import { isAlgorithm, type Algorithm } from './algorithms.js';
import { reason, type JwtHeader, type JwtPayload, type Reason } from './reasons.js';

/** A compact JWS split and decoded, not yet verified. */
export interface ParsedJwt {
  readonly header: JwtHeader & { readonly alg: Algorithm };
  readonly payload: JwtPayload;
  /** `header.payload` as sent: the bytes the signature covers. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

/**
 * Decodes strict base64url: the URL-safe alphabet only, no padding, no whitespace, and canonical
 * (the unused low bits of the last character are zero), so each byte string has exactly one
 * encoding. Node's decoder skips or tolerates all of those, so the bytes are encoded again and
 * compared: cheaper than a character-class regex over the whole token.
 */
export function decodeBase64url(segment: string): Buffer | undefined {
  if (segment.length === 0) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

export function isCanonicalBase64url(segment: string): boolean {
  return decodeBase64url(segment) !== undefined;
}

/**
 * Strict UTF-8: malformed bytes throw instead of becoming U+FFFD, so two different signed byte
 * strings can never decode to the same claims (e.g. two `sub` values collapsing into one
 * principal). A BOM is kept, and then refused by JSON.parse.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a segment is not a usable JSON object: not one at all, or one with a repeated member name. */
export type JsonProblem = 'not-object' | 'duplicate';

export function decodeJsonObject(segment: string): Record<string, unknown> | JsonProblem {
  const bytes = decodeBase64url(segment);
  if (bytes === undefined) return 'not-object';
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return 'not-object';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not-object';
  // JSON.parse keeps the last of repeated names; another parser may keep the first. RFC 7515
  // section 5.2 lets a JWS with repeated names be refused, so none can be read two ways.
  return memberNames(text) === keyCount(value) ? (value as Record<string, unknown>) : 'duplicate';
}

/**
 * How many member names the JSON text has, at any depth: strings followed by `:`. The text is
 * known to be valid JSON, so a string ends at the first `"` after an even run of backslashes.
 * indexOf does the scanning natively: a few hundred nanoseconds for a typical token.
 */
function memberNames(text: string): number {
  let count = 0;
  let i = text.indexOf('"');
  while (i >= 0) {
    let end = text.indexOf('"', i + 1);
    while (isEscaped(text, end)) end = text.indexOf('"', end + 1);
    let next = end + 1;
    while (isJsonSpace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === 58) count++; // ':'
    i = text.indexOf('"', next);
  }
  return count;
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
  return backslashes % 2 === 1;
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Own keys of every object in a parsed JSON value. */
function keyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += keyCount(item);
    return count;
  }
  for (const key in value) count += 1 + keyCount((value as Record<string, unknown>)[key]);
  return count;
}

/**
 * Decoded headers by exact segment: an issuer signs every token with the same few headers (one per
 * key), so decoding them again is wasted work. A pure memo of decodeJsonObject, bounded in entries
 * and segment length, frozen because tokens share them.
 */
const HEADERS = new Map<string, Record<string, unknown> | JsonProblem>();
const MAX_HEADERS = 64;
const MAX_HEADER_SEGMENT = 1024;

function decodeHeader(segment: string): Record<string, unknown> | JsonProblem {
  let header = HEADERS.get(segment);
  if (header !== undefined) return header;
  header = decodeJsonObject(segment);
  if (segment.length > MAX_HEADER_SEGMENT) return header;
  if (HEADERS.size >= MAX_HEADERS) HEADERS.delete(HEADERS.keys().next().value!);
  HEADERS.set(segment, typeof header === 'string' ? header : Object.freeze(header));
  return header;
}

/** Header parameters only a JWE has (RFC 7516 sections 4.1.2 and 4.1.3): this is no plain JWS. */
const JWE_ONLY = ['enc', 'zip'] as const;

/**
 * Splits and decodes a compact JWS, refusing anything that is not exactly three canonical
 * base64url segments of JSON objects with an allowed `alg`. The algorithm is checked against the
 * allow-list before the payload is even decoded: the token never chooses the algorithm family.
 */
export function parseJwt(
  token: string,
  algorithms: ReadonlySet<string>,
  maxLength: number,
): ParsedJwt | Reason {
  if (token.length === 0) return reason('TOKEN_MISSING');
  if (token.length > maxLength) return reason('TOKEN_TOO_LARGE', { limit: maxLength });
  const dot1 = token.indexOf('.');
  const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
  if (dot2 < 0) return reason('TOKEN_MALFORMED', { problem: 'not three segments' });
  if (token.indexOf('.', dot2 + 1) >= 0) {
    return token.split('.').length === 5
      ? reason('TOKEN_IS_JWE')
      : reason('TOKEN_MALFORMED', { problem: 'not three segments' });
  }
  const header = decodeHeader(token.slice(0, dot1));
  if (header === 'not-object')
    return reason('TOKEN_MALFORMED', { problem: 'header is not base64url JSON object' });
  if (header === 'duplicate')
    return reason('TOKEN_MALFORMED', { problem: 'header repeats a member name' });
  const alg = header.alg;
  if (typeof alg !== 'string') return reason('TOKEN_MALFORMED', { problem: 'header has no alg' });
  if (!algorithms.has(alg) || !isAlgorithm(alg))
    return reason('ALG_NOT_ALLOWED', { alg: alg.slice(0, 32) });
  if (header.crit !== undefined) return reason('HEADER_UNSUPPORTED', { parameter: 'crit' });
  if (header.kid !== undefined && typeof header.kid !== 'string')
    return reason('TOKEN_MALFORMED', { problem: 'kid is not a string' });
  const jwe = jweParameter(header);
  if (jwe !== undefined)
    return reason('TOKEN_MALFORMED', { problem: `header has the JWE parameter ${jwe}` });
  const payload = decodeJsonObject(token.slice(dot1 + 1, dot2));
  if (payload === 'not-object')
    return reason('TOKEN_MALFORMED', { problem: 'payload is not base64url JSON object' });
  if (payload === 'duplicate')
    return reason('TOKEN_MALFORMED', { problem: 'payload repeats a member name' });
  const signature = decodeBase64url(token.slice(dot2 + 1));
  if (signature === undefined)
    return reason('TOKEN_MALFORMED', { problem: 'signature is not base64url' });
  return {
    header: header as JwtHeader & { alg: Algorithm },
    payload,
    signingInput: Buffer.from(token.slice(0, dot2), 'latin1'),
    signature,
  };
}

function jweParameter(header: Record<string, unknown>): string | undefined {
  for (const name of JWE_ONLY) if (header[name] !== undefined) return name;
  return undefined;
}
