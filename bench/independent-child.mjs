// One measuring process of `npm run bench:independent` (independent.mjs): its own floor and one
// stack (Tollgate's deployed bundle, or aws-jwt-verify as a user would call it), fed the same
// events in alternating blocks. Nothing here is shared with run.mjs/child.mjs: a second opinion.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';

// Lambda's runtime has its log stream open before it loads the handler.
void process.stdout;

const { stack, tokensFile, bundleUrl, block } = JSON.parse(process.env.INDEPENDENT_CHILD);
const { TOKEN_ISSUER: issuer, AUDIENCE: audience, JWKS_URI: jwksUri } = process.env;

function fetchJson(url) {
  return new Promise((resolve, reject) =>
    get(url, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    }).on('error', reject),
  );
}

const policy = (sub, methodArn) => {
  const [arn, stage] = methodArn.split('/');
  return {
    principalId: sub,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arn}/${stage}/*/*` },
      ],
    },
  };
};

/** The floor: decode, parse, one synchronous crypto.verify with a KeyObject made once, claims. */
async function floorHandler() {
  const keys = new Map();
  for (const jwk of (await fetchJson(jwksUri)).keys)
    keys.set(jwk.kid, { key: createPublicKey({ key: jwk, format: 'jwk' }), alg: jwk.alg });
  return async (event) => {
    const token = event.authorizationToken.slice(7);
    const [h, p, s] = token.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const k = keys.get(header.kid);
    if (k === undefined || k.alg !== header.alg) throw new Error('Unauthorized');
    const options = header.alg === 'ES256' ? { key: k.key, dsaEncoding: 'ieee-p1363' } : k.key;
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), options, Buffer.from(s, 'base64url'));
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (
      !ok ||
      payload.iss !== issuer ||
      !aud.includes(audience) ||
      payload.exp * 1000 <= Date.now()
    )
      throw new Error('Unauthorized');
    return policy(payload.sub, event.methodArn);
  };
}

/** aws-jwt-verify as its README shows it, with a node:http fetcher for the loopback JWKS. */
async function awsJwtVerifyHandler() {
  const { JwtVerifier } = await import('aws-jwt-verify');
  const { SimpleJwksCache } = await import('aws-jwt-verify/jwk');
  const fetcher = {
    fetch: (uri) =>
      fetchJson(uri).then((json) => {
        const bytes = Buffer.from(JSON.stringify(json));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      }),
  };
  const verifier = JwtVerifier.create(
    { issuer, audience, jwksUri },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
  await verifier.hydrate();
  return async (event) => {
    let payload;
    try {
      payload = await verifier.verify(event.authorizationToken.slice(7));
    } catch {
      throw new Error('Unauthorized');
    }
    return policy(payload.sub, event.methodArn);
  };
}

/** Times events[from, to) through one handler into `latencies`; every answer must allow its own sub. */
async function timeBlock(handler, events, subs, from, to, latencies) {
  const start = performance.now();
  let last = start;
  for (let i = from; i < to; i++) {
    const result = await handler(events[i]);
    const now = performance.now();
    latencies.push(now - last);
    last = now;
    if (result?.principalId !== subs[i] || result.policyDocument.Statement[0].Effect !== 'Allow')
      throw new Error(`${stack}: no Allow for ${subs[i]}`);
  }
  return last - start;
}

/** Floor and stack alternate block by block (AB, then BA), on the same events. */
async function measure(floor, subject, list, arn) {
  const events = list.map(({ token }) => ({
    type: 'TOKEN',
    authorizationToken: `Bearer ${token}`,
    methodArn: arn,
  }));
  const subs = list.map((t) => t.sub);
  const side = () => ({ ms: 0, latencies: [] });
  const sides = { floor: side(), stack: side() };
  for (let from = 0, k = 0; from < events.length; from += block, k++) {
    const to = Math.min(from + block, events.length);
    for (const name of k % 2 ? ['stack', 'floor'] : ['floor', 'stack'])
      sides[name].ms += await timeBlock(
        name === 'floor' ? floor : subject,
        events,
        subs,
        from,
        to,
        sides[name].latencies,
      );
  }
  return { n: events.length, ...sides };
}

const tokens = JSON.parse(readFileSync(tokensFile, 'utf8'));
const floor = await floorHandler();
const subject =
  stack === 'tollgate' ? (await import(bundleUrl)).handler : await awsJwtVerifyHandler();
const repeat = (n) => Array.from({ length: n }, () => tokens.repeated);
const phases = {
  rs256: [tokens.rs256.warm, tokens.rs256.measured],
  es256: [tokens.es256.warm, tokens.es256.measured],
  repeated: [repeat(tokens.rs256.warm.length), repeat(tokens.rs256.measured.length)],
};
for (const [warm] of Object.values(phases)) await measure(floor, subject, warm, tokens.methodArn);
const results = {};
for (const [name, [, measured]] of Object.entries(phases))
  results[name] = await measure(floor, subject, measured, tokens.methodArn);
process.send(results, () => process.exit(0));
