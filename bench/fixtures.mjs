// Keys, the JWKS endpoint and the tokens: made fresh for every run, on 127.0.0.1 only. Private
// keys live in the parent's memory; only tokens are written (to bench/.build, gitignored).
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';

export const ISSUER = 'https://issuer.example.com/';
export const AUDIENCE = 'https://api.example.com';
export const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets';

/** The settings every stack reads, Tollgate's names. */
export function stackEnv(jwksUrl) {
  return {
    TOKEN_ISSUER: ISSUER,
    AUDIENCE,
    JWKS_URI: jwksUrl,
    ALGORITHMS: 'RS256,ES256',
    BENCH_METHOD_ARN: METHOD_ARN,
  };
}

function b64(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function makeKey(alg) {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  return {
    alg,
    kid,
    ...pair,
    jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

export function mint(key, claims, header = {}) {
  const input = `${b64({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })}.${b64(claims)}`;
  const signature = sign(
    'sha256',
    Buffer.from(input),
    key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey,
  );
  return `${input}.${signature.toString('base64url')}`;
}

/** Auth0-like access-token claims; the jti and sub make every token distinct. */
export function claimsFor(sub, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub,
    iat: now - 5,
    exp: now + 3600,
    jti: randomUUID(),
    scope: 'read:pets write:pets',
    ...overrides,
  };
}

function tamper(token) {
  // A character from the middle of the signature: the last one may only carry unused bits.
  const at = token.lastIndexOf('.') + 20;
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

/** `count` tokens of `key`, subjects `${prefix}-${i}`: each answer can be checked against its own token. */
export function tokenSet(key, prefix, count, from = 0) {
  return Array.from({ length: count }, (_, i) => {
    const sub = `${prefix}-${from + i}`;
    return { sub, token: mint(key, claimsFor(sub)) };
  });
}

/** Tokens a correct authorizer refuses: checked on every stack before anything is timed. */
export function mustRefuse(rsa, ec) {
  const outsider = { ...makeKey('RS256'), kid: rsa.kid };
  const now = Math.floor(Date.now() / 1000);
  return [
    { why: 'RS256 signature altered', token: tamper(mint(rsa, claimsFor('refuse-me'))) },
    { why: 'ES256 signature altered', token: tamper(mint(ec, claimsFor('refuse-me'))) },
    {
      why: 'signed by a key outside the JWKS under a published kid',
      token: mint(outsider, claimsFor('refuse-me')),
    },
    {
      why: 'expired',
      token: mint(rsa, claimsFor('refuse-me', { iat: now - 7200, exp: now - 3600 })),
    },
    {
      why: 'another audience',
      token: mint(rsa, claimsFor('refuse-me', { aud: 'https://other.example.com' })),
    },
    {
      why: 'another issuer',
      token: mint(rsa, claimsFor('refuse-me', { iss: 'https://evil.example.com/' })),
    },
    {
      why: 'alg none',
      token: `${b64({ alg: 'none', typ: 'JWT', kid: rsa.kid })}.${b64(claimsFor('refuse-me'))}.`,
    },
  ];
}

/**
 * The identity provider's JWKS endpoint, served by the parent process on a free loopback port.
 * `setDelay(ms)` answers each request that much later: a hosted issuer is a round trip away.
 */
export async function startJwks(jwks) {
  const body = JSON.stringify({ keys: jwks });
  let delayMs = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`,
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
