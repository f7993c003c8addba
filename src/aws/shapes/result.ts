// Building authorizer results within API Gateway's limits: context values each shape can carry,
// reserved context names, the 8 KB result limit and the 512-character Resource limit (spec section 3).
import type {
  APIGatewayAuthorizerResult,
  APIGatewaySimpleAuthorizerWithContextResult,
  Statement,
} from 'aws-lambda';
import {
  ResultError,
  type DecidedOutcome,
  type FormatInfo,
  type FormatOptions,
  type Formatted,
} from './base.js';

import { IAM_RESERVED, MAX_RESOURCE_LENGTH, MAX_RESULT_BYTES } from './limits.js';

export { IAM_RESERVED, MAX_RESOURCE_LENGTH, MAX_RESULT_BYTES };

export type SimpleResult = APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>;

/**
 * An IAM-format result. REST, HTTP API 1.0 and WebSocket contexts hold only strings, numbers and
 * booleans (so those results are APIGatewayAuthorizerResult); HTTP API 2.0's may hold arrays and objects.
 */
export type IamResult = Omit<APIGatewayAuthorizerResult, 'context'> & {
  context?: Record<string, unknown>;
};

/** Every result Tollgate returns: an IAM policy, or an HTTP API 2.0 simple response. */
export type AuthorizerResult = IamResult | SimpleResult;

export interface ContextRules {
  /**
   * `flat`: REST, HTTP API 1.0 and WebSocket accept only string, number and boolean values ("You
   * cannot set a JSON object or array as a valid value", [doc S3]; an object gives 500), so arrays
   * and objects become JSON text. `json`: HTTP API 2.0 passes the context through as JSON, arrays
   * and objects included (AWS's own examples return `arrayKey` and `mapKey`, [doc S19]).
   */
  readonly mode: 'flat' | 'json';
  /** Names this shape's integration already uses: left out rather than shadowing them. */
  readonly reserved: ReadonlySet<string>;
}

type Entry = readonly [string, unknown];

// bigint has no JSON form; its decimal text keeps the value.
const replacer = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** One context value as the shape can carry it, or undefined when it cannot (null's handling is unconfirmed: left out). */
function contextValue(value: unknown, mode: ContextRules['mode']): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return undefined;
      try {
        const text = JSON.stringify(value, replacer);
        return mode === 'flat' ? text : (JSON.parse(text) as unknown);
      } catch {
        return undefined; // cyclic: cannot be sent
      }
    }
    default:
      return undefined; // undefined, functions, symbols
  }
}

function shapeContext(
  context: Readonly<Record<string, unknown>>,
  rules: ContextRules,
): { entries: Entry[]; invalid: string[] } {
  const entries: Entry[] = [];
  const invalid: string[] = [];
  for (const key of Object.keys(context)) {
    const value = rules.reserved.has(key) ? undefined : contextValue(context[key], rules.mode);
    if (value === undefined) invalid.push(key);
    else entries.push([key, value]);
  }
  return { entries, invalid };
}

const bytesOf = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(value, replacer), 'utf8');

// Printable ASCII without `"` and `\`: JSON writes such a string as is, one byte a character.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The UTF-8 size of `JSON.stringify(value)` without building it: exact when every string is
 * printable ASCII, otherwise an upper bound (6 bytes a UTF-16 unit covers `\u00XX` escapes and
 * 3-byte characters). Serialising every result costs about a microsecond on the hot path, and
 * the Lambda runtime serialises it again; this walk costs a fraction of that.
 */
export function jsonBytesBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return PLAIN.test(value) ? value.length + 2 : value.length * 6 + 2;
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'bigint':
      return value.toString().length + 2; // the replacer writes it as a string
    case 'object': {
      if (value === null) return 4;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return bytesOf(value);
      let n = 2;
      let items = 0;
      if (Array.isArray(value)) {
        // In arrays, undefined, functions and symbols are written as null.
        for (const item of value as unknown[])
          n +=
            (item === undefined || typeof item === 'function' || typeof item === 'symbol'
              ? 4
              : jsonBytesBound(item)) + (items++ > 0 ? 1 : 0);
        return n;
      }
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const v = record[key];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        n += jsonBytesBound(key) + 1 + jsonBytesBound(v) + (items++ > 0 ? 1 : 0);
      }
      return n;
    }
    default:
      return 0; // undefined, functions and symbols are left out of objects
  }
}

// Every key an own data property, `__proto__` included (a plain assignment would set the prototype).
function toObject(entries: readonly Entry[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (k === '__proto__')
      Object.defineProperty(o, k, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else o[k] = v;
  }
  return o;
}

/**
 * Builds the result; when it is over the limit, drops context keys, largest first, until it fits.
 * Statements are never dropped: a result too large without any context is an error, so the
 * caller can fall back to a smaller policy instead of sending one that API Gateway rejects (500).
 */
function fit<R>(
  build: (context: Record<string, unknown>) => R,
  entries: readonly Entry[],
  invalid: string[],
  maxBytes: number,
): Formatted<R> {
  let result = build(toObject(entries));
  let bytes = jsonBytesBound(result);
  const droppedForSize: string[] = [];
  if (bytes > maxBytes) {
    bytes = bytesOf(result);
    const cost = (e: Entry): number => bytesOf(e[0]) + bytesOf(e[1]) + 2;
    const largestFirst = [...entries].sort((a, b) => cost(b) - cost(a) || (a[0] < b[0] ? -1 : 1));
    let kept = [...entries];
    for (const entry of largestFirst) {
      if (bytes <= maxBytes) break;
      kept = kept.filter((e) => e !== entry);
      droppedForSize.push(entry[0]);
      result = build(toObject(kept));
      bytes = bytesOf(result);
    }
  }
  if (bytes > maxBytes) {
    return {
      ok: false,
      error: new ResultError(
        'RESULT_TOO_LARGE',
        `The authorizer result is ${bytes} bytes without any context, over the ${maxBytes}-byte limit`,
        { bytes, maxBytes },
      ),
    };
  }
  const info: FormatInfo = { droppedForSize, droppedInvalid: invalid, bytes };
  return { ok: true, result, info };
}

const resources = (s: Statement): string[] => {
  const r = 'Resource' in s ? s.Resource : 'NotResource' in s ? s.NotResource : undefined;
  return r === undefined ? [] : Array.isArray(r) ? r : [r];
};

function checkStatements(outcome: DecidedOutcome): ResultError | undefined {
  if (outcome.statements.length === 0)
    return new ResultError('NO_STATEMENTS', 'An IAM result needs at least one statement');
  for (const s of outcome.statements) {
    // A Deny decision carrying an Allow would let the cached policy grant what was refused.
    if (outcome.kind === 'deny' && s.Effect === 'Allow')
      return new ResultError('DENY_WITH_ALLOW', 'A Deny result carries an Allow statement');
    for (const r of resources(s)) {
      if (r.length > MAX_RESOURCE_LENGTH) {
        return new ResultError(
          'RESOURCE_TOO_LONG',
          `A policy Resource is ${r.length} characters, over the ${MAX_RESOURCE_LENGTH}-character limit`,
          { length: r.length },
        );
      }
    }
  }
  return undefined;
}

export interface IamOptions extends ContextRules {
  /** Only where the shape supports it (REST); undefined leaves it out. */
  readonly usageIdentifierKey: string | undefined;
  readonly maxBytes: number;
}

/** `{ principalId, policyDocument, context?, usageIdentifierKey? }`, as every IAM-format shape answers. */
export function iamResult(outcome: DecidedOutcome, options: IamOptions): Formatted<IamResult> {
  const problem = checkStatements(outcome);
  if (problem !== undefined) return { ok: false, error: problem };
  const { entries, invalid } = shapeContext(outcome.context, options);
  const usage = options.usageIdentifierKey;
  return fit(
    (context) => ({
      principalId: outcome.principalId,
      policyDocument: { Version: '2012-10-17', Statement: [...outcome.statements] },
      ...(Object.keys(context).length > 0 ? { context } : {}),
      ...(usage ? { usageIdentifierKey: usage } : {}),
    }),
    entries,
    invalid,
    options.maxBytes,
  );
}

/**
 * The IAM result with a flat context (strings, numbers, booleans), as REST, HTTP API 1.0 and
 * WebSocket answer; `usage` only where usage plans exist (REST).
 */
export function flatIamResult(
  outcome: DecidedOutcome,
  options: FormatOptions,
  reserved: ReadonlySet<string>,
  usage: string | undefined,
): Formatted<IamResult> {
  return iamResult(outcome, {
    mode: 'flat',
    reserved,
    usageIdentifierKey: usage,
    maxBytes: options.maxResultBytes ?? MAX_RESULT_BYTES,
  });
}

/** `{ isAuthorized, context }`: HTTP API 2.0 with `enableSimpleResponses` [doc S19]. */
export function simpleResult(
  outcome: DecidedOutcome,
  rules: ContextRules,
  maxBytes: number,
): Formatted<SimpleResult> {
  const { entries, invalid } = shapeContext(outcome.context, rules);
  return fit(
    (context) => ({ isAuthorized: outcome.kind === 'allow', context }),
    entries,
    invalid,
    maxBytes,
  );
}

export const NO_RESERVED: ReadonlySet<string> = new Set();
