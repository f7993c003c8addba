// Keys generated at test time, one pair per algorithm, and token signing through jose.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { AsymmetricAlgorithm as Algorithm } from '../../src/core/algorithms.js';

export interface TestKey {
  readonly alg: Algorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK with kid, alg and use. */
  readonly jwk: Record<string, unknown>;
}

export function generateKey(
  alg: Algorithm,
  kid = `${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`,
  options: { modulusLength?: number } = {},
): TestKey {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg.startsWith('RS') || alg.startsWith('PS'))
    pair = generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 });
  else if (alg === 'ES256') pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  else if (alg === 'ES384') pair = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  else if (alg === 'ES512') pair = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
  else pair = generateKeyPairSync('ed25519');
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { alg, kid, ...pair, jwk };
}

export const ISSUER = 'https://issuer.example.com/';
export const AUDIENCE = 'https://api.example.com';

/** Fixed test clock: 2026-01-01T00:00:00Z. */
export const NOW_S = 1767225600;
export const NOW_MS = NOW_S * 1000;

export function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    iat: NOW_S - 10,
    exp: NOW_S + 3600,
    scope: 'read:pets',
    ...overrides,
  };
}

/** Signs a JWT with jose. `header` overrides alg/kid; payload keys set to undefined are dropped. */
export async function sign(
  key: TestKey,
  payload: JWTPayload = claims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(clean)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header } as never)
    .sign(key.privateKey);
}
