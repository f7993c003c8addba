import { KeySourceError, type KeySource } from '../core/key-source.js';
import { KeySet } from '../core/keyset.js';
import { HttpGetError, httpGet, type HttpResponse } from './http-get.js';

export interface JwksClientOptions {
  /** The JWKS URL, or a function resolving it within a time budget (OpenID discovery), called until it succeeds. */
  readonly jwksUri: URL | ((timeoutMs: number) => Promise<URL>);
  /** Bound on one whole fetch: discovery (when needed) and the JWKS together. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Upper bound on how long keys are used before a refetch; Cache-Control max-age may shorten it. */
  readonly maxAgeSeconds: number;
  /** Lower bound, so `max-age=0` or `no-store` cannot turn every request into a fetch. */
  readonly minAgeSeconds: number;
  /** At most one refetch for unknown kids per window. */
  readonly cooldownSeconds: number;
  /** How long past their maximum age old keys keep working while refetches fail. */
  readonly staleIfErrorSeconds: number;
  /** After a failed fetch, wait this long before trying again (requests in between fail fast or use stale keys). */
  readonly retryAfterFailureSeconds?: number;
  readonly now?: () => number;
  readonly log?: (entry: Record<string, unknown>) => void;
  readonly get?: typeof httpGet;
  /**
   * Keys embedded at bundle time (`npm run bundle -- --embed-keys`): they verify tokens whose kid
   * they hold from the start, until the first fetch completes. Then only the fetched keys count;
   * if that fetch fails, none (the embedded keys are a head start, never a fallback).
   */
  readonly embedded?: KeySet | undefined;
}

type Trigger = 'initial' | 'expired' | 'unknown-kid';

/**
 * A JWKS cache in front of one identity provider: one fetch in flight at a time, keys kept for a
 * bounded age, unknown kids refetched at most once per cooldown, old keys kept through an outage
 * for a bounded time. Every failure is logged; none is a silent deny-all.
 */
export class JwksClient implements KeySource {
  // Private names (#) are shortened by the minifier: this class is in every cold start.
  #keys: KeySet | undefined;
  #expiresAt = 0;
  /** The keys are the embedded ones, trusted only until the first fetch completes. */
  #provisional = false;
  #inflight: Promise<KeySet> | undefined;
  #lastKidRefetch = -Infinity;
  #lastFailure = -Infinity;
  #lastError: KeySourceError | undefined;
  #resolvedUri: URL | undefined;
  readonly #now: () => number;
  readonly #log: (entry: Record<string, unknown>) => void;
  readonly #retryAfterFailureMs: number;
  readonly #options: JwksClientOptions;

  /** Number of JWKS fetches started, for tests and diagnostics. */
  fetchCount = 0;

  constructor(options: JwksClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((entry) => console.log(JSON.stringify(entry)));
    this.#retryAfterFailureMs = (options.retryAfterFailureSeconds ?? 5) * 1000;
    if (options.embedded !== undefined) {
      this.#keys = options.embedded;
      this.#expiresAt = Infinity;
      this.#provisional = true;
    }
  }

  cached(): KeySet | undefined {
    return this.#keys !== undefined && this.#now() < this.#expiresAt ? this.#keys : undefined;
  }

  async get(): Promise<KeySet> {
    const fresh = this.cached();
    if (fresh) return fresh;
    if (this.#inflight) return this.#inflight;
    if (this.#now() - this.#lastFailure < this.#retryAfterFailureMs) {
      // A fetch just failed: answer from stale keys, or fail fast, instead of hammering the provider.
      const stale = this.#staleKeys();
      if (stale) return stale;
      throw (
        this.#lastError ?? new KeySourceError('JWKS_UNAVAILABLE', 'the JWKS could not be fetched')
      );
    }
    return this.#fetch(this.#keys ? 'expired' : 'initial');
  }

  /**
   * Fetches the keys ahead of the first request (at Lambda init). Never rejects, and is bounded by
   * the fetch timeout; a failure is logged but sets no backoff: the first request tries again at once.
   */
  async warmUp(): Promise<void> {
    // Embedded keys answer meanwhile: start the first fetch, and do not wait for it.
    if (this.#provisional) {
      if (this.#inflight === undefined)
        this.#fetch('initial').catch(() => {
          this.#lastFailure = -Infinity; // as below: the first request tries again at once
        });
      return;
    }
    if (this.#keys !== undefined) return;
    if (this.#inflight !== undefined) {
      await this.#inflight.catch(() => {});
      return;
    }
    await this.#fetch('initial').catch(() => {
      this.#lastFailure = -Infinity;
    });
  }

  async refreshForUnknownKid(_kid: string): Promise<KeySet> {
    if (this.#inflight) return this.#inflight;
    const now = this.#now();
    // A recent failure waits out its backoff rather than the whole cooldown.
    if (
      now - this.#lastKidRefetch < this.#options.cooldownSeconds * 1000 ||
      now - this.#lastFailure < this.#retryAfterFailureMs
    )
      return this.get();
    const previous = this.#lastKidRefetch;
    this.#lastKidRefetch = now;
    return this.#fetch('unknown-kid').finally(() => {
      // A failed refetch does not spend the cooldown: a rotated key is retried after the backoff.
      if (this.#lastFailure >= now) this.#lastKidRefetch = previous;
    });
  }

  /** The first fetch completed without keys: the embedded ones stop counting. True if there were any. */
  #dropEmbedded(): boolean {
    if (!this.#provisional) return false;
    this.#provisional = false;
    this.#keys = undefined;
    this.#expiresAt = 0;
    return true;
  }

  #staleKeys(): KeySet | undefined {
    return this.#keys !== undefined &&
      this.#now() < this.#expiresAt + this.#options.staleIfErrorSeconds * 1000
      ? this.#keys
      : undefined;
  }

  #fetch(trigger: Trigger): Promise<KeySet> {
    const started = this.#now();
    this.fetchCount++;
    const attempt = this.#download()
      .then(
        ({ keys, ttlSeconds, uri }) => {
          this.#keys = keys;
          this.#provisional = false;
          this.#expiresAt = this.#now() + ttlSeconds * 1000;
          this.#lastError = undefined;
          this.#lastFailure = -Infinity;
          this.#log({
            level: 'info',
            event: 'jwks_fetched',
            trigger,
            jwksUri: uri.href,
            keys: keys.keys.length,
            skipped: keys.skipped.length ? keys.skipped : undefined,
            ttlSeconds,
            durationMs: this.#now() - started,
          });
          return keys;
        },
        async (error: unknown) => {
          this.#lastFailure = this.#now();
          // The embedded keys stop counting now, not once the line below is written.
          const embedded = this.#dropEmbedded();
          const stale = trigger === 'unknown-kid' ? this.#keys : this.#staleKeys();
          const staleUntil = this.#expiresAt + this.#options.staleIfErrorSeconds * 1000;
          // A failed fetch is rare: its error and its log line load only when one happens.
          const { fetchFailure, fetchFailedLine } = await import('./jwks-failure.js');
          const failure = fetchFailure(error);
          this.#lastError = failure;
          this.#log(
            fetchFailedLine(
              trigger,
              failure,
              this.#resolvedUri,
              stale !== undefined,
              embedded,
              staleUntil,
            ),
          );
          if (stale) return stale;
          throw failure;
        },
      )
      .finally(() => {
        this.#inflight = undefined;
      });
    this.#inflight = attempt;
    return attempt;
  }

  async #download(): Promise<{ keys: KeySet; ttlSeconds: number; uri: URL }> {
    // One budget for discovery and the JWKS, so a cold start never waits twice the timeout.
    const budget = this.#options.timeoutMs;
    const discovering = this.#resolvedUri === undefined && !(this.#options.jwksUri instanceof URL);
    const started = Date.now();
    const uri = await this.#uri(budget);
    const remaining = discovering ? budget - (Date.now() - started) : budget;
    if (remaining <= 0)
      throw new KeySourceError(
        'JWKS_UNAVAILABLE',
        `discovery used all of the ${this.#options.timeoutMs} ms fetch budget; ${uri.href} not fetched`,
      );
    let response: HttpResponse;
    try {
      response = await (this.#options.get ?? httpGet)(uri, {
        timeoutMs: remaining,
        maxBytes: this.#options.maxBytes,
      });
    } catch (error) {
      if (error instanceof HttpGetError && error.code === 'HTTP_RESPONSE_TOO_LARGE')
        throw new KeySourceError('JWKS_INVALID', `JWKS at ${uri.href}: ${error.message}`, {
          cause: error,
        });
      throw new KeySourceError(
        'JWKS_UNAVAILABLE',
        `JWKS at ${uri.href}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (response.status !== 200)
      throw new KeySourceError(
        'JWKS_UNAVAILABLE',
        `JWKS at ${uri.href} answered HTTP ${response.status}`,
      );
    let document: unknown;
    try {
      document = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new KeySourceError(
        'JWKS_INVALID',
        `JWKS at ${uri.href} is not JSON (content-type ${String(response.headers['content-type'] ?? 'none')})`,
      );
    }
    const keys = KeySet.parse(document);
    if (typeof keys === 'string')
      throw new KeySourceError('JWKS_INVALID', `JWKS at ${uri.href}: ${keys}`);
    return { keys, ttlSeconds: this.#ttl(response.headers['cache-control']), uri };
  }

  async #uri(timeoutMs: number): Promise<URL> {
    if (this.#resolvedUri) return this.#resolvedUri;
    const source = this.#options.jwksUri;
    this.#resolvedUri = source instanceof URL ? source : await source(timeoutMs);
    return this.#resolvedUri;
  }

  /** Cache-Control max-age, held within [minAge, maxAge]. */
  #ttl(cacheControl: string | undefined): number {
    const { minAgeSeconds: min, maxAgeSeconds: max } = this.#options;
    if (cacheControl === undefined) return max;
    if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl)) return min;
    const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
    if (!match) return max;
    return Math.min(max, Math.max(min, Number(match[1])));
  }
}
