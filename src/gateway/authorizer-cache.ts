// API Gateway's REST authorizer result cache (spec section 4). It keeps the authorizer's OUTPUT,
// not a decision: every later request with the same identity is checked against the cached policy,
// whatever route it is for. That is what makes a method-specific policy answer 403 on other routes.
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
  set(authorizer: string, identity: readonly string[], ttlSeconds: number, output: AuthorizerOutput, issuedFor: string): void;
  clear(): void;
}

export interface AuthorizerCacheOptions {
  /** Milliseconds since the epoch; injectable so tests move time instead of waiting. */
  readonly now?: () => number;
  /** Entries kept at most; the oldest go first. Bounds memory under a flood of distinct tokens. */
  readonly maxEntries?: number;
}

/**
 * The cache key is the identity: for TOKEN the token value, for REQUEST the values of all identity
 * sources in order (a change to any of them is a new invocation). Entries are per authorizer.
 */
export function createAuthorizerCache(options: AuthorizerCacheOptions = {}): AuthorizerCache {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, CachedOutput>();
  // JSON keeps the parts apart: ['a,b'] and ['a', 'b'] are different identities.
  const keyOf = (authorizer: string, identity: readonly string[]): string => JSON.stringify([authorizer, ...identity]);
  return {
    get(authorizer, identity) {
      const key = keyOf(authorizer, identity);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (now() >= entry.expiresAt) {
        entries.delete(key);
        return undefined;
      }
      return entry;
    },
    set(authorizer, identity, ttlSeconds, output, issuedFor) {
      if (ttlSeconds <= 0) return;
      const key = keyOf(authorizer, identity);
      const storedAt = now();
      entries.delete(key);
      entries.set(key, { output, issuedFor, storedAt, expiresAt: storedAt + ttlSeconds * 1000 });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    clear: () => entries.clear(),
  };
}
