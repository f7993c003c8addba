// Raw compact-JWS assembly for crafted tokens: any header, any payload bytes, any segment text,
// signed with node:crypto directly (independent of both jose and Tollgate's verifier).
import { constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { AsymmetricAlgorithm as Algorithm } from '../../src/core/algorithms.js';

/** base64url without padding of a string (UTF-8), bytes, or a value serialised as JSON. */
export function b64u(value: string | Buffer | Uint8Array | object): string {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64url');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

const HASH: Record<Algorithm, 'sha256' | 'sha384' | 'sha512' | null> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
  Ed25519: null,
};

const SALT = { sha256: 32, sha384: 48, sha512: 64 } as const;

/** The JWS signature for `alg` over `input` (RFC 7518 encodings: P1363 for ECDSA, salt = hash length for PSS). */
export function rawSign(
  alg: Algorithm,
  privateKey: KeyObject,
  input: string | Buffer,
  options: { saltLength?: number; dsaEncoding?: 'der' | 'ieee-p1363' } = {},
): Buffer {
  const data = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const hash = HASH[alg];
  if (alg.startsWith('PS') && hash) {
    return cryptoSign(hash, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: options.saltLength ?? SALT[hash],
    });
  }
  if (alg.startsWith('RS'))
    return cryptoSign(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
  if (alg.startsWith('ES'))
    return cryptoSign(hash, data, {
      key: privateKey,
      dsaEncoding: options.dsaEncoding ?? 'ieee-p1363',
    });
  return cryptoSign(null, data, privateKey);
}

export interface Signer {
  readonly alg: Algorithm;
  readonly privateKey: KeyObject;
}

/**
 * Builds `header.payload.signature`. Header and payload are JSON-serialised objects, or raw
 * segment text when given as `{ raw: '...' }` (already base64url, or deliberately not), or raw
 * bytes when given as a Buffer. The signature covers exactly the two segments as written.
 */
export function forge(
  signer: Signer,
  header: object | { raw: string } | Buffer,
  payload: object | { raw: string } | Buffer,
  options: { saltLength?: number } = {},
): string {
  const seg = (v: object | { raw: string } | Buffer): string =>
    Buffer.isBuffer(v) ? b64u(v) : 'raw' in v && typeof v.raw === 'string' ? v.raw : b64u(v);
  const input = `${seg(header)}.${seg(payload)}`;
  return `${input}.${rawSign(signer.alg, signer.privateKey, input, options).toString('base64url')}`;
}
