import type { Algorithm } from './algorithms.js';
import { importJwk, keyFits, type VerificationKey } from './keys.js';

/** The largest key set accepted; real issuers publish a handful of keys. */
export const MAX_KEYS = 100;

const NONE: readonly VerificationKey[] = [];

/** An immutable set of verification keys, as parsed from one JWKS document. */
export class KeySet {
  readonly keys: readonly VerificationKey[];
  /** Why keys were left out (`use: "enc"`, short RSA...), for the log. */
  readonly skipped: readonly string[];
  private readonly byKid = new Map<string, VerificationKey[]>();
  private readonly unnamedSecrets: readonly VerificationKey[];

  constructor(keys: readonly VerificationKey[], skipped: readonly string[] = []) {
    this.keys = keys;
    this.skipped = skipped;
    this.unnamedSecrets = keys.filter((k) => k.kty === 'oct' && k.kid === undefined);
    for (const key of keys) {
      if (key.kid === undefined) continue;
      const list = this.byKid.get(key.kid);
      if (list) list.push(key);
      else this.byKid.set(key.kid, [key]);
    }
  }

  /**
   * Parses a JWKS document. Returns an error message when the document is not a usable key
   * set, so the caller can log it and keep older keys: never an empty set that denies everyone.
   */
  static parse(document: unknown): KeySet | string {
    if (typeof document !== 'object' || document === null || Array.isArray(document))
      return 'the JWKS is not a JSON object';
    const list = (document as { keys?: unknown }).keys;
    if (!Array.isArray(list)) return 'the JWKS has no "keys" array';
    if (list.length > MAX_KEYS) return `the JWKS has ${list.length} keys, more than ${MAX_KEYS}`;
    const keys: VerificationKey[] = [];
    const skipped: string[] = [];
    list.forEach((jwk, i) => {
      const result = importJwk(jwk);
      if ('key' in result) keys.push(result.key);
      else skipped.push(`key ${i}${kidOf(jwk)}: ${result.skipped}`);
    });
    if (keys.length === 0)
      return `the JWKS has no usable signature keys${skipped.length ? ` (${skipped.join('; ')})` : ''}`;
    return new KeySet(keys, skipped);
  }

  /** Whether any key carries this kid, whatever its type. */
  hasKid(kid: string): boolean {
    return this.byKid.has(kid);
  }

  /**
   * The keys that may verify a token with this header: same kid (when the token names one) and a
   * type, curve and JWK `alg` that fit the token's algorithm. Without a kid, every fitting key.
   */
  candidates(alg: Algorithm, kid: string | undefined): readonly VerificationKey[] {
    // A configured shared secret has no kid of its own: it answers whatever kid an HMAC token names.
    const pool = kid === undefined ? this.keys : (this.byKid.get(kid) ?? this.unnamedSecrets);
    if (pool === undefined || pool.length === 0) return NONE;
    // The usual case, one key per kid, allocates nothing.
    if (pool.length === 1) return keyFits(pool[0]!, alg) ? pool : NONE;
    const out: VerificationKey[] = [];
    for (const key of pool) if (keyFits(key, alg)) out.push(key);
    return out;
  }
}

function kidOf(jwk: unknown): string {
  const kid = typeof jwk === 'object' && jwk !== null ? (jwk as { kid?: unknown }).kid : undefined;
  return typeof kid === 'string' ? ` (kid ${JSON.stringify(kid.slice(0, 64))})` : '';
}
