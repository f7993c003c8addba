// API Gateway's REST authorizer result cache (spec section 4). It keeps the authorizer's OUTPUT,
// not a decision: every later request with the same identity is checked against the cached policy,
// whatever route it is for. That is what makes a method-specific policy answer 403 on other routes.
import type { DecisionNote } from './authorizer-header.js';

/** A valid authorizer output, as kept by the cache and evaluated for every request. */
export interface AuthorizerOutput {
  readonly principalId: string | undefined;
  /** Undefined for an HTTP API simple response. */
  readonly policyDocument: unknown;
  /** REST: strings, numbers and booleans; HTTP APIs: any JSON value but null. */
  readonly context: Readonly<Record<string, unknown>>;
  readonly usageIdentifierKey: string | undefined;
  /** An HTTP API simple response's answer; undefined for IAM policies. */
  readonly isAuthorized: boolean | undefined;
  /** Local only: why Tollgate's own authorizer answered so, for `x-tollgate-authorizer`; kept with the answer. */
  readonly note?: DecisionNote | undefined;
}

export interface CachedOutput {
  readonly output: AuthorizerOutput;
  /** The methodArn of the request that invoked the authorizer, to explain a stale-policy 403. */
  readonly issuedFor: string;
  readonly storedAt: number;
  readonly expiresAt: number;
}

export interface AuthorizerCache {
  get(authorizer: string, identity: readonly string[]): CachedOutput | undefined;
  /** `ttlSeconds` 0 stores nothing. */
  set(
    authorizer: string,
    identity: readonly string[],
    ttlSeconds: number,
    output: AuthorizerOutput,
    issuedFor: string,
  ): void;
  clear(): void;
  /** What the cache holds now, for tests and the soak's report. */
  size(): { readonly entries: number; readonly bytes: number };
}

export interface AuthorizerCacheOptions {
  /** Milliseconds since the epoch; injectable so tests move time instead of waiting. */
  readonly now?: () => number;
  /** Entries kept at most; the oldest go first. Bounds memory under a flood of distinct tokens. */
  readonly maxEntries?: number;
  /** Bytes kept at most (keys and outputs as JSON, an estimate of their memory); the oldest go first. */
  readonly maxBytes?: number;
}

/** The defaults: 10,000 entries and 32 MiB, whichever is reached first. */
export const CACHE_LIMITS = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 } as const;

/** What an entry costs: UTF-16 strings, two bytes a character, plus a fixed overhead. */
function sizeOf(key: string, output: AuthorizerOutput, issuedFor: string): number {
  return 2 * (key.length + issuedFor.length + JSON.stringify(output).length) + 256;
}

/**
 * The cache key is the identity: for TOKEN the token value, for REQUEST the values of all identity
 * sources in order (a change to any of them is a new invocation). Entries are per authorizer.
 */
export function createAuthorizerCache(options: AuthorizerCacheOptions = {}): AuthorizerCache {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? CACHE_LIMITS.maxEntries;
  const maxBytes = options.maxBytes ?? CACHE_LIMITS.maxBytes;
  const entries = new Map<string, CachedOutput & { readonly bytes: number }>();
  let bytes = 0;
  const drop = (key: string): void => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    bytes -= entry.bytes;
    entries.delete(key);
  };
  // JSON keeps the parts apart: ['a,b'] and ['a', 'b'] are different identities. One value (a
  // TOKEN authorizer's) is kept apart by the name's length instead, without escaping the token; a
  // key of that form starts with a digit, one of JSON's with `[`.
  const keyOf = (authorizer: string, identity: readonly string[]): string =>
    identity.length === 1
      ? `${authorizer.length}:${authorizer}${identity[0]}`
      : JSON.stringify([authorizer, ...identity]);
  return {
    get(authorizer, identity) {
      const key = keyOf(authorizer, identity);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (now() >= entry.expiresAt) {
        drop(key);
        return undefined;
      }
      return entry;
    },
    set(authorizer, identity, ttlSeconds, output, issuedFor) {
      if (ttlSeconds <= 0) return;
      const key = keyOf(authorizer, identity);
      const size = sizeOf(key, output, issuedFor);
      drop(key);
      // An entry larger than the whole cache is not kept (it would evict everything else).
      if (size > maxBytes) return;
      const storedAt = now();
      entries.set(key, {
        output,
        issuedFor,
        storedAt,
        expiresAt: storedAt + ttlSeconds * 1000,
        bytes: size,
      });
      bytes += size;
      while (entries.size > maxEntries || bytes > maxBytes) drop(entries.keys().next().value!);
    },
    clear: () => {
      entries.clear();
      bytes = 0;
    },
    size: () => ({ entries: entries.size, bytes }),
  };
}
