import { KeySourceError } from '../core/key-source.js';

/** What a failed JWKS fetch rejects with: a key source's own error keeps its code. */
export function fetchFailure(error: unknown): KeySourceError {
  return error instanceof KeySourceError
    ? error
    : new KeySourceError('JWKS_UNAVAILABLE', 'the JWKS could not be fetched', { cause: error });
}

/**
 * The jwks_fetch_failed line: a warning while cached keys still answer, an error otherwise. After
 * an unknown kid's refetch the current keys go on answering and have no stale deadline to report.
 */
export function fetchFailedLine(
  trigger: 'initial' | 'expired' | 'unknown-kid',
  failure: KeySourceError,
  jwksUri: URL | undefined,
  usingCachedKeys: boolean,
  embeddedDropped: boolean,
  staleUntil: number,
): Record<string, unknown> {
  return {
    level: usingCachedKeys ? 'warn' : 'error',
    event: 'jwks_fetch_failed',
    trigger,
    code: failure.code,
    message: failure.message,
    jwksUri: jwksUri?.href,
    usingCachedKeys,
    ...(embeddedDropped ? { embeddedKeys: 'no longer used' } : {}),
    ...(usingCachedKeys && trigger !== 'unknown-kid'
      ? { staleUntil: new Date(staleUntil).toISOString() }
      : {}),
  };
}
