// jose 6 as its documentation shows it: createRemoteJWKSet (fetch) and jwtVerify (WebCrypto).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { allow, bearer, settings, unauthorized } from './common.mjs';

const { issuer, audience, jwksUri, algorithms } = settings();
const jwks = createRemoteJWKSet(new URL(jwksUri));

export async function handler(event) {
  const token = bearer(event.authorizationToken);
  let payload;
  try {
    ({ payload } = await jwtVerify(token, jwks, { issuer, audience, algorithms }));
  } catch {
    throw unauthorized();
  }
  return allow(payload.sub, event.methodArn, payload.scope);
}
