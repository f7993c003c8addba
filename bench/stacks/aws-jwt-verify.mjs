// aws-jwt-verify's generic verifier (JwtVerifier, a.k.a. JwtRsaVerifier) with jwksUri, issuer
// and audience. Its own fetcher speaks only https, so the bench hands its JWKS cache a node:http
// fetcher for the loopback server; the https fetcher is still bundled and loaded, as in production.
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { get } from 'node:http';
import { allow, bearer, settings, unauthorized } from './common.mjs';

const { issuer, audience, jwksUri } = settings();

const loopbackFetcher = {
  fetch: (uri) =>
    new Promise((resolve, reject) => {
      get(uri, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        });
        res.on('error', reject);
      }).on('error', reject);
    }),
};

const verifier = JwtVerifier.create(
  { issuer, audience, jwksUri },
  { jwksCache: new SimpleJwksCache({ fetcher: loopbackFetcher }) },
);

export async function handler(event) {
  const token = bearer(event.authorizationToken);
  let payload;
  try {
    payload = await verifier.verify(token);
  } catch {
    throw unauthorized();
  }
  return allow(payload.sub, event.methodArn, payload.scope);
}
