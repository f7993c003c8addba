import { checkClaims, checkTimes, type ClaimRules } from './claims.js';
import { buildContext, type ContextClaim } from './context.js';
import { KeySourceError, type KeySource } from './key-source.js';
import type { KeySet } from './keyset.js';
import { verifySignature, type VerificationKey } from './keys.js';
import { parseJwt, type ParsedJwt } from './parse.js';
import { reason, refuse, type Allow, type Decision, type Reason } from './reasons.js';
import { checkScopes, type ScopeMatch } from './scopes.js';
import type { Algorithm } from './algorithms.js';

export interface VerifierOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly Algorithm[];
  /** Seconds of leeway on exp, nbf and iat. */
  readonly clockTolerance: number;
  readonly requiredScopes: readonly string[];
  readonly scopeMatch: ScopeMatch;
  /** Claims holding scopes (default `scope` and `scp`). */
  readonly scopeClaims?: readonly string[];
  /** `client_id` for Amazon Cognito access tokens; `none`: not checked (see ClaimRules). */
  readonly audienceClaim?: 'aud' | 'client_id' | 'none';
  /** Amazon Cognito `token_use`. */
  readonly tokenUse?: string | undefined;
  /** Claims copied into the authorizer context. */
  readonly contextClaims: readonly (string | ContextClaim)[];
  readonly maxTokenLength: number;
  readonly keySource: KeySource;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
  /** Verified tokens remembered, by exact token, to skip the signature on repeats; 0 turns it off. */
  readonly tokenCacheSize?: number;
}

interface CachedToken {
  readonly allow: Allow;
  /** The key set that verified it: a refetch makes a new set, which invalidates the entry. */
  readonly keys: KeySet;
}

/**
 * Verifies bearer tokens and decides. Never throws: every outcome, including an identity
 * provider outage or a bug, is a Decision, so each surface maps it to a response in one place.
 */
export class Verifier {
  private readonly algorithms: ReadonlySet<string>;
  private readonly rules: ClaimRules;
  private readonly now: () => number;
  private readonly cache = new Map<string, CachedToken>();
  private readonly cacheSize: number;

  constructor(private readonly options: VerifierOptions) {
    this.algorithms = new Set(options.algorithms);
    this.rules = {
      issuer: options.issuer,
      audiences: options.audiences,
      clockTolerance: options.clockTolerance,
      audienceClaim: options.audienceClaim ?? 'aud',
      ...(options.tokenUse !== undefined ? { tokenUse: options.tokenUse } : {}),
    };
    this.now = options.now ?? Date.now;
    this.cacheSize = options.tokenCacheSize ?? 200;
  }

  /**
   * The decision without waiting, when no key fetch is needed: keys in memory and, for a kid they
   * do not hold, no refetch worth making. Undefined otherwise (then verify() fetches). The
   * synchronous TOKEN path of the Lambda handler calls this with `cache` false (it keeps finished
   * answers itself, so a lookup here would hash every new token twice); verify() calls it first.
   */
  verifyNow(token: string, cache = true): Decision | undefined {
    const keys = this.options.keySource.cached();
    if (keys === undefined) return undefined;
    try {
      const hit = cache ? this.cache.get(token) : undefined;
      if (hit !== undefined && hit.keys === keys) return this.recheck(hit);
      const parsed = parseJwt(token, this.algorithms, this.options.maxTokenLength);
      if (!('signature' in parsed)) return refuse(parsed);
      const foreign = this.foreignIssuer(parsed);
      if (foreign) return foreign;
      const candidates = keys.candidates(parsed.header.alg, parsed.header.kid);
      if (candidates.length === 0 && worthRefetch(parsed, keys)) return undefined;
      return this.signedDecision(token, parsed, candidates, cache ? keys : undefined);
    } catch (error) {
      return failure(error);
    }
  }

  /** The clock the verifier checks times against, in milliseconds since the epoch. */
  clock(): number {
    return this.now();
  }

  /**
   * Where an allowed token's times hold, in whole seconds as the checks compare them: from
   * (inclusive) to until (exclusive), clock tolerance included. The same edges as checkTimes.
   */
  validSeconds(claims: Readonly<Record<string, unknown>>): { from: number; until: number } {
    const tolerance = this.rules.clockTolerance;
    const nbf = typeof claims.nbf === 'number' ? claims.nbf : -Infinity;
    const iat = typeof claims.iat === 'number' ? claims.iat : -Infinity;
    return {
      from: Math.max(nbf, iat) - tolerance,
      until: (claims.exp as number) + tolerance,
    };
  }

  async verify(token: string): Promise<Decision> {
    const decided = this.verifyNow(token);
    if (decided !== undefined) return decided;
    try {
      // A token allowed before under the same key set skips parsing, the signature and the
      // time-independent checks; only exp, nbf and iat are checked again.
      // Here the keys are not in memory, or the token's kid is new to them: fetch, then decide.
      const parsed = parseJwt(token, this.algorithms, this.options.maxTokenLength);
      if (!('signature' in parsed)) return refuse(parsed);
      const foreign = this.foreignIssuer(parsed);
      if (foreign) return foreign;
      const current = this.options.keySource.cached();
      let keys = current ?? (await this.options.keySource.get());
      let candidates = keys.candidates(parsed.header.alg, parsed.header.kid);
      if (candidates.length === 0 && worthRefetch(parsed, keys)) {
        keys = await this.options.keySource.refreshForUnknownKid(parsed.header.kid!);
        candidates = keys.candidates(parsed.header.alg, parsed.header.kid);
      }
      return this.signedDecision(token, parsed, candidates, keys);
    } catch (error) {
      return failure(error);
    }
  }

  /** A token allowed before under the same key set: only exp, nbf and iat are checked again. */
  private recheck(hit: CachedToken): Decision {
    const late = checkTimes(hit.allow.claims, this.rules, Math.floor(this.now() / 1000));
    return late === undefined
      ? hit.allow
      : refuse(late, { kid: hit.allow.kid, issuer: hit.allow.issuer });
  }

  /** Another issuer's token never causes a key fetch (the claim checks would refuse it anyway). */
  private foreignIssuer(parsed: ParsedJwt): Decision | undefined {
    const iss = parsed.payload.iss;
    if (iss === this.rules.issuer) return undefined;
    const why =
      typeof iss === 'string' || iss === undefined
        ? reason('ISSUER_MISMATCH', { expected: this.rules.issuer })
        : reason(
            'CLAIM_INVALID',
            { claim: 'iss', expected: 'a string' },
            'The iss claim must be a string',
          );
    return refuse(why, { issuer: stringOrUndefined(iss) });
  }

  private signedDecision(
    token: string,
    parsed: ParsedJwt,
    candidates: readonly VerificationKey[],
    /** Where an Allow is remembered; undefined: not at all. */
    keys: KeySet | undefined,
  ): Decision {
    const unsigned = checkSignature(parsed, candidates);
    if (unsigned)
      return refuse(unsigned, {
        kid: stringOrUndefined(parsed.header.kid),
        issuer: stringOrUndefined(parsed.payload.iss),
      });
    const decision = this.decide(parsed);
    if (decision.kind === 'allow' && this.cacheSize > 0 && keys !== undefined)
      this.remember(token, decision, keys);
    return decision;
  }

  private decide(parsed: ParsedJwt): Decision {
    const payload = parsed.payload;
    const now = Math.floor(this.now() / 1000);
    const kid = stringOrUndefined(parsed.header.kid);
    const issuer = stringOrUndefined(payload.iss);
    const claimFailure = checkClaims(payload, this.rules, now);
    if (claimFailure) return refuse(claimFailure, { kid, issuer });
    const principal = payload.sub as string;
    const scopeFailure = checkScopes(
      payload,
      this.options.requiredScopes,
      this.options.scopeMatch,
      this.options.scopeClaims,
    );
    if (scopeFailure) return refuse(scopeFailure, { principal, kid, issuer });
    return {
      kind: 'allow',
      principal,
      claims: payload,
      context: buildContext(payload, this.options.contextClaims),
      kid,
      issuer: payload.iss as string,
    };
  }

  private remember(token: string, allow: Allow, keys: KeySet): void {
    if (this.cache.size >= this.cacheSize) {
      // Oldest first: Map iterates in insertion order.
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    // Only the decision is kept, not the parsed Buffers, which may pin whole 8 KB pool slabs.
    this.cache.set(token, { allow, keys });
  }
}

/** Only a kid the set has never seen is worth a refetch (key rotation); the key source rate-limits it. */
export function worthRefetch(parsed: ParsedJwt, keys: KeySet): boolean {
  return parsed.header.kid !== undefined && !keys.hasKid(parsed.header.kid);
}

/** The signature against the candidate keys, synchronously; a reason when it does not verify. */
export function checkSignature(
  parsed: ParsedJwt,
  candidates: readonly VerificationKey[],
): Reason | undefined {
  const { alg, kid } = parsed.header;
  if (candidates.length === 0)
    return reason('KEY_NOT_FOUND', {
      alg,
      ...(kid !== undefined ? { kid: kid.slice(0, 128) } : {}),
    });
  // Without a kid, one key must fit, as jose requires: trying every key would also let one token cost N verifications.
  if (kid === undefined && candidates.length > 1)
    return reason('KEY_NOT_FOUND', { alg, problem: 'no kid and several keys fit' });
  for (const key of candidates)
    if (verifySignature(alg, key, parsed.signingInput, parsed.signature)) return undefined;
  return reason('SIGNATURE_INVALID');
}

/** A header or claim value for logs and refusals, cut so a huge value cannot flood the log. */
function stringOrUndefined(v: unknown): string | undefined {
  return typeof v === 'string' ? v.slice(0, 256) : undefined;
}

/** Every outcome is a decision: a key source's error keeps its code, anything else is a bug. */
function failure(error: unknown): Decision {
  if (error instanceof KeySourceError) return refuse(reason(error.code, undefined, error.message));
  return refuse(reason('INTERNAL_ERROR'));
}
