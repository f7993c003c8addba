/** The asymmetric JWS algorithms Tollgate verifies with keys from a JWKS. `none` is never accepted. */
export const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** HMAC, only for an issuer configured with a shared secret, never with keys from a JWKS. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

export type AsymmetricAlgorithm = (typeof ALGORITHMS)[number];
export type Algorithm = AsymmetricAlgorithm | (typeof HMAC_ALGORITHMS)[number];

export interface AlgorithmSpec {
  readonly kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  /** Required curve for EC and OKP keys. */
  readonly crv?: 'P-256' | 'P-384' | 'P-521' | 'Ed25519';
  /** Digest for crypto.verify; null for Ed25519 (the digest is part of the scheme). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSASSA-PSS with salt length equal to the digest length (RFC 7518 section 3.5). */
  readonly pss?: true;
  /** Exact IEEE P1363 (r || s) length for ECDSA; DER is never accepted in a JWS. */
  readonly signatureLength?: number;
}

export const ALGORITHM_SPECS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  // RFC 7518 section 3.2: the key must be at least as long as the digest.
  HS256: { kty: 'oct', hash: 'sha256', signatureLength: 32 },
  HS384: { kty: 'oct', hash: 'sha384', signatureLength: 48 },
  HS512: { kty: 'oct', hash: 'sha512', signatureLength: 64 },
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', signatureLength: 64 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', signatureLength: 96 },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'sha512', signatureLength: 132 },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null, signatureLength: 64 },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', hash: null, signatureLength: 64 },
};

export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ALGORITHM_SPECS, value);
}

export function isHmac(alg: Algorithm): boolean {
  return ALGORITHM_SPECS[alg].kty === 'oct';
}
