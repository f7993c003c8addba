import { reason, type JwtPayload, type Reason } from './reasons.js';

/** What the registered claims are checked against. Times are whole seconds since the epoch. */
export interface ClaimRules {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** Seconds of leeway for exp, nbf and iat. */
  readonly clockTolerance: number;
  /**
   * Where the audience is: `aud`, or `client_id` in Amazon Cognito access tokens (which have no
   * aud); `none` when the issuer alone vouches for it (API Gateway's Cognito authorizer accepts any
   * app client of the pool, and only the pool can sign its tokens).
   */
  readonly audienceClaim?: 'aud' | 'client_id' | 'none';
  /** Amazon Cognito: `token_use` must be this (`access` or `id`), so an ID token never passes as an access token. */
  readonly tokenUse?: string;
}

export interface ClaimCheck {
  /** The claim or property the check is about, as shown by `tollgate explain`. */
  readonly name: string;
  readonly run: (payload: JwtPayload, rules: ClaimRules, now: number) => Reason | undefined;
  /** False when these rules do not check it at all (explain leaves it out rather than print PASS). */
  readonly applies?: (rules: ClaimRules) => boolean;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function wrongType(claim: string, expected: string): Reason {
  return reason('CLAIM_INVALID', { claim, expected }, `The ${claim} claim must be ${expected}`);
}

/**
 * The claim checks in the order they run. Types first, so every later check compares values of
 * the right type; `sub` is required because it becomes the policy's principalId.
 */
export const CLAIM_CHECKS: readonly ClaimCheck[] = [
  {
    name: 'types',
    run: (p) => {
      if (p.exp === undefined)
        return reason(
          'CLAIM_INVALID',
          { claim: 'exp', expected: 'present' },
          'The exp claim is required',
        );
      if (!isNumber(p.exp)) return wrongType('exp', 'a number');
      if (p.nbf !== undefined && !isNumber(p.nbf)) return wrongType('nbf', 'a number');
      if (p.iat !== undefined && !isNumber(p.iat)) return wrongType('iat', 'a number');
      if (typeof p.sub !== 'string' || p.sub.length === 0)
        return wrongType('sub', 'a non-empty string');
      if (p.iss !== undefined && typeof p.iss !== 'string') return wrongType('iss', 'a string');
      const aud = p.aud;
      if (
        aud !== undefined &&
        typeof aud !== 'string' &&
        !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))
      ) {
        return wrongType('aud', 'a string or an array of strings');
      }
      return undefined;
    },
  },
  {
    name: 'iss',
    run: (p, r) =>
      p.iss === r.issuer ? undefined : reason('ISSUER_MISMATCH', { expected: r.issuer }),
  },
  {
    name: 'token_use',
    applies: (r) => r.tokenUse !== undefined,
    run: (p, r) =>
      r.tokenUse === undefined || p.token_use === r.tokenUse
        ? undefined
        : reason(
            'CLAIM_INVALID',
            { claim: 'token_use', expected: r.tokenUse },
            `The token_use claim must be ${r.tokenUse}`,
          ),
  },
  {
    name: 'aud',
    run: (p, r) => {
      if (r.audienceClaim === 'none') return undefined;
      if (r.audienceClaim === 'client_id') {
        return typeof p.client_id === 'string' && r.audiences.includes(p.client_id)
          ? undefined
          : reason('AUDIENCE_MISMATCH', { claim: 'client_id', expected: r.audiences.join(',') });
      }
      const aud = p.aud;
      if (
        typeof aud === 'string'
          ? r.audiences.includes(aud)
          : Array.isArray(aud) && aud.some((a) => r.audiences.includes(a as string))
      )
        return undefined;
      return reason('AUDIENCE_MISMATCH', { expected: r.audiences.join(',') });
    },
  },
  {
    name: 'exp',
    // Same edges as jose: expired once exp <= now - tolerance.
    run: (p, r, now) =>
      (p.exp as number) > now - r.clockTolerance
        ? undefined
        : reason('TOKEN_EXPIRED', { exp: p.exp as number, now }),
  },
  {
    name: 'nbf',
    run: (p, r, now) =>
      p.nbf === undefined || (p.nbf as number) <= now + r.clockTolerance
        ? undefined
        : reason('TOKEN_NOT_YET_VALID', { nbf: p.nbf as number, now }),
  },
  {
    name: 'iat',
    run: (p, r, now) =>
      p.iat === undefined || (p.iat as number) <= now + r.clockTolerance
        ? undefined
        : reason('TOKEN_ISSUED_IN_FUTURE', { iat: p.iat as number, now }),
  },
];

/** Runs every claim check and returns the first failure. */
export function checkClaims(
  payload: JwtPayload,
  rules: ClaimRules,
  now: number,
): Reason | undefined {
  for (const check of CLAIM_CHECKS) {
    const failure = check.run(payload, rules, now);
    if (failure) return failure;
  }
  return undefined;
}

const TIME_CHECKS = CLAIM_CHECKS.filter(
  (c) => c.name === 'exp' || c.name === 'nbf' || c.name === 'iat',
);

/** Only the checks that change with the clock: what a token verified earlier must pass again. */
export function checkTimes(
  payload: JwtPayload,
  rules: ClaimRules,
  now: number,
): Reason | undefined {
  for (const check of TIME_CHECKS) {
    const failure = check.run(payload, rules, now);
    if (failure) return failure;
  }
  return undefined;
}
