// `npm run bench:independent`: a second harness, written apart from run.mjs, for the warm Lambda
// path. It imports the deployed bundle (dist/authorizer/index.mjs, from `npm run bundle`) with the
// Auth0 sample's environment variables (TOKEN_ISSUER, JWKS_URI, AUDIENCE; plus ALGORITHMS for the
// ES256 phase) and Auth0-shaped access tokens, and measures it and aws-jwt-verify against a floor
// of its own, each paired in its own process, stdout a pipe this process drains (as Lambda's).
// Prints ratios to the floor; timings are not tests (exit 1 only on a wrong answer).
import { fork } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { drainedPipe } from './drained-pipe.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(HERE, '..', 'dist', 'authorizer', 'index.mjs');
const number = (name, fallback) => Number(process.env[name] || fallback);
const TOKENS = number('INDEPENDENT_TOKENS', 8000);
const WARMUP = number('INDEPENDENT_WARMUP', 2000);
const ROUNDS = number('INDEPENDENT_ROUNDS', 2);
const BLOCK = number('INDEPENDENT_BLOCK', 200);
const ISSUER = 'https://dev-tollgate.us.auth0.com/';
const AUDIENCE = 'https://api.tollgate.example';
const ARN = 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets';

if (!existsSync(BUNDLE))
  throw new Error('dist/authorizer/index.mjs is missing: run npm run bundle');

/** An Auth0-shaped access token: RS256 (or ES256), kid, aud [API, userinfo], azp, scope. */
function mint(key, alg, kid, sub) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg, typ: 'JWT', kid })}.${b64({
    iss: ISSUER,
    sub,
    aud: [AUDIENCE, `${ISSUER}userinfo`],
    iat: now,
    exp: now + 3600,
    azp: 'Xq7mfV2kQp0YbqBd5oE3',
    scope: 'openid profile read:pets',
    jti: randomUUID(),
  })}`;
  const options = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
  return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
}

function tokenSet(key, alg, kid, prefix) {
  const list = (n, tag) =>
    Array.from({ length: n }, (_, i) => {
      const sub = `auth0|${prefix}${tag}${i}`;
      return { sub, token: mint(key, alg, kid, sub) };
    });
  return { warm: list(WARMUP, 'w'), measured: list(TOKENS, 'm') };
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks = JSON.stringify({
  keys: [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ],
});
const server = createServer((_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const jwksUri = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;

const dir = mkdtempSync(join(tmpdir(), 'tollgate-independent-'));
const tokensFile = join(dir, 'tokens.json');
const repeatedSub = 'auth0|repeated';
writeFileSync(
  tokensFile,
  JSON.stringify({
    methodArn: ARN,
    rs256: tokenSet(rsa.privateKey, 'RS256', 'rsa-1', 'r'),
    es256: tokenSet(ec.privateKey, 'ES256', 'ec-1', 'e'),
    repeated: { sub: repeatedSub, token: mint(rsa.privateKey, 'RS256', 'rsa-1', repeatedSub) },
  }),
);

/** One measuring process; its stdout a FIFO drained here. */
async function child(stack) {
  const pipe = drainedPipe();
  const proc = fork(join(HERE, 'independent-child.mjs'), {
    stdio: ['ignore', pipe.fd, 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH,
      TOKEN_ISSUER: ISSUER,
      JWKS_URI: jwksUri,
      AUDIENCE,
      ALGORITHMS: 'RS256,ES256',
      INDEPENDENT_CHILD: JSON.stringify({
        stack,
        tokensFile,
        bundleUrl: pathToFileURL(BUNDLE).href,
        block: BLOCK,
      }),
    },
  });
  pipe.childStarted();
  let results;
  proc.on('message', (m) => (results = m));
  const code = await new Promise((resolve) => proc.on('exit', resolve));
  const bytes = await pipe.close();
  if (code !== 0 || results === undefined) throw new Error(`${stack}: the child failed (${code})`);
  return { results, bytes };
}

const p99 = (values) => values.sort((a, b) => a - b)[Math.floor(values.length * 0.99)];

const started = loadavg();
const stacks = ['tollgate', 'aws-jwt-verify'];
const pooled = Object.fromEntries(stacks.map((s) => [s, []]));
let logBytes = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const stack of round % 2 ? [...stacks].reverse() : stacks) {
    process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${stack}\n`);
    const { results, bytes } = await child(stack);
    pooled[stack].push(results);
    logBytes += bytes;
  }
}
server.close();
rmSync(dir, { recursive: true, force: true });

/** Pooled over rounds: floor time over stack time (same events), and p99 over the floor's p99. */
function ratios(runs, phase) {
  const sum = (side) => runs.reduce((n, r) => n + r[phase][side].ms, 0);
  const lat = (side) => runs.flatMap((r) => r[phase][side].latencies);
  const events = runs.reduce((n, r) => n + r[phase].n, 0);
  return {
    ratio: sum('floor') / sum('stack'),
    opsPerSecond: (events / sum('stack')) * 1000,
    p99: p99(lat('stack')) / p99(lat('floor')),
  };
}

const fmt = (n, digits = 2) => n.toFixed(digits);
const ended = loadavg();
console.log(
  `\nIndependent bench (bench/independent.mjs), ${new Date().toISOString()}, Node ${process.version}; ` +
    `load average ${started.map((l) => fmt(l)).join(' / ')} at the start, ${ended.map((l) => fmt(l)).join(' / ')} at the end.`,
);
console.log(
  `${TOKENS} tokens per phase (+${WARMUP} warm-up), blocks of ${BLOCK}, ${ROUNDS} process(es) per stack; ${Math.round(logBytes / 1024)} KB of log lines drained.\n`,
);
console.log(
  '| Stack | RS256 distinct × floor | p99 × floor | ES256 distinct × floor | Repeated × floor |',
);
console.log('|---|---:|---:|---:|---:|');
for (const stack of stacks) {
  const [rs, es, rep] = ['rs256', 'es256', 'repeated'].map((p) => ratios(pooled[stack], p));
  console.log(
    `| ${stack === 'tollgate' ? 'Tollgate (dist/authorizer/index.mjs)' : stack} | ${fmt(rs.ratio)} | ${fmt(rs.p99)} | ${fmt(es.ratio)} | ${fmt(rep.ratio)} |`,
  );
}
