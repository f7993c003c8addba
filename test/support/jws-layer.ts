// Signature-layer checks for JWS vectors whose payload is not a JWT claims set (Wycheproof, RFC
// examples): the token's header and signature go through Tollgate's real parseJwt, the key through
// KeySet, the signature through verifySignature. Only the payload-is-a-JSON-object rule is lifted.
import { ALGORITHMS, type Algorithm } from '../../src/core/algorithms.js';
import type { KeySet } from '../../src/core/keyset.js';
import { verifySignature } from '../../src/core/keys.js';
import { isCanonicalBase64url, parseJwt } from '../../src/core/parse.js';

/** Every algorithm Tollgate implements: the most permissive allow-list a deployment can have. */
export const ALL_ALGORITHMS: ReadonlySet<string> = new Set<string>(ALGORITHMS);

/** `{}` as a canonical base64url segment. */
const EMPTY_OBJECT = 'e30';

export type JwsLayerResult =
  | { readonly ok: true; readonly alg: Algorithm; readonly kid: string | undefined }
  | { readonly ok: false; readonly why: string };

/**
 * Verifies a compact JWS at the signature layer only. The header and the signature segment are
 * checked by parseJwt itself: when the payload is not a JSON object, parseJwt sees the same token
 * with the payload replaced by `{}` (so every header, alg allow-list, crit, JWE and base64url rule
 * still applies), the payload segment must be empty or canonical base64url, and the signature is
 * verified over the token's real `header.payload` bytes.
 */
export function verifyJwsLayer(
  token: string,
  keys: KeySet | string,
  algorithms: ReadonlySet<string> = ALL_ALGORITHMS,
  maxLength = 1 << 20,
): JwsLayerResult {
  const parts = token.split('.');
  let probe = token;
  if (parts.length === 3) {
    const [h, p, s] = parts as [string, string, string];
    if (p !== '' && !isCanonicalBase64url(p))
      return { ok: false, why: 'TOKEN_MALFORMED (payload segment is not canonical base64url)' };
    probe = `${h}.${EMPTY_OBJECT}.${s}`;
  }
  const parsed = parseJwt(probe, algorithms, maxLength);
  if (!('signature' in parsed)) return { ok: false, why: parsed.code };
  if (typeof keys === 'string') return { ok: false, why: `key set refused: ${keys}` };
  const { alg, kid } = parsed.header;
  const candidates = keys.candidates(alg, kid);
  if (candidates.length === 0) return { ok: false, why: 'KEY_NOT_FOUND' };
  const dot = token.lastIndexOf('.');
  const signingInput = Buffer.from(token.slice(0, dot), 'latin1');
  for (const key of candidates)
    if (verifySignature(alg, key, signingInput, parsed.signature)) return { ok: true, alg, kid };
  return { ok: false, why: 'SIGNATURE_INVALID' };
}
