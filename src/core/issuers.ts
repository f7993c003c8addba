import { decodeUnverified } from './decode-unverified.js';
import { reason, refuse, type Decision } from './reasons.js';
import type { Verifier } from './verifier.js';

/**
 * Several issuers in one authorizer. The token's `iss` (read before anything is verified) picks
 * the issuer's own verifier, with its own keys, audiences and algorithms: an unknown issuer never
 * causes a key fetch, and one issuer's key can never sign for another, since each verifier only
 * ever sees its own key source and then checks `iss` again exactly.
 */
export class IssuerSet {
  private readonly only: Verifier | undefined;

  constructor(private readonly verifiers: ReadonlyMap<string, Verifier>) {
    if (verifiers.size === 0) throw new Error('IssuerSet needs at least one issuer');
    this.only = verifiers.size === 1 ? verifiers.values().next().value : undefined;
  }

  /** The verifier for this exact issuer, if configured. */
  get(issuer: string): Verifier | undefined {
    return this.verifiers.get(issuer);
  }

  async verify(token: string): Promise<Decision> {
    // One issuer: its verifier checks iss itself, with no extra decoding.
    if (this.only) return this.only.verify(token);
    const { payload } = decodeUnverified(token);
    const iss = payload?.iss;
    // A token that does not decode gets the exact parse reason from any verifier; parsing comes before keys.
    if (payload === undefined) return this.verifiers.values().next().value!.verify(token);
    const verifier = typeof iss === 'string' ? this.verifiers.get(iss) : undefined;
    if (verifier === undefined)
      return refuse(
        reason(
          'ISSUER_MISMATCH',
          { expected: [...this.verifiers.keys()].join(',').slice(0, 512) },
          'The iss claim names no configured issuer',
        ),
        { issuer: typeof iss === 'string' ? iss.slice(0, 256) : undefined },
      );
    return verifier.verify(token);
  }
}
