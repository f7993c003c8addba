import { TollgateError } from './errors.js';
import type { KeySet } from './keyset.js';

/** Thrown by a key source (the JWKS client); turned into a Failure decision by the verifier. */
export class KeySourceError extends TollgateError<
  'JWKS_UNAVAILABLE' | 'JWKS_INVALID' | 'DISCOVERY_FAILED'
> {
  constructor(code: KeySourceError['code'], message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'KeySourceError';
  }
}

/**
 * Where the verifier gets keys. The verifier stays pure by seeing only this interface; the JWKS
 * client (HTTP, caching, cooldowns) implements it, and tests can hand in a fixed set.
 */
export interface KeySource {
  /** Keys usable now without I/O, or undefined when a fetch is due. */
  cached(): KeySet | undefined;
  /** Keys, fetched when none are fresh. Rejects with a KeySourceError when none can be had. */
  get(): Promise<KeySet>;
  /**
   * The token names a kid the current set lacks: refetch, at most once per cooldown window, and
   * return whatever set is current afterwards.
   */
  refreshForUnknownKid(kid: string): Promise<KeySet>;
}

/** A key source over a fixed set: for tests and for keys configured inline. */
export function staticKeySource(keys: KeySet): KeySource {
  return { cached: () => keys, get: async () => keys, refreshForUnknownKid: async () => keys };
}
