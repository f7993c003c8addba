// Keys embedded in the bundle at build time (`npm run bundle -- --embed-keys`): a head start for
// the cold start, never a replacement for the issuer's JWKS. The JWKS client trusts them only
// until its first fetch completes (jwks-client.ts); this module decides whether they belong to
// the issuer the function is configured with, and says so in the log either way.
import { KeySet } from '../core/keyset.js';
import type { IssuerSettings } from '../settings/settings.js';
import type { LogSink } from './log-line.js';

/** One issuer's keys as the bundle script fetched them. */
export interface EmbeddedJwks {
  readonly issuer: string;
  /** The URL they came from. */
  readonly jwksUri: string;
  /** Found through the issuer's OpenID discovery document (the function has no JWKS_URI). */
  readonly discovered: boolean;
  /** When they were fetched (RFC 3339), for the log. */
  readonly fetchedAt: string;
  readonly keys: readonly unknown[];
}

/**
 * The embedded keys of each configured issuer they belong to (embeddedKeySet), by issuer; entries
 * for an issuer the function is not configured with are named in a warning.
 */
export function embeddedKeySets(
  issuers: readonly IssuerSettings[],
  embedded: readonly EmbeddedJwks[],
  log: LogSink,
): Map<string, KeySet> {
  const sets = new Map<string, KeySet>();
  for (const config of issuers) {
    const keys = embeddedKeySet(config, embedded, log);
    if (keys !== undefined) sets.set(config.issuer, keys);
  }
  warnUnmatched(embedded, new Set(issuers.map((i) => i.issuer)), log);
  return sets;
}

/**
 * The embedded keys for this issuer, when they were fetched from where the function fetches its
 * own (the same JWKS_URI, or discovery from the same issuer); undefined otherwise, with a warning
 * naming why, since a setting the user wrote is never ignored silently.
 */
export function embeddedKeySet(
  config: Pick<IssuerSettings, 'issuer' | 'jwksUri' | 'secret'>,
  embedded: readonly EmbeddedJwks[] | undefined,
  log: LogSink,
): KeySet | undefined {
  const entry = embedded?.find((e) => e.issuer === config.issuer);
  if (entry === undefined || config.secret !== undefined) return undefined;
  const source = config.jwksUri?.href;
  const same =
    source === undefined ? entry.discovered : !entry.discovered && entry.jwksUri === source;
  const keys = same ? KeySet.parse({ keys: entry.keys }) : undefined;
  const unused = (why: string): undefined =>
    void log({ level: 'warn', event: 'embedded_keys_unused', issuer: config.issuer, why });
  if (!same)
    return unused(
      `embedded from ${entry.jwksUri}${entry.discovered ? ' (discovered)' : ''}, but the function fetches ${source ?? 'through discovery'}`,
    );
  if (typeof keys === 'string') return unused(keys);
  log({
    level: 'info',
    event: 'jwks_embedded',
    issuer: config.issuer,
    jwksUri: entry.jwksUri,
    keys: keys!.keys.length,
    fetchedAt: entry.fetchedAt,
  });
  return keys;
}

/** Embedded keys of an issuer the function is not configured with: named, not silently ignored. */
function warnUnmatched(
  embedded: readonly EmbeddedJwks[] | undefined,
  issuers: ReadonlySet<string>,
  log: LogSink,
): void {
  for (const entry of embedded ?? [])
    if (!issuers.has(entry.issuer))
      log({
        level: 'warn',
        event: 'embedded_keys_unused',
        issuer: entry.issuer,
        why: 'the function is not configured with this issuer',
      });
}
