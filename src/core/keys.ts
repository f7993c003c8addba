import type { KeyObject, JsonWebKey } from 'node:crypto';
import { ALGORITHM_SPECS, isAlgorithm, type Algorithm, type AlgorithmSpec } from './algorithms.js';

// Not an ESM import, so a cold start skips Node's ESM wrapper of node:crypto (lambda/log-line.ts).
const { constants, createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify } =
  process.getBuiltinModule('node:crypto');

/** RSA keys below this size are refused, as jose and RFC 7518 section 3.3 require. */
export const MIN_RSA_BITS = 2048;

/** A verification key imported once from a JWK. */
export interface VerificationKey {
  readonly kid: string | undefined;
  readonly kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  readonly crv: string | undefined;
  /** The JWK's own `alg`, which pins the key to one algorithm when present. */
  readonly alg: Algorithm | undefined;
  readonly keyObject: KeyObject;
  /** RSA signatures must be exactly the modulus length. */
  readonly rsaBytes: number | undefined;
}

export type ImportResult = { key: VerificationKey } | { skipped: string };

const CURVES: Record<string, string> = {
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
};

/**
 * Imports one JWK for signature verification. Keys that cannot verify JWS signatures
 * (encryption keys, symmetric keys, private-only parameters, unsupported curves, short RSA
 * moduli, unknown `alg`) are skipped with a reason rather than thrown, so one odd key does not
 * take the rest of the set down.
 */
export function importJwk(jwk: unknown): ImportResult {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    return { skipped: 'not a JSON object' };
  const k = jwk as Record<string, unknown>;
  if (k.use !== undefined && k.use !== 'sig')
    return { skipped: `use "${String(k.use)}" is not "sig"` };
  if (Array.isArray(k.key_ops) && !k.key_ops.includes('verify'))
    return { skipped: 'key_ops does not include "verify"' };
  if (k.kid !== undefined && typeof k.kid !== 'string') return { skipped: 'kid is not a string' };
  if (k.alg !== undefined && !isAlgorithm(k.alg))
    return { skipped: `alg "${String(k.alg)}" is not a supported signature algorithm` };
  const kty = k.kty;
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP')
    return { skipped: `kty "${String(kty)}" is not usable for verification` };
  if (kty === 'EC' && (typeof k.crv !== 'string' || !(k.crv in CURVES)))
    return { skipped: `EC curve "${String(k.crv)}" is not supported` };
  if (kty === 'OKP' && k.crv !== 'Ed25519')
    return { skipped: `OKP curve "${String(k.crv)}" is not supported` };
  if (k.alg !== undefined) {
    const spec = ALGORITHM_SPECS[k.alg as Algorithm];
    if (spec.kty !== kty || (spec.crv !== undefined && spec.crv !== k.crv))
      return { skipped: `alg "${String(k.alg)}" does not fit kty "${kty}"` };
  }
  // Only public members are passed on: a JWK that also carries `d` must not import as private.
  const pub: JsonWebKey =
    kty === 'RSA'
      ? { kty, n: k.n as string, e: k.e as string }
      : {
          kty,
          crv: k.crv as string,
          x: k.x as string,
          ...(kty === 'EC' ? { y: k.y as string } : {}),
        };
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: pub, format: 'jwk' });
  } catch {
    return { skipped: 'key material is invalid' };
  }
  let rsaBytes: number | undefined;
  if (kty === 'RSA') {
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS)
      return { skipped: `RSA modulus of ${bits} bits is below ${MIN_RSA_BITS}` };
    // RFC 8017 section 3.1: e is odd and at least 3. With e = 1 every padded message is its own
    // signature, and OpenSSL does not refuse such a key (Wycheproof json_web_key_test tcId 9).
    const e = keyObject.asymmetricKeyDetails?.publicExponent;
    if (e === undefined || e < 3n || e % 2n === 0n)
      return { skipped: `RSA public exponent ${String(e)} is not an odd number of at least 3` };
    rsaBytes = Math.ceil(bits / 8);
  }
  return {
    key: {
      kid: k.kid as string | undefined,
      kty,
      crv: typeof k.crv === 'string' ? k.crv : undefined,
      alg: k.alg as Algorithm | undefined,
      keyObject,
      rsaBytes,
    },
  };
}

/**
 * A shared-secret key for HS256/384/512, from configuration only: a JWKS never supplies one, so a
 * public key can never be turned into an HMAC secret (the classic RS256-to-HS256 confusion).
 */
export function secretKey(secret: Buffer): VerificationKey {
  return {
    kid: undefined,
    kty: 'oct',
    crv: undefined,
    alg: undefined,
    keyObject: createSecretKey(secret),
    rsaBytes: undefined,
  };
}

/** Whether `key` may verify a signature made with `alg`: kty, curve and the JWK's own alg agree. */
export function keyFits(key: VerificationKey, alg: Algorithm): boolean {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.kty !== key.kty) return false;
  if (spec.crv !== undefined && spec.crv !== key.crv) return false;
  return key.alg === undefined || key.alg === alg;
}

/** crypto.verify's key argument per key and algorithm, built on first use rather than per call. */
const VERIFY_KEYS = new WeakMap<
  VerificationKey,
  Partial<Record<Algorithm, Parameters<typeof verify>[2]>>
>();

function verifyKey(key: VerificationKey, alg: Algorithm): Parameters<typeof verify>[2] {
  let byAlg = VERIFY_KEYS.get(key);
  if (byAlg === undefined) VERIFY_KEYS.set(key, (byAlg = {}));
  return (byAlg[alg] ??= { key: key.keyObject, ...verifyOptions(ALGORITHM_SPECS[alg]) });
}

/**
 * Checks a JWS signature with node:crypto, synchronously. Lengths are checked first so a DER
 * ECDSA signature, a truncated RSA signature or an empty one never reaches OpenSSL.
 */
export function verifySignature(
  alg: Algorithm,
  key: VerificationKey,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const spec = ALGORITHM_SPECS[alg];
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  if (key.rsaBytes !== undefined && signature.length !== key.rsaBytes) return false;
  try {
    if (spec.kty === 'oct') {
      const mac = createHmac(spec.hash!, key.keyObject).update(signingInput).digest();
      return timingSafeEqual(mac, signature);
    }
    return verify(spec.hash, signingInput, verifyKey(key, alg), signature);
  } catch {
    return false;
  }
}

const SALT_LENGTH = { sha256: 32, sha384: 48, sha512: 64 } as const;

/** Options object for crypto.verify, built once per algorithm. */
function verifyOptions(spec: AlgorithmSpec): {
  padding?: number;
  saltLength?: number;
  dsaEncoding?: 'ieee-p1363';
} {
  if (spec.kty === 'EC') return { dsaEncoding: 'ieee-p1363' };
  if (spec.pss && spec.hash)
    return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT_LENGTH[spec.hash] };
  if (spec.kty === 'RSA') return { padding: constants.RSA_PKCS1_PADDING };
  return {};
}
