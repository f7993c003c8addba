// The Auth0 sample's stack (auth0-samples/jwt-rsa-aws-custom-authorizer, lib.js): jwks-rsa with
// its cache and rate limit, the kid from jwt.decode, getSigningKey promisified per call, then
// jwt.verify against the PEM it returns. Kept as the sample writes it, because that per-request
// shape (decode twice, PEM parsed on every verify) is what deployments copied; only the policy
// is the shared stage-wide one and `algorithms` is pinned, as every deployment should.
import jwksClient from 'jwks-rsa';
import jwt from 'jsonwebtoken';
import util from 'node:util';
import { allow, settings, unauthorized } from './common.mjs';

const { issuer, audience, jwksUri, algorithms } = settings();

const client = jwksClient({
  cache: true,
  rateLimit: true,
  jwksRequestsPerMinute: 10,
  jwksUri,
});

const jwtOptions = { audience, issuer, algorithms };

function getToken(params) {
  if (!params.type || params.type !== 'TOKEN')
    throw new Error('Expected "event.type" parameter to have value "TOKEN"');
  const tokenString = params.authorizationToken;
  if (!tokenString) throw new Error('Expected "event.authorizationToken" parameter to be set');
  const match = tokenString.match(/^Bearer (.*)$/);
  if (!match || match.length < 2)
    throw new Error(`Invalid Authorization token - ${tokenString} does not match "Bearer .*"`);
  return match[1];
}

async function authenticate(params) {
  const token = getToken(params);
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || !decoded.header || !decoded.header.kid) throw new Error('invalid token');
  const getSigningKey = util.promisify(client.getSigningKey);
  const key = await getSigningKey(decoded.header.kid);
  const signingKey = key.publicKey || key.rsaPublicKey;
  const verified = jwt.verify(token, signingKey, jwtOptions);
  return allow(verified.sub, params.methodArn, verified.scope);
}

export async function handler(event) {
  try {
    return await authenticate(event);
  } catch {
    throw unauthorized();
  }
}
