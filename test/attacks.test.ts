// The classic JWT attacks, each against the real runtime (JWKS over HTTP, fixed clock), each
// asserting the exact reason code. The last test checks every reason code the verifier can
// produce was produced here.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  X509Certificate,
  constants,
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { type Decision, type ReasonCode } from '../src/core/reasons.js';
import { REASONS } from '../src/core/reason-messages.js';
import { ALGORITHMS } from '../src/core/algorithms.js';
import { Verifier } from '../src/core/verifier.js';
import { AUDIENCE, ISSUER, NOW_MS, NOW_S, claims, generateKey, sign } from './support/keys.js';
import { startJwksServer } from './support/jwks-server.js';
import { clock, testRuntime, type TestRuntime } from './support/verifier.js';
import { b64u, forge, rawSign } from './support/forge.js';
import { ATTACKER_CERT_B64, attackerPrivateKey } from './support/attacker-x5c.js';

// Keys, generated once for the file.
const RS = generateKey('RS256', 'rs-main');
const PS = generateKey('PS256', 'ps-main');
const ES = generateKey('ES256', 'es-main');
const ED = generateKey('EdDSA', 'ed-main');
const WEAK = generateKey('RS256', 'weak-1024', { modulusLength: 1024 });
const P384 = generateKey('ES384', 'p384-unpinned');
const ROGUE_RSA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ATTACKER_ES = attackerPrivateKey();
const ATTACKER_JWK = {
  ...createPublicKey(ATTACKER_ES).export({ format: 'jwk' }),
  kid: 'attacker',
  alg: 'ES256',
  use: 'sig',
};

/** The issuer's JWKS: the good keys plus keys that must never verify anything. */
const JWKS: Record<string, unknown>[] = [
  RS.jwk,
  PS.jwk,
  ES.jwk,
  ED.jwk,
  WEAK.jwk, // 1024-bit RSA: refused at import
  { ...P384.jwk, alg: undefined }, // P-384, not pinned: usable for ES384 only
  { ...RS.jwk, kid: 'rs-as-enc', use: 'enc', alg: undefined }, // the RS key material again, as an encryption key
  { ...RS.jwk, kid: 'rs-encrypt-ops', use: undefined, key_ops: ['encrypt'] }, // and with key_ops that exclude verify
  { kty: 'RSA', kid: 'e-one', alg: 'RS256', use: 'sig', n: RS.jwk.n, e: 'AQ' }, // public exponent 1
];
const server = await startJwksServer(JWKS);
after(() => server.close());

/** Codes produced by the verifier in this file, for the coverage test at the end. */
const produced = new Set<ReasonCode | 'allow'>();

function outcome(d: Decision): ReasonCode | 'allow' {
  const code = d.kind === 'allow' ? 'allow' : d.reason.code;
  produced.add(code);
  return code;
}

async function check(
  rt: TestRuntime,
  token: string,
  expected: ReasonCode | 'allow',
  label: string,
): Promise<void> {
  assert.equal(outcome(await rt.verifier.verify(token)), expected, label);
}

const rt = (env: Record<string, string> = {}, c = clock()): TestRuntime =>
  testRuntime(server.url, env, c);

test('a valid token for each key type is allowed (baseline)', async () => {
  const all = rt({ ALGORITHMS: 'RS256,PS256,ES256,EdDSA,ES384' });
  for (const key of [RS, PS, ES, ED]) await check(all, await sign(key), 'allow', key.alg);
  await check(all, await sign(P384), 'allow', 'the unpinned P-384 key verifies ES384');
});

test('alg none, in any letter case, with and without a signature: ALG_NOT_ALLOWED', async () => {
  const valid = await sign(RS);
  const [, , sig] = valid.split('.');
  for (const env of [{ ALGORITHMS: 'RS256' }, { ALGORITHMS: ALGORITHMS.join(',') }]) {
    const r = rt(env);
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      for (const header of [{ alg }, { alg, typ: 'JWT' }, { alg, kid: RS.kid }]) {
        for (const signature of ['', sig!, 'AAAA', b64u('x')]) {
          await check(
            r,
            `${b64u(header)}.${b64u(claims())}.${signature}`,
            'ALG_NOT_ALLOWED',
            `${JSON.stringify(header)} sig=${signature.slice(0, 8)}`,
          );
        }
      }
    }
  }
  // And it cannot be configured in.
  for (const alg of ['none', 'NONE'])
    assert.throws(() => rt({ ALGORITHMS: `RS256,${alg}` }), /unsigned tokens are never accepted/);
});

test('HS256 signed with the RSA public key as the HMAC secret, in every encoding: ALG_NOT_ALLOWED', async () => {
  const pub = RS.publicKey;
  const secrets: Record<string, string | Buffer> = {
    'PEM SPKI': pub.export({ type: 'spki', format: 'pem' }),
    'PEM PKCS1': pub.export({ type: 'pkcs1', format: 'pem' }),
    'PEM SPKI without trailing newline': (
      pub.export({ type: 'spki', format: 'pem' }) as string
    ).trimEnd(),
    'DER SPKI': pub.export({ type: 'spki', format: 'der' }),
    'DER PKCS1': pub.export({ type: 'pkcs1', format: 'der' }),
    'JWK JSON text (as served)': JSON.stringify(RS.jwk),
    'JWK JSON text (n and e only)': JSON.stringify({ kty: 'RSA', n: RS.jwk.n, e: RS.jwk.e }),
    'the n value': RS.jwk.n as string,
    'the n bytes': Buffer.from(RS.jwk.n as string, 'base64url'),
  };
  for (const env of [{ ALGORITHMS: 'RS256' }, { ALGORITHMS: 'RS256,ES256' }]) {
    const r = rt(env);
    for (const [name, secret] of Object.entries(secrets)) {
      for (const [alg, hash] of [
        ['HS256', 'sha256'],
        ['HS384', 'sha384'],
        ['HS512', 'sha512'],
        ['hs256', 'sha256'],
      ] as const) {
        for (const header of [{ alg, kid: RS.kid, typ: 'JWT' }, { alg }]) {
          const input = `${b64u(header)}.${b64u(claims())}`;
          const mac = createHmac(hash, secret).update(input).digest('base64url');
          await check(
            r,
            `${input}.${mac}`,
            'ALG_NOT_ALLOWED',
            `${env.ALGORITHMS}: ${alg} with ${name}, header ${JSON.stringify(header)}`,
          );
        }
      }
    }
  }
  // The ES256 public key as a secret, for the EC configuration too.
  const es = rt({ ALGORITHMS: 'ES256' });
  const input = `${b64u({ alg: 'HS256', kid: ES.kid })}.${b64u(claims())}`;
  await check(
    es,
    `${input}.${createHmac('sha256', ES.publicKey.export({ type: 'spki', format: 'pem' }))
      .update(input)
      .digest('base64url')}`,
    'ALG_NOT_ALLOWED',
    'ES key as HMAC secret',
  );
  // HMAC cannot be configured at all.
  assert.throws(() => rt({ ALGORITHMS: 'RS256,HS256' }), /HMAC cannot be used/);
});

test('ES256 signatures that are not a valid 64-byte r||s: SIGNATURE_INVALID', async () => {
  const r = rt({ ALGORITHMS: 'ES256' });
  const input = `${b64u({ alg: 'ES256', kid: ES.kid, typ: 'JWT' })}.${b64u(claims())}`;
  const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
  const zero = Buffer.alloc(32);
  const one = Buffer.concat([Buffer.alloc(31), Buffer.from([1])]);
  const good = rawSign('ES256', ES.privateKey, input);
  const highS = Buffer.from(n);
  // n - s: the other valid s for the same r (ECDSA malleability); a JWS verifier accepts it, like jose.
  let borrow = 0;
  for (let i = 31; i >= 0; i--) {
    const v = n[i]! - good[32 + i]! - borrow;
    highS[i] = (v + 256) & 0xff;
    borrow = v < 0 ? 1 : 0;
  }
  const bad: Record<string, Buffer> = {
    'DER-encoded signature': rawSign('ES256', ES.privateKey, input, { dsaEncoding: 'der' }),
    'all-zero 64 bytes (r = s = 0, CVE-2022-21449)': Buffer.alloc(64),
    'r = n, s = 0': Buffer.concat([n, zero]),
    'r = 0, s = n': Buffer.concat([zero, n]),
    'r = n, s = n': Buffer.concat([n, n]),
    'r = 1, s = 1': Buffer.concat([one, one]),
    'r = n + valid r (unreduced)': Buffer.concat([n, good.subarray(32)]),
    'valid r, s = 0': Buffer.concat([good.subarray(0, 32), zero]),
    'valid r, s = n': Buffer.concat([good.subarray(0, 32), n]),
    'valid signature with a zero byte appended': Buffer.concat([good, Buffer.alloc(1)]),
    'valid signature without its last byte': good.subarray(0, 63),
    'a P-521-sized signature': Buffer.concat([good, Buffer.alloc(68)]),
  };
  for (const [name, sig] of Object.entries(bad))
    await check(r, `${input}.${sig.toString('base64url')}`, 'SIGNATURE_INVALID', name);
  await check(r, `${input}.${good.toString('base64url')}`, 'allow', 'the P1363 signature itself');
  await check(
    r,
    `${input}.${Buffer.concat([good.subarray(0, 32), highS]).toString('base64url')}`,
    'allow',
    'the malleated (r, n - s) signature, as jose does',
  );
});

test('PS256 with a salt length other than 32: SIGNATURE_INVALID; salt 32 verifies', async () => {
  const r = rt({ ALGORITHMS: 'PS256' });
  const input = `${b64u({ alg: 'PS256', kid: PS.kid, typ: 'JWT' })}.${b64u(claims())}`;
  const salts: Record<string, number> = {
    0: 0,
    20: 20,
    31: 31,
    33: 33,
    64: 64,
    max: constants.RSA_PSS_SALTLEN_MAX_SIGN,
  };
  for (const [name, saltLength] of Object.entries(salts)) {
    await check(
      r,
      `${input}.${rawSign('PS256', PS.privateKey, input, { saltLength }).toString('base64url')}`,
      'SIGNATURE_INVALID',
      `salt ${name}`,
    );
  }
  await check(
    r,
    `${input}.${rawSign('PS256', PS.privateKey, input, { saltLength: 32 }).toString('base64url')}`,
    'allow',
    'salt 32',
  );
  // PKCS#1 v1.5 under a PS256 header, with the same key: a different scheme, refused.
  await check(
    r,
    `${input}.${rawSign('RS256', PS.privateKey, input).toString('base64url')}`,
    'SIGNATURE_INVALID',
    'PKCS1 v1.5 signature',
  );
});

test('a signature by another key under the right kid, and a tampered payload: SIGNATURE_INVALID', async () => {
  const r = rt();
  await check(
    r,
    forge(
      { alg: 'RS256', privateKey: ROGUE_RSA.privateKey },
      { alg: 'RS256', kid: RS.kid },
      claims(),
    ),
    'SIGNATURE_INVALID',
    'rogue key, right kid',
  );
  await check(
    r,
    forge({ alg: 'RS256', privateKey: ROGUE_RSA.privateKey }, { alg: 'RS256' }, claims()),
    'SIGNATURE_INVALID',
    'rogue key, no kid',
  );
  const [h, , s] = (await sign(RS)).split('.');
  await check(
    r,
    `${h}.${b64u(claims({ sub: 'admin' }))}.${s}`,
    'SIGNATURE_INVALID',
    'sub tampered',
  );
  await check(
    r,
    `${h}.${b64u(claims({ exp: NOW_S + 10 * 365 * 86400 }))}.${s}`,
    'SIGNATURE_INVALID',
    'exp tampered',
  );
  await check(
    r,
    `${h}.${b64u(claims({ scope: 'read:pets admin' }))}.${s}`,
    'SIGNATURE_INVALID',
    'scope tampered',
  );
});

test('keys named by the token (jwk, jku, x5u, x5c) are never used or fetched', async () => {
  const attacker = await startJwksServer([ATTACKER_JWK]);
  let attackerOther = 0;
  attacker.route('/cert.pem', (_req, res) => {
    attackerOther++;
    res.writeHead(200).end();
  });
  try {
    // The x5c certificate is genuine: it carries exactly the attacker's signing key.
    const cert = new X509Certificate(Buffer.from(ATTACKER_CERT_B64, 'base64'));
    assert.equal(cert.publicKey.export({ format: 'jwk' }).x, ATTACKER_JWK.x);

    const r = rt({ ALGORITHMS: 'RS256,ES256' });
    const legitHitsBefore = server.hits();
    const signer = { alg: 'ES256' as const, privateKey: ATTACKER_ES };
    const injected: Record<string, Record<string, unknown>> = {
      jwk: { jwk: { ...ATTACKER_JWK, kid: undefined, use: undefined } },
      jku: { jku: attacker.url },
      x5u: { x5u: `${attacker.origin}/cert.pem` },
      x5c: { x5c: [ATTACKER_CERT_B64] },
      all: {
        jwk: ATTACKER_JWK,
        jku: attacker.url,
        x5u: `${attacker.origin}/cert.pem`,
        x5c: [ATTACKER_CERT_B64],
      },
    };
    for (const [name, extra] of Object.entries(injected)) {
      await check(
        r,
        forge(signer, { alg: 'ES256', kid: 'attacker', ...extra }, claims()),
        'KEY_NOT_FOUND',
        `${name} with the attacker's kid`,
      );
      await check(
        r,
        forge(signer, { alg: 'ES256', kid: ES.kid, ...extra }, claims()),
        'SIGNATURE_INVALID',
        `${name} with the issuer's kid`,
      );
      await check(
        r,
        forge(signer, { alg: 'ES256', ...extra }, claims()),
        'SIGNATURE_INVALID',
        `${name} without a kid`,
      );
      await check(
        r,
        forge(signer, { alg: 'ES256', kid: `${attacker.url}#attacker`, ...extra }, claims()),
        'KEY_NOT_FOUND',
        `${name} with a URL as kid`,
      );
    }
    assert.equal(attacker.hits(), 0, "the attacker's JWKS was fetched");
    assert.equal(attackerOther, 0, "the attacker's x5u was fetched");
    // Every fetch Tollgate made went to the issuer's own JWKS URL.
    assert.ok(server.hits() > legitHitsBefore, "the issuer's JWKS was fetched");
    const fetched = r.logs
      .filter((l) => l.event === 'jwks_fetched' || l.event === 'jwks_fetch_failed')
      .map((l) => l.jwksUri);
    assert.ok(fetched.length > 0);
    assert.deepEqual([...new Set(fetched)], [server.url]);
    assert.ok(
      !JSON.stringify(r.logs).includes(attacker.origin),
      "the attacker's origin appears in the logs",
    );
  } finally {
    await attacker.close();
  }
});

test('kid values that look like lookups elsewhere: KEY_NOT_FOUND', async () => {
  const r = rt();
  for (const kid of [
    '__proto__',
    'constructor',
    'hasOwnProperty',
    '../../../../etc/passwd',
    "' OR '1'='1",
    '',
    ' rs-main',
    'RS-MAIN',
    'rs-main\u0000',
  ]) {
    await check(
      r,
      forge(RS, { alg: 'RS256', kid }, claims()),
      'KEY_NOT_FOUND',
      `kid ${JSON.stringify(kid)}`,
    );
  }
});

test('crit in the header, whatever it lists: HEADER_UNSUPPORTED', async () => {
  const r = rt();
  const crits: Record<string, unknown>[] = [
    { crit: ['b64'], b64: true },
    { crit: ['b64'], b64: false },
    { crit: ['exp'], exp: NOW_S + 60 },
    { crit: ['http://example.invalid/unknown'] },
    { crit: [] },
    { crit: 'b64', b64: true },
    { crit: null },
  ];
  for (const extra of crits)
    await check(
      r,
      forge(RS, { alg: 'RS256', kid: RS.kid, ...extra }, claims()),
      'HEADER_UNSUPPORTED',
      JSON.stringify(extra),
    );
});

test('repeated member names in the header or payload, at any depth: TOKEN_MALFORMED (RFC 7515 section 5.2)', async () => {
  const r = rt();
  const header = `{"alg":"RS256","kid":"${RS.kid}"}`;
  const payload = JSON.stringify(claims());
  const raw = (h: string, p: string): string => forge(RS, { raw: b64u(h) }, { raw: b64u(p) });
  await check(r, raw(header, payload), 'allow', 'the same token without repeats');
  await check(
    r,
    raw(`{"alg":"none","kid":"${RS.kid}","alg":"RS256"}`, payload),
    'TOKEN_MALFORMED',
    'two alg, the last RS256',
  );
  await check(
    r,
    raw(`{"kid":"other","alg":"RS256" , "kid" :"${RS.kid}"}`, payload),
    'TOKEN_MALFORMED',
    'two kid, spaced',
  );
  await check(
    r,
    raw(header, payload.replace(/^\{/, '{"iss":"https://evil.example",')),
    'TOKEN_MALFORMED',
    'two iss',
  );
  await check(
    r,
    raw(header, `${payload.slice(0, -1)},"sub":"admin"}`),
    'TOKEN_MALFORMED',
    'a later sub',
  );
  await check(
    r,
    raw(header, `${payload.slice(0, -1)},"org":{"role":"user","role":"admin"}}`),
    'TOKEN_MALFORMED',
    'repeated inside a nested claim',
  );
  await check(
    r,
    raw(header, `${payload.slice(0, -1)},"list":[{"a":1,"a":2}]}`),
    'TOKEN_MALFORMED',
    'repeated inside an object in a list',
  );
  await check(
    r,
    raw(header, `${payload.slice(0, -1)},"ab":1,${String.raw`"\u0061b"`}:2}`),
    'TOKEN_MALFORMED',
    'the same name, once escaped',
  );
  // Names that look alike, escapes and quotes inside strings are not repeats.
  const tricky = `${payload.slice(0, -1)}${String.raw`,"a\\":"\\\":","a":"\":x","b":{"a":[1,{"c":"a"}]},"\u0062b":1,"ab\"":{}}`}`;
  assert.doesNotThrow(() => JSON.parse(tricky));
  await check(
    r,
    raw(header, tricky),
    'allow',
    'escaped quotes and backslashes, nested same names at other depths',
  );
});

test('JWE-only header parameters (enc, zip) in a JWS: TOKEN_MALFORMED', async () => {
  const r = rt();
  for (const extra of [{ enc: 'A256GCM' }, { zip: 'DEF' }, { enc: null }]) {
    await check(
      r,
      forge(RS, { alg: 'RS256', kid: RS.kid, ...extra }, claims()),
      'TOKEN_MALFORMED',
      JSON.stringify(extra),
    );
  }
});

test('wrong issuer, including the trailing-slash variant: ISSUER_MISMATCH', async () => {
  const r = rt();
  assert.ok(ISSUER.endsWith('/'));
  for (const iss of [
    ISSUER.slice(0, -1),
    `${ISSUER}/`,
    'https://evil.example.com/',
    ISSUER.toUpperCase(),
    ISSUER.replace('https:', 'http:'),
    `${ISSUER} `,
    undefined,
  ]) {
    await check(
      r,
      await sign(RS, claims({ iss })),
      'ISSUER_MISMATCH',
      `iss ${JSON.stringify(iss)}`,
    );
  }
  await check(
    r,
    await sign(RS, claims({ iss: 42 as unknown as string })),
    'CLAIM_INVALID',
    'iss is a number',
  );
});

test('audience mismatch: AUDIENCE_MISMATCH', async () => {
  const r = rt();
  for (const aud of [
    'https://other.example',
    `${AUDIENCE}/`,
    AUDIENCE.toUpperCase(),
    ['https://other.example'],
    [],
    undefined,
  ]) {
    await check(
      r,
      await sign(RS, claims({ aud })),
      'AUDIENCE_MISMATCH',
      `aud ${JSON.stringify(aud)}`,
    );
  }
  await check(
    r,
    await sign(RS, claims({ aud: ['https://other.example', AUDIENCE] })),
    'allow',
    'aud array containing the audience',
  );
  await check(
    r,
    await sign(RS, claims({ aud: [AUDIENCE, 1] as unknown as string[] })),
    'CLAIM_INVALID',
    'aud array with a number',
  );
});

test('exp, nbf and iat at the edges of the clock tolerance', async () => {
  for (const tolerance of [0, 30]) {
    const r = rt({ CLOCK_TOLERANCE: String(tolerance) });
    const t = tolerance;
    const cases: [Record<string, unknown>, ReasonCode | 'allow'][] = [
      [{ exp: NOW_S - t }, 'TOKEN_EXPIRED'],
      [{ exp: NOW_S - t - 1 }, 'TOKEN_EXPIRED'],
      [{ exp: NOW_S - t + 1 }, 'allow'],
      [{ nbf: NOW_S + t }, 'allow'],
      [{ nbf: NOW_S + t + 1 }, 'TOKEN_NOT_YET_VALID'],
      [{ iat: NOW_S + t }, 'allow'],
      [{ iat: NOW_S + t + 1 }, 'TOKEN_ISSUED_IN_FUTURE'],
      [{ exp: undefined }, 'CLAIM_INVALID'],
      [{ exp: String(NOW_S + 60) }, 'CLAIM_INVALID'],
      [{ nbf: 'now' }, 'CLAIM_INVALID'],
      [{ sub: '' }, 'CLAIM_INVALID'],
    ];
    for (const [overrides, expected] of cases)
      await check(
        r,
        await sign(RS, claims(overrides)),
        expected,
        `tolerance ${t}: ${JSON.stringify(overrides)}`,
      );
  }
});

test('a token verified once still expires on time (the token cache does not skip the clock)', async () => {
  const c = clock();
  const r = rt({ CLOCK_TOLERANCE: '0' }, c);
  const token = await sign(RS, claims({ exp: NOW_S + 120 }));
  await check(r, token, 'allow', 'first use');
  c.set(NOW_MS + 119_000);
  await check(r, token, 'allow', 'one second before exp, from the cache');
  c.set(NOW_MS + 120_000);
  await check(r, token, 'TOKEN_EXPIRED', 'at exp');
});

test('a JWE (five segments) is refused: TOKEN_IS_JWE', async () => {
  const r = rt();
  const protectedHeader = b64u({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: RS.kid });
  const jwe = [
    protectedHeader,
    b64u(Buffer.alloc(256, 1)),
    b64u(Buffer.alloc(12, 2)),
    b64u('ciphertext'),
    b64u(Buffer.alloc(16, 3)),
  ].join('.');
  await check(r, jwe, 'TOKEN_IS_JWE', 'compact JWE');
  await check(r, `${protectedHeader}....`, 'TOKEN_IS_JWE', 'JWE shape with empty segments');
});

test('oversized tokens are refused before parsing: TOKEN_TOO_LARGE', async () => {
  const r = rt();
  const big = await sign(RS, claims({ padding: 'x'.repeat(12000) }));
  assert.ok(big.length > 10240);
  await check(r, big, 'TOKEN_TOO_LARGE', 'valid signature, 12 KB claim');
  await check(r, 'a'.repeat(1 << 20), 'TOKEN_TOO_LARGE', '1 MB of junk');
  const small = rt({ TOKEN_MAX_LENGTH: '256' });
  await check(small, await sign(RS), 'TOKEN_TOO_LARGE', 'TOKEN_MAX_LENGTH=256');
});

test('a 1024-bit RSA key in the JWKS is never used', async () => {
  const r = rt();
  // jose refuses to sign with a 1024-bit key, so node:crypto signs these.
  const weakToken = forge(WEAK, { alg: 'RS256', kid: WEAK.kid, typ: 'JWT' }, claims());
  await check(r, weakToken, 'KEY_NOT_FOUND', 'signed by the 1024-bit key under its kid');
  await check(
    r,
    forge(WEAK, { alg: 'RS256' }, claims()),
    'SIGNATURE_INVALID',
    'signed by the 1024-bit key, no kid',
  );
  const only = await startJwksServer([WEAK.jwk]);
  try {
    await check(
      testRuntime(only.url),
      weakToken,
      'JWKS_INVALID',
      'a JWKS holding only the 1024-bit key',
    );
  } finally {
    await only.close();
  }
});

test('an RSA key with public exponent 1 in the JWKS is never used (anyone could forge for it)', async () => {
  const r = rt();
  // With e = 1, s^e mod n = s: the EMSA-PKCS1-v1_5 encoding of the digest is itself a "valid"
  // signature, computed without any private key.
  const input = `${b64u({ alg: 'RS256', kid: 'e-one', typ: 'JWT' })}.${b64u(claims({ sub: 'admin' }))}`;
  const digestInfo = Buffer.concat([
    Buffer.from('3031300d060960864801650304020105000420', 'hex'),
    createHash('sha256').update(input).digest(),
  ]);
  const k = Buffer.from(RS.jwk.n as string, 'base64url').length;
  const forged = Buffer.concat([
    Buffer.from([0, 1]),
    Buffer.alloc(k - 3 - digestInfo.length, 0xff),
    Buffer.from([0]),
    digestInfo,
  ]);
  await check(
    r,
    `${input}.${forged.toString('base64url')}`,
    'KEY_NOT_FOUND',
    'forged under the e = 1 key',
  );
});

test('a JWK pinned to RS256 is refused for a PS256 token, and an RS256 token under a PS256 key', async () => {
  const r = rt({ ALGORITHMS: 'RS256,PS256' });
  await check(
    r,
    forge({ alg: 'PS256', privateKey: RS.privateKey }, { alg: 'PS256', kid: RS.kid }, claims()),
    'KEY_NOT_FOUND',
    'PS256 under the RS256 key',
  );
  await check(
    r,
    forge({ alg: 'RS256', privateKey: PS.privateKey }, { alg: 'RS256', kid: PS.kid }, claims()),
    'KEY_NOT_FOUND',
    'RS256 under the PS256 key',
  );
});

test('an EC P-384 key is refused for ES256, and the EdDSA key for ES256', async () => {
  const r = rt({ ALGORITHMS: 'ES256,ES384,EdDSA' });
  await check(
    r,
    forge({ alg: 'ES256', privateKey: P384.privateKey }, { alg: 'ES256', kid: P384.kid }, claims()),
    'KEY_NOT_FOUND',
    'ES256 under the P-384 key',
  );
  await check(
    r,
    forge({ alg: 'ES384', privateKey: ES.privateKey }, { alg: 'ES384', kid: ES.kid }, claims()),
    'KEY_NOT_FOUND',
    'ES384 under the P-256 key',
  );
  await check(
    r,
    forge(ED, { alg: 'ES256', kid: ED.kid }, claims()),
    'KEY_NOT_FOUND',
    'ES256 under the Ed25519 key',
  );
});

test('keys with use "enc" or key_ops without "verify" are ignored', async () => {
  const r = rt();
  await check(
    r,
    forge(RS, { alg: 'RS256', kid: 'rs-as-enc' }, claims()),
    'KEY_NOT_FOUND',
    'use enc',
  );
  await check(
    r,
    forge(RS, { alg: 'RS256', kid: 'rs-encrypt-ops' }, claims()),
    'KEY_NOT_FOUND',
    'key_ops encrypt',
  );
});

test('missing, malformed and insufficiently scoped tokens', async () => {
  const r = rt();
  await check(r, '', 'TOKEN_MISSING', 'empty');
  for (const junk of [
    'abc',
    'a.b',
    'a.b.c',
    '...',
    `${b64u({ alg: 'RS256' })}.${b64u('[]')}.AAAA`,
    `${b64u({ alg: 'RS256', kid: 7 })}.${b64u(claims())}.AAAA`,
  ]) {
    await check(r, junk, 'TOKEN_MALFORMED', JSON.stringify(junk));
  }
  // Validly signed, but not strict compact JWS: padding, whitespace, non-canonical base64url, bad UTF-8.
  const valid = await sign(RS);
  const [h, p, sig] = valid.split('.') as [string, string, string];
  const lastBitsSet =
    sig.slice(0, -1) +
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(sig.slice(-1)) |
        0x0f
    ];
  assert.equal(sig.length % 4, 2, 'a 256-byte signature leaves 4 unused bits');
  const payloadSeg = [b64u(claims({ pad: 'x' })), b64u(claims({ pad: 'xx' }))].find(
    (seg) => seg.length % 4 !== 0,
  )!;
  const malformed: Record<string, string> = {
    'padded signature': `${valid}==`,
    'space in the signature': `${h}.${p}.${sig.slice(0, 10)} ${sig.slice(10)}`,
    'standard base64 alphabet': `${h}.${p}.${Buffer.from(sig, 'base64url').toString('base64').replace(/=+$/, '')}`,
    'non-canonical last character': `${h}.${p}.${lastBitsSet}`,
    'payload segment padded, re-signed': forge(
      RS,
      { alg: 'RS256', kid: RS.kid },
      { raw: `${payloadSeg}${'='.repeat(4 - (payloadSeg.length % 4))}` },
    ),
    'invalid UTF-8 in sub, re-signed': forge(
      RS,
      { alg: 'RS256', kid: RS.kid },
      Buffer.concat([
        Buffer.from('{"sub":"user-'),
        Buffer.from([0xff]),
        Buffer.from(`","iss":"${ISSUER}","aud":"${AUDIENCE}","exp":${NOW_S + 60}}`),
      ]),
    ),
    'UTF-8 BOM before the payload, re-signed': forge(
      RS,
      { alg: 'RS256', kid: RS.kid },
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claims()))]),
    ),
  };
  assert.notEqual(lastBitsSet, sig);
  for (const [name, token] of Object.entries(malformed))
    await check(r, token, 'TOKEN_MALFORMED', name);
  await check(r, valid, 'allow', 'the same token, well formed');

  const scoped = rt({ REQUIRED_SCOPES: 'write:pets' });
  const d = await scoped.verifier.verify(await sign(RS));
  assert.equal(d.kind, 'deny');
  assert.equal(outcome(d), 'SCOPE_INSUFFICIENT');
});

test('JWKS_URI at a closed port: JWKS_UNAVAILABLE', async () => {
  // Bind a port, then close it: nothing listens there afterwards.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const r = testRuntime(`http://127.0.0.1:${port}/.well-known/jwks.json`);
  const d = await r.verifier.verify(await sign(RS));
  assert.equal(d.kind, 'failure');
  assert.equal(outcome(d), 'JWKS_UNAVAILABLE');
});

test('JWKS_URI answering HTML: JWKS_INVALID', async () => {
  const html = await startJwksServer();
  html.setMode({
    kind: 'body',
    body: '<!doctype html><html><body>Sign in</body></html>',
    contentType: 'text/html',
  });
  try {
    const d = await testRuntime(html.url).verifier.verify(await sign(RS));
    assert.equal(d.kind, 'failure');
    assert.equal(outcome(d), 'JWKS_INVALID');
  } finally {
    await html.close();
  }
});

test('OpenID discovery naming another issuer: DISCOVERY_FAILED; the right issuer works', async () => {
  const idp = await startJwksServer([RS.jwk]);
  const issuer = `${idp.origin}/`;
  let named = 'https://evil.example.com/';
  idp.route('/.well-known/openid-configuration', (_req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ issuer: named, jwks_uri: idp.url }));
  });
  try {
    const token = await sign(RS, claims({ iss: issuer }));
    const wrong = await testRuntime('', { TOKEN_ISSUER: issuer, JWKS_URI: '' }).verifier.verify(
      token,
    );
    assert.equal(wrong.kind, 'failure');
    assert.equal(outcome(wrong), 'DISCOVERY_FAILED');
    assert.equal(idp.hits(), 0, 'keys were fetched although discovery failed');
    named = issuer.slice(0, -1);
    assert.equal(
      outcome(await testRuntime('', { TOKEN_ISSUER: issuer, JWKS_URI: '' }).verifier.verify(token)),
      'DISCOVERY_FAILED',
      'trailing-slash variant of the issuer in the document',
    );
    named = issuer;
    assert.equal(
      outcome(await testRuntime('', { TOKEN_ISSUER: issuer, JWKS_URI: '' }).verifier.verify(token)),
      'allow',
    );
  } finally {
    await idp.close();
  }
});

test('an unexpected error inside the verifier is a failure, never an allow: INTERNAL_ERROR', async () => {
  const verifier = new Verifier({
    issuer: ISSUER,
    audiences: [AUDIENCE],
    algorithms: ['RS256'],
    clockTolerance: 0,
    requiredScopes: [],
    scopeMatch: 'all',
    contextClaims: [],
    maxTokenLength: 10240,
    now: () => NOW_MS,
    keySource: {
      cached: () => undefined,
      get: async () => {
        throw new TypeError('boom');
      },
      refreshForUnknownKid: async () => {
        throw new TypeError('boom');
      },
    },
  });
  const d = await verifier.verify(await sign(RS));
  assert.equal(d.kind, 'failure');
  assert.equal(outcome(d), 'INTERNAL_ERROR');
});

test('every reason code the verifier can produce was produced above', () => {
  // EVENT_INVALID is the Lambda handler's refusal of an event it does not understand
  // (src/lambda/handler.ts); the verifier never sees events, so it cannot produce it.
  // The handler and the route rules produce these; test/handler.test.ts and test/rules.test.ts cover them.
  const notFromTheVerifier: ReasonCode[] = [
    'EVENT_INVALID',
    'GROUP_INSUFFICIENT',
    'CLAIM_CONDITION_FAILED',
    'ROUTE_NOT_ALLOWED',
  ];
  const reachable = (Object.keys(REASONS) as ReasonCode[])
    .filter((c) => !notFromTheVerifier.includes(c))
    .sort();
  const missing = reachable.filter((c) => !produced.has(c));
  assert.deepEqual(missing, [], `reason codes never produced: ${missing.join(', ')}`);
  assert.ok(produced.has('allow'));
});
