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

/** A stored answer, with where it is kept. */
interface Entry extends CachedOutput {
  readonly bytes: number;
  readonly authorizer: string;
  readonly identityKey: string;
}

// JSON keeps the parts apart: ['a,b'] and ['a', 'b'] are different identities. One value (a
// TOKEN authorizer's) is the key as it is; a JSON key starts with `[`, so a one-value key that
// starts with `[` is made JSON too, and cannot be taken for a JSON key of several values.
const identityKeyOf = (identity: readonly string[]): string =>
  identity.length === 1 && !identity[0]!.startsWith('[') ? identity[0]! : JSON.stringify(identity);

/** The key an entry's size is counted with (the size estimate predates the per-authorizer maps). */
const keyOf = (authorizer: string, identity: readonly string[]): string =>
  identity.length === 1
    ? `${authorizer.length}:${authorizer}${identity[0]}`
    : JSON.stringify([authorizer, ...identity]);

/**
 * The cache key is the identity: for TOKEN the token value, for REQUEST the values of all identity
 * sources in order (a change to any of them is a new invocation). Entries are per `authorizer`,
 * the scope the caller names: the gateway names the stage and the authorizer (one cache a stage).
 */
export function createAuthorizerCache(options: AuthorizerCacheOptions = {}): AuthorizerCache {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? CACHE_LIMITS.maxEntries;
  const maxBytes = options.maxBytes ?? CACHE_LIMITS.maxBytes;
  // Looked up per authorizer, then by identity: a TOKEN authorizer's key is the token itself, not
  // a longer string made from it on every request. `order` is every entry, oldest first.
  const byAuthorizer = new Map<string, Map<string, Entry>>();
  const order = new Set<Entry>();
  let bytes = 0;
  const drop = (entry: Entry | undefined): void => {
    if (entry === undefined) return;
    bytes -= entry.bytes;
    order.delete(entry);
    byAuthorizer.get(entry.authorizer)?.delete(entry.identityKey);
  };
  const find = (authorizer: string, identity: readonly string[]): Entry | undefined =>
    byAuthorizer.get(authorizer)?.get(identityKeyOf(identity));
  return {
    get(authorizer, identity) {
      const entry = find(authorizer, identity);
      if (entry === undefined) return undefined;
      if (now() >= entry.expiresAt) {
        drop(entry);
        return undefined;
      }
      return entry;
    },
    set(authorizer, identity, ttlSeconds, output, issuedFor) {
      if (ttlSeconds <= 0) return;
      const size = sizeOf(keyOf(authorizer, identity), output, issuedFor);
      const identityKey = identityKeyOf(identity);
      drop(byAuthorizer.get(authorizer)?.get(identityKey));
      // An entry larger than the whole cache is not kept (it would evict everything else).
      if (size > maxBytes) return;
      const storedAt = now();
      const entry: Entry = {
        output,
        issuedFor,
        storedAt,
        expiresAt: storedAt + ttlSeconds * 1000,
        bytes: size,
        authorizer,
        identityKey,
      };
      let entries = byAuthorizer.get(authorizer);
      if (entries === undefined) byAuthorizer.set(authorizer, (entries = new Map()));
      entries.set(identityKey, entry);
      order.add(entry);
      bytes += size;
      while (order.size > maxEntries || bytes > maxBytes) drop(order.values().next().value);
    },
    clear: () => {
      byAuthorizer.clear();
      order.clear();
      bytes = 0;
    },
    size: () => ({ entries: order.size, bytes }),
  };
}
