// The floor: the least work any correct JWT authorizer must do per request. Base64url-decode
// header and payload, JSON.parse them, one synchronous crypto.verify with a KeyObject imported
// once, a few claim comparisons, an IAM policy. Keys come from the JWKS once, over node:http
// (not fetch, whose undici would be the floor's biggest cold-start cost). No cache of any kind:
// a stack's "repeated token" ratio is measured against re-verifying every time.
import { createPublicKey, verify } from 'node:crypto';
import { get } from 'node:http';
import { allow, bearer, settings, unauthorized } from './common.mjs';

const { issuer, audience, jwksUri, algorithms } = settings();
const allowed = new Set(algorithms);

// A JWS ECDSA signature is r || s, not DER; RSA needs nothing beyond the digest.
const ALGS = {
  RS256: { kty: 'RSA', hash: 'sha256', options: {} },
  ES256: { kty: 'EC', hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
};

function fetchJson(url) {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          : reject(new Error(`JWKS answered ${res.statusCode}`)),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** kid -> what crypto.verify needs, keyed so a request does one Map lookup. */
async function loadKeys() {
  const byKid = new Map();
  for (const jwk of (await fetchJson(jwksUri)).keys) {
    const spec = ALGS[jwk.alg];
    if (spec === undefined || spec.kty !== jwk.kty || !allowed.has(jwk.alg)) continue;
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    byKid.set(jwk.kid, { alg: jwk.alg, hash: spec.hash, verifyKey: { key, ...spec.options } });
  }
  return byKid;
}

// Started at import, as a Lambda would at init; awaited by the first event.
let keys;
const loading = loadKeys().then((k) => (keys = k));
// An unhandled rejection would kill the process before the first event could report it.
loading.catch(() => {});

export async function handler(event) {
  const byKid = keys ?? (await loading);
  const token = bearer(event.authorizationToken);
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  if (dot1 <= 0 || dot2 <= 0) throw unauthorized();
  const header = JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString('utf8'));
  const key = byKid.get(header.kid);
  if (key === undefined || key.alg !== header.alg) throw unauthorized();
  const payload = JSON.parse(
    Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString('utf8'),
  );
  const signature = Buffer.from(token.slice(dot2 + 1), 'base64url');
  if (!verify(key.hash, Buffer.from(token.slice(0, dot2), 'latin1'), key.verifyKey, signature))
    throw unauthorized();
  const now = Date.now() / 1000;
  const aud = payload.aud;
  if (
    payload.iss !== issuer ||
    !(aud === audience || (Array.isArray(aud) && aud.includes(audience)))
  )
    throw unauthorized();
  if (
    !(payload.exp > now) ||
    (payload.nbf !== undefined && !(payload.nbf <= now)) ||
    typeof payload.sub !== 'string'
  )
    throw unauthorized();
  return allow(payload.sub, event.methodArn, payload.scope);
}
