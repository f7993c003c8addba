// jose as an independent oracle: for every token below, valid or crafted, Tollgate's verifier and
// jose's jwtVerify plus Tollgate's documented stricter rules must agree on accept/reject.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTPayload, type JWTHeaderParameters } from 'jose';
import { ALGORITHMS, type AsymmetricAlgorithm as Algorithm } from '../src/core/algorithms.js';
import {
  AUDIENCE,
  ISSUER,
  NOW_MS,
  NOW_S,
  claims,
  generateKey,
  sign,
  type TestKey,
} from './support/keys.js';
import { startJwksServer } from './support/jwks-server.js';
import { testRuntime, type TestRuntime } from './support/verifier.js';
import { b64u, forge, rawSign, type Signer } from './support/forge.js';

const TOLERANCES = [0, 30] as const;
type Tolerance = (typeof TOLERANCES)[number];

// One key per algorithm, generated once (RSA generation is the slow part of this file).
const KEYS = Object.fromEntries(
  ALGORITHMS.map((alg) => [alg, generateKey(alg, `oracle-${alg.toLowerCase()}`)]),
) as Record<Algorithm, TestKey>;

// A second private key of the same type per algorithm, which the JWKS does not publish: "signed by
// another key". RSA algorithms borrow a sibling algorithm's RSA key (which is in the JWKS, pinned to
// that other algorithm), so no extra RSA generation is needed.
const OTHER: Record<Algorithm, Signer> = {
  RS256: { alg: 'RS256', privateKey: KEYS.RS384.privateKey },
  RS384: { alg: 'RS384', privateKey: KEYS.RS512.privateKey },
  RS512: { alg: 'RS512', privateKey: KEYS.PS256.privateKey },
  PS256: { alg: 'PS256', privateKey: KEYS.PS384.privateKey },
  PS384: { alg: 'PS384', privateKey: KEYS.PS512.privateKey },
  PS512: { alg: 'PS512', privateKey: KEYS.RS256.privateKey },
  ES256: {
    alg: 'ES256',
    privateKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  },
  ES384: {
    alg: 'ES384',
    privateKey: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
  },
  ES512: {
    alg: 'ES512',
    privateKey: generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey,
  },
  EdDSA: { alg: 'EdDSA', privateKey: generateKeyPairSync('ed25519').privateKey },
  Ed25519: { alg: 'Ed25519', privateKey: generateKeyPairSync('ed25519').privateKey },
};

// Every key pinned by kid and alg, use "sig": for any (alg, kid) at most one key fits, in both.
const JWKS = { keys: ALGORITHMS.map((alg) => KEYS[alg].jwk) };
const server = await startJwksServer(JWKS.keys);
const RUNTIMES = new Map<Tolerance, TestRuntime>(
  TOLERANCES.map((t) => [
    t,
    testRuntime(server.url, { ALGORITHMS: ALGORITHMS.join(','), CLOCK_TOLERANCE: String(t) }),
  ]),
);
after(() => server.close());

// ---------------------------------------------------------------------------------------------
// The oracle.
// ---------------------------------------------------------------------------------------------

const JOSE_KEYS = createLocalJWKSet(JWKS);

type Rule =
  | 'a:strict-base64url'
  | 'b:iat-in-future'
  | 'c:crit'
  | 'd:sub-and-aud-types'
  | 'e:repeated-member-names'
  | 'f:jwe-header-parameters';

interface OracleVerdict {
  readonly accept: boolean;
  /** jose's own verdict, before Tollgate's documented stricter rules. */
  readonly joseAccepts: boolean;
  /** The stricter rule that turned jose's accept into a reject. */
  readonly rule?: Rule;
  readonly detail: string;
}

/** Canonical base64url, decided independently of Tollgate's parser: the segment must survive a decode/encode round trip. */
function strictBase64url(segment: string): boolean {
  return (
    /^[A-Za-z0-9_-]*$/.test(segment) &&
    Buffer.from(segment, 'base64url').toString('base64url') === segment
  );
}

async function oracle(token: string, tolerance: Tolerance): Promise<OracleVerdict> {
  let payload: JWTPayload;
  let header: JWTHeaderParameters;
  try {
    ({ payload, protectedHeader: header } = await jwtVerify(token, JOSE_KEYS, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [...ALGORITHMS],
      clockTolerance: tolerance,
      currentDate: new Date(NOW_MS),
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    return {
      accept: false,
      joseAccepts: false,
      detail: `jose: ${(error as { code?: string }).code ?? (error as Error).message}`,
    };
  }
  const reject = (rule: Rule, detail: string): OracleVerdict => ({
    accept: false,
    joseAccepts: true,
    rule,
    detail: `${rule}: ${detail}`,
  });

  // (a) Strict canonical base64url for all three segments: no padding, no whitespace, no standard
  //     alphabet, unused low bits of the last character zero. jose decodes with atob, which
  //     tolerates padding, whitespace and non-canonical trailing bits.
  const segments = token.split('.');
  const bad = segments.findIndex((s) => !strictBase64url(s));
  if (bad >= 0) return reject('a:strict-base64url', `segment ${bad} is not canonical base64url`);

  // (b) iat must not be in the future beyond the clock tolerance. jose checks iat only with maxTokenAge.
  if (typeof payload.iat === 'number' && payload.iat > NOW_S + tolerance)
    return reject('b:iat-in-future', `iat ${payload.iat} > now + ${tolerance}`);

  // (c) A crit header is refused whatever it lists. jose accepts crit: ["b64"] with b64: true.
  if (header.crit !== undefined) return reject('c:crit', `crit ${JSON.stringify(header.crit)}`);

  // (d) sub must be a non-empty string (it becomes the policy's principalId) and every aud array
  //     entry a string. jose only checks that sub is present and that some aud entry matches.
  if (typeof payload.sub !== 'string' || payload.sub.length === 0)
    return reject('d:sub-and-aud-types', `sub ${JSON.stringify(payload.sub)}`);
  if (Array.isArray(payload.aud) && payload.aud.some((a) => typeof a !== 'string'))
    return reject('d:sub-and-aud-types', `aud ${JSON.stringify(payload.aud)}`);

  // (e) No member name repeated in an object of the header or payload (RFC 7515 section 5.2
  //     allows refusing them); JSON.parse, and so jose, keeps the last.
  for (const [i, segment] of segments.slice(0, 2).entries()) {
    if (repeatsMemberName(Buffer.from(segment, 'base64url').toString('utf8')))
      return reject('e:repeated-member-names', `segment ${i} repeats a member name`);
  }

  // (f) JWE-only header parameters (enc, zip; RFC 7516 section 4.1) make it no plain JWS.
  const jwe = ['enc', 'zip'].find(
    (name) => (header as Record<string, unknown>)[name] !== undefined,
  );
  if (jwe) return reject('f:jwe-header-parameters', `header has ${jwe}`);

  return { accept: true, joseAccepts: true, detail: 'accepted' };
}

/** Member names (strings followed by `:`, found by a regular expression) outnumber the parsed keys. */
function repeatsMemberName(json: string): boolean {
  const names = json.match(/"(?:[^"\\]|\\.)*"\s*:/g)?.length ?? 0;
  const keys = (value: unknown): number =>
    typeof value !== 'object' || value === null
      ? 0
      : Object.entries(value).reduce((n, [, v]) => n + (Array.isArray(value) ? 0 : 1) + keys(v), 0);
  return names !== keys(JSON.parse(json.replace(/^\uFEFF/, ''))); // jose strips a BOM
}

// ---------------------------------------------------------------------------------------------
// The corpus.
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly name: string;
  readonly token: string;
  /** What a correct strict verifier does, under the tolerance the case was built for. */
  readonly expect: 'accept' | 'reject';
  /** Claim-edge cases are built for one tolerance; the expectation holds under that one only. */
  readonly builtFor?: Tolerance;
}

const SIBLINGS: Record<string, readonly Algorithm[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  EC: ['ES256', 'ES384', 'ES512'],
  OKP: ['EdDSA', 'Ed25519'],
};

const flip = (buf: Buffer, index: number): Buffer => {
  const copy = Buffer.from(buf);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
};

/** A segment whose base64url form needs padding, with that padding added. */
function paddedSegment(make: (filler: string) => object): string {
  for (let n = 0; n < 4; n++) {
    const seg = b64u(make('x'.repeat(n)));
    if (seg.length % 4 !== 0) return seg + '='.repeat(4 - (seg.length % 4));
  }
  throw new Error('unreachable: one of four lengths needs padding');
}

/** The same bytes with the unused low bits of the last character set: decodes the same, not canonical. */
function nonCanonical(segment: string): string | undefined {
  const rest = segment.length % 4;
  if (rest !== 2 && rest !== 3) return undefined;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(segment[segment.length - 1] ?? 'A');
  return segment.slice(0, -1) + alphabet[last | (rest === 2 ? 0x0f : 0x03)];
}

function whitespaced(segment: string, ws: string): string {
  const mid = Math.floor(segment.length / 2);
  return segment.slice(0, mid) + ws + segment.slice(mid);
}

async function structuralCases(alg: Algorithm): Promise<Case[]> {
  const key = KEYS[alg];
  const kty = key.jwk.kty as string;
  const hdr = { alg, kid: key.kid, typ: 'JWT' };
  const body = claims();
  const valid = forge(key, hdr, body);
  const [h, p, s] = valid.split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  const cases: Case[] = [];
  const add = (name: string, token: string, expect: Case['expect']): void =>
    void cases.push({ name, token, expect });

  // Valid tokens, signed two independent ways.
  add('valid (jose SignJWT)', await sign(key), 'accept');
  add('valid (node:crypto)', valid, 'accept');
  add('valid without typ', forge(key, { alg, kid: key.kid }, body), 'accept');
  add('valid without kid (the only key pinned to this alg)', forge(key, { alg }, body), 'accept');
  add(
    'valid with aud array',
    forge(key, hdr, claims({ aud: ['https://other.example', AUDIENCE] })),
    'accept',
  );
  add('valid with unusual typ', forge(key, { ...hdr, typ: 'at+jwt' }, body), 'accept');
  add(
    'valid with attacker jku/x5u in the header (ignored)',
    forge(
      key,
      {
        ...hdr,
        jku: 'https://attacker.example/jwks.json',
        x5u: 'https://attacker.example/cert.pem',
      },
      body,
    ),
    'accept',
  );
  add(
    'valid with b64:false but no crit (b64 ignored, payload is base64url)',
    forge(key, { ...hdr, b64: false }, body),
    'accept',
  );
  add(
    'valid with lone surrogate escape in a claim',
    forge(key, hdr, { raw: b64u(JSON.stringify(body).replace('"read:pets"', '"\\ud800"')) }),
    'accept',
  );
  add(
    'duplicate sub keys, last one non-empty (rule e)',
    forge(key, hdr, { raw: b64u(`{"sub":"","sub":"user-1",${JSON.stringify(body).slice(1)}`) }),
    'reject',
  );
  add(
    'duplicate alg in the header, first none (rule e)',
    forge(key, { raw: b64u(`{"alg":"none","kid":"${key.kid}","alg":"${alg}"}`) }, body),
    'reject',
  );
  add(
    'valid with the same names at other depths',
    forge(key, hdr, claims({ org: { sub: 'x', org: [{ sub: 'y' }] } })),
    'accept',
  );
  add('enc in the header (rule f)', forge(key, { ...hdr, enc: 'A256GCM' }, body), 'reject');

  // Signature bytes.
  add('signature: first byte flipped', `${h}.${p}.${flip(sig, 0).toString('base64url')}`, 'reject');
  add(
    'signature: middle byte flipped',
    `${h}.${p}.${flip(sig, sig.length >> 1).toString('base64url')}`,
    'reject',
  );
  add(
    'signature: last byte flipped',
    `${h}.${p}.${flip(sig, sig.length - 1).toString('base64url')}`,
    'reject',
  );
  add(
    'signature: truncated by one byte',
    `${h}.${p}.${sig.subarray(0, -1).toString('base64url')}`,
    'reject',
  );
  add(
    'signature: truncated to half',
    `${h}.${p}.${sig.subarray(0, sig.length >> 1).toString('base64url')}`,
    'reject',
  );
  add(
    'signature: zero byte appended',
    `${h}.${p}.${Buffer.concat([sig, Buffer.alloc(1)]).toString('base64url')}`,
    'reject',
  );
  add(
    'signature: zero byte prepended',
    `${h}.${p}.${Buffer.concat([Buffer.alloc(1), sig]).toString('base64url')}`,
    'reject',
  );
  add('signature: empty', `${h}.${p}.`, 'reject');
  add(
    'signature: all zero bytes',
    `${h}.${p}.${Buffer.alloc(sig.length).toString('base64url')}`,
    'reject',
  );
  add('signature: by another key under this kid', forge(OTHER[alg], hdr, body), 'reject');
  if (kty === 'EC')
    add(
      'signature: DER-encoded ECDSA',
      `${h}.${p}.${rawSign(alg, key.privateKey, `${h}.${p}`, { dsaEncoding: 'der' }).toString('base64url')}`,
      'reject',
    );
  const standard = sig.toString('base64').replace(/=+$/, '');
  if (standard !== s)
    add('signature: standard base64 alphabet (+ and /)', `${h}.${p}.${standard}`, 'reject');

  // Payload and header tampering under the original signature.
  add(
    'payload swapped from another valid token',
    `${h}.${b64u(claims({ sub: 'user-2' }))}.${s}`,
    'reject',
  );
  add('payload tampered: sub changed', `${h}.${b64u({ ...body, sub: 'admin' })}.${s}`, 'reject');
  add(
    'payload tampered: exp extended',
    `${h}.${b64u({ ...body, exp: NOW_S + 86400 * 365 })}.${s}`,
    'reject',
  );
  add(
    'payload tampered: scope added',
    `${h}.${b64u({ ...body, scope: 'read:pets admin' })}.${s}`,
    'reject',
  );
  add(
    'header tampered: unknown kid',
    `${b64u({ ...hdr, kid: 'no-such-kid' })}.${p}.${s}`,
    'reject',
  );
  add(
    "header tampered: another key's kid",
    `${b64u({ ...hdr, kid: KEYS[alg === 'ES256' ? 'ES384' : 'ES256'].kid })}.${p}.${s}`,
    'reject',
  );
  add('header tampered: kid removed', `${b64u({ alg, typ: 'JWT' })}.${p}.${s}`, 'reject');
  for (const other of ALGORITHMS)
    if (other !== alg)
      add(
        `header tampered: alg ${alg} -> ${other}`,
        `${b64u({ ...hdr, alg: other })}.${p}.${s}`,
        'reject',
      );
  for (const none of ['none', 'None', 'NONE']) {
    add(
      `header tampered: alg ${none}, signature kept`,
      `${b64u({ ...hdr, alg: none })}.${p}.${s}`,
      'reject',
    );
    add(
      `header tampered: alg ${none}, signature empty`,
      `${b64u({ ...hdr, alg: none })}.${p}.`,
      'reject',
    );
  }
  add('header tampered: alg HS256', `${b64u({ ...hdr, alg: 'HS256' })}.${p}.${s}`, 'reject');

  // Re-signed with this key but a header that must not verify.
  for (const sibling of SIBLINGS[kty] ?? []) {
    if (sibling !== alg)
      add(
        `re-signed as ${sibling} under this ${alg}-pinned kid`,
        forge({ alg: sibling, privateKey: key.privateKey }, { ...hdr, alg: sibling }, body),
        'reject',
      );
  }
  add(
    "re-signed with another key's kid",
    forge(key, { ...hdr, kid: KEYS[alg === 'RS256' ? 'RS384' : 'RS256'].kid }, body),
    'reject',
  );
  add('re-signed with a numeric kid', forge(key, { ...hdr, kid: 7 }, body), 'reject');
  add('re-signed without alg', forge(key, { kid: key.kid, typ: 'JWT' }, body), 'reject');
  add('re-signed with alg null', forge(key, { ...hdr, alg: null }, body), 'reject');
  add(
    'crit ["b64"] with b64 true',
    forge(key, { ...hdr, crit: ['b64'], b64: true }, body),
    'reject',
  );
  add(
    'crit ["b64"] with b64 false',
    forge(key, { ...hdr, crit: ['b64'], b64: false }, body),
    'reject',
  );
  add('crit ["exp"]', forge(key, { ...hdr, crit: ['exp'] }, body), 'reject');
  add('crit []', forge(key, { ...hdr, crit: [] }, body), 'reject');
  add('crit "b64" (not an array)', forge(key, { ...hdr, crit: 'b64', b64: true }, body), 'reject');

  // Base64url form.
  add('padding: "=" appended to the signature', `${h}.${p}.${s}=`, 'reject');
  if (s.length % 4 !== 0)
    add(
      'padding: proper padding on the signature',
      `${h}.${p}.${s}${'='.repeat(4 - (s.length % 4))}`,
      'reject',
    );
  add(
    'padding: header segment padded, re-signed',
    forge(key, { raw: paddedSegment((f) => ({ ...hdr, typ: `JWT${f}` })) }, body),
    'reject',
  );
  add(
    'padding: payload segment padded, re-signed',
    forge(key, hdr, { raw: paddedSegment((f) => ({ ...body, pad: f })) }),
    'reject',
  );
  add('whitespace: space inside the signature', `${h}.${p}.${whitespaced(s, ' ')}`, 'reject');
  add('whitespace: newline inside the signature', `${h}.${p}.${whitespaced(s, '\n')}`, 'reject');
  add(
    'whitespace: tab inside the payload, re-signed',
    forge(key, hdr, { raw: whitespaced(p, '\t') }),
    'reject',
  );
  add(
    'whitespace: space inside the header, re-signed',
    forge(key, { raw: whitespaced(h, ' ') }, body),
    'reject',
  );
  add('whitespace: leading space before the token', ` ${valid}`, 'reject');
  add('whitespace: trailing newline after the token', `${valid}\n`, 'reject');
  const ncSig = nonCanonical(s);
  if (ncSig) add('non-canonical last character of the signature', `${h}.${p}.${ncSig}`, 'reject');
  const ncHeader = nonCanonical(h) ?? nonCanonical(b64u({ ...hdr, typ: 'JWTx' }));
  if (ncHeader)
    add(
      'non-canonical last character of the header, re-signed',
      forge(key, { raw: ncHeader }, body),
      'reject',
    );
  const ncPayload =
    nonCanonical(p) ??
    nonCanonical(b64u({ ...body, pad: 'x' })) ??
    nonCanonical(b64u({ ...body, pad: 'xx' }));
  if (ncPayload)
    add(
      'non-canonical last character of the payload, re-signed',
      forge(key, hdr, { raw: ncPayload }),
      'reject',
    );

  // Segment counts.
  add('segments: 2 (signature dropped)', `${h}.${p}`, 'reject');
  add('segments: 4', `${valid}.${s}`, 'reject');
  add('segments: 5 (JWE shape)', `${valid}.${p}.${s}`, 'reject');
  add('segments: trailing dot', `${valid}.`, 'reject');
  add('segments: empty header', `.${p}.${s}`, 'reject');
  add('segments: empty payload', `${h}..${s}`, 'reject');
  add('segments: one', h, 'reject');

  // Header and payload that are not JSON objects, re-signed so only the shape is wrong.
  add('header: not JSON, re-signed', forge(key, { raw: b64u('not json') }, body), 'reject');
  add(
    'header: JSON array, re-signed',
    forge(key, Buffer.from(JSON.stringify([hdr])), body),
    'reject',
  );
  add(
    'header: JSON string, re-signed',
    forge(key, Buffer.from(JSON.stringify(JSON.stringify(hdr))), body),
    'reject',
  );
  add(
    'header: invalid UTF-8 in a string, re-signed',
    forge(
      key,
      Buffer.concat([
        Buffer.from(`{"alg":"${alg}","kid":"${key.kid}","x":"`),
        Buffer.from([0xfe]),
        Buffer.from('"}'),
      ]),
      body,
    ),
    'reject',
  );
  add(
    'payload: JSON array, re-signed',
    forge(key, hdr, Buffer.from(JSON.stringify([body]))),
    'reject',
  );
  add(
    'payload: JSON string, re-signed',
    forge(key, hdr, Buffer.from(JSON.stringify(JSON.stringify(body)))),
    'reject',
  );
  add('payload: JSON number, re-signed', forge(key, hdr, Buffer.from('123400')), 'reject');
  add('payload: JSON null, re-signed', forge(key, hdr, Buffer.from('null')), 'reject');
  add('payload: not JSON, re-signed', forge(key, hdr, Buffer.from('foo')), 'reject');
  add('payload: empty, re-signed', forge(key, hdr, { raw: '' }), 'reject');
  add(
    'payload: JSON with trailing garbage, re-signed',
    forge(key, hdr, Buffer.from(`${JSON.stringify(body)}x`)),
    'reject',
  );
  const tail = Buffer.from(`","iss":"${ISSUER}","aud":"${AUDIENCE}","exp":${NOW_S + 3600}}`);
  add(
    'payload: invalid UTF-8 (0xff) inside sub, re-signed',
    forge(key, hdr, Buffer.concat([Buffer.from('{"sub":"user-'), Buffer.from([0xff]), tail])),
    'reject',
  );
  add(
    'payload: invalid UTF-8 (overlong NUL) inside sub, re-signed',
    forge(key, hdr, Buffer.concat([Buffer.from('{"sub":"a'), Buffer.from([0xc0, 0x80]), tail])),
    'reject',
  );
  add(
    'payload: invalid UTF-8 (lone continuation byte) inside sub, re-signed',
    forge(key, hdr, Buffer.concat([Buffer.from('{"sub":"user-'), Buffer.from([0x80]), tail])),
    'reject',
  );
  add(
    'payload: duplicate sub keys, last one empty (rule d)',
    forge(key, hdr, {
      raw: b64u(
        `{"sub":"user-1",${JSON.stringify({ ...body, sub: undefined }).slice(1, -1)},"sub":""}`,
      ),
    }),
    'reject',
  );
  return cases;
}

/** Claim edges, re-signed with the right key, built for one clock tolerance. */
function claimCases(alg: Algorithm, tolerance: Tolerance): Case[] {
  const key = KEYS[alg];
  const hdr = { alg, kid: key.kid, typ: 'JWT' };
  const t = tolerance;
  const cases: Case[] = [];
  const add = (
    name: string,
    overrides: JWTPayload | Record<string, unknown>,
    expect: Case['expect'],
  ): void => {
    const body = Object.fromEntries(
      Object.entries(claims(overrides as JWTPayload)).filter(([, v]) => v !== undefined),
    );
    cases.push({
      name: `[tolerance ${t}] ${name}`,
      token: forge(key, hdr, body),
      expect,
      builtFor: t,
    });
  };
  add('exp = now - tolerance (expired at the edge)', { exp: NOW_S - t }, 'reject');
  add('exp = now - tolerance - 1', { exp: NOW_S - t - 1 }, 'reject');
  add('exp = now - tolerance + 1 (last valid second)', { exp: NOW_S - t + 1 }, 'accept');
  add('exp = now - tolerance + 0.5 (fractional)', { exp: NOW_S - t + 0.5 }, 'accept');
  add('exp = now - tolerance - 0.5 (fractional)', { exp: NOW_S - t - 0.5 }, 'reject');
  add('exp = now + 1', { exp: NOW_S + 1 }, 'accept');
  add('exp missing', { exp: undefined }, 'reject');
  add('exp is a numeric string', { exp: String(NOW_S + 3600) as unknown as number }, 'reject');
  add('exp is null', { exp: null as unknown as number }, 'reject');
  add('exp is true', { exp: true as unknown as number }, 'reject');
  add('exp = 1e300 (huge but finite)', { exp: 1e300 }, 'accept');
  add('exp = 0', { exp: 0 }, 'reject');
  add('exp negative', { exp: -1 }, 'reject');
  add('nbf = now + tolerance (valid at the edge)', { nbf: NOW_S + t }, 'accept');
  add('nbf = now + tolerance + 1', { nbf: NOW_S + t + 1 }, 'reject');
  add('nbf = now + tolerance + 0.5 (fractional)', { nbf: NOW_S + t + 0.5 }, 'reject');
  add('nbf = now + tolerance - 1', { nbf: NOW_S + t - 1 }, 'accept');
  add('nbf is a string', { nbf: String(NOW_S) as unknown as number }, 'reject');
  add('nbf is null', { nbf: null as unknown as number }, 'reject');
  add('iat = now + tolerance (valid at the edge)', { iat: NOW_S + t }, 'accept');
  add('iat = now + tolerance + 1 (rule b)', { iat: NOW_S + t + 1 }, 'reject');
  add('iat = now + one hour (rule b)', { iat: NOW_S + 3600 }, 'reject');
  add('iat = now + tolerance + 0.5 (rule b, fractional)', { iat: NOW_S + t + 0.5 }, 'reject');
  add('iat long ago', { iat: NOW_S - 86400 * 365 }, 'accept');
  add('iat missing', { iat: undefined }, 'accept');
  add('iat is a string', { iat: String(NOW_S) as unknown as number }, 'reject');
  add('iss wrong', { iss: 'https://evil.example.com/' }, 'reject');
  add('iss without the trailing slash', { iss: ISSUER.replace(/\/$/, '') }, 'reject');
  add('iss with a doubled trailing slash', { iss: `${ISSUER}/` }, 'reject');
  add('iss in upper case', { iss: ISSUER.toUpperCase() }, 'reject');
  add('iss with http scheme', { iss: ISSUER.replace('https:', 'http:') }, 'reject');
  add('iss missing', { iss: undefined }, 'reject');
  add('iss is a number', { iss: 1 as unknown as string }, 'reject');
  add('iss is an array holding the issuer', { iss: [ISSUER] as unknown as string }, 'reject');
  add('aud string mismatch', { aud: 'https://other.example' }, 'reject');
  add('aud with a trailing slash', { aud: `${AUDIENCE}/` }, 'reject');
  add('aud array containing the audience', { aud: ['https://other.example', AUDIENCE] }, 'accept');
  add('aud array without the audience', { aud: ['https://other.example'] }, 'reject');
  add('aud empty array', { aud: [] }, 'reject');
  add('aud missing', { aud: undefined }, 'reject');
  add('aud is a number', { aud: 7 as unknown as string }, 'reject');
  add(
    'aud array with a number besides the audience (rule d)',
    { aud: [AUDIENCE, 7] as unknown as string[] },
    'reject',
  );
  add(
    'aud array with null besides the audience (rule d)',
    { aud: [null, AUDIENCE] as unknown as string[] },
    'reject',
  );
  add(
    'aud array nested (rule d)',
    { aud: [[AUDIENCE], AUDIENCE] as unknown as string[] },
    'reject',
  );
  add('sub missing', { sub: undefined }, 'reject');
  add('sub empty (rule d)', { sub: '' }, 'reject');
  add('sub is a number (rule d)', { sub: 42 as unknown as string }, 'reject');
  add('sub is null (rule d)', { sub: null as unknown as string }, 'reject');
  add('sub is an object (rule d)', { sub: { id: 'user-1' } as unknown as string }, 'reject');
  add('sub is a single space', { sub: ' ' }, 'accept');
  add('scope missing', { scope: undefined }, 'accept');
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Running it.
// ---------------------------------------------------------------------------------------------

const rulesApplied = new Set<Rule>();
let accepted = 0;
let total = 0;

for (const alg of ALGORITHMS) {
  test(`Tollgate and jose agree on every ${alg} token`, async (t) => {
    const corpus = [
      ...(await structuralCases(alg)),
      ...TOLERANCES.flatMap((tol) => claimCases(alg, tol)),
    ];
    assert.ok(corpus.length > 100, `${alg}: corpus unexpectedly small (${corpus.length})`);
    for (const tolerance of TOLERANCES) {
      await t.test(`clockTolerance ${tolerance}: ${corpus.length} tokens`, async () => {
        const runtime = RUNTIMES.get(tolerance)!;
        const failures: string[] = [];
        for (const c of corpus) {
          const verdict = await oracle(c.token, tolerance);
          const decision = await runtime.verifier.verify(c.token);
          total++;
          if (verdict.rule) rulesApplied.add(verdict.rule);
          const tollgateAccepts = decision.kind === 'allow';
          const tg =
            decision.kind === 'allow' ? 'allow' : `${decision.kind} ${decision.reason.code}`;
          if (decision.kind === 'failure')
            failures.push(
              `${c.name}: Tollgate could not decide (${tg}); the JWKS must stay reachable`,
            );
          if (tollgateAccepts !== verdict.accept)
            failures.push(
              `${c.name}: Tollgate ${tg}, oracle ${verdict.accept ? 'accept' : 'reject'} (${verdict.detail})`,
            );
          if (
            (c.builtFor === undefined || c.builtFor === tolerance) &&
            verdict.accept !== (c.expect === 'accept')
          ) {
            failures.push(
              `${c.name}: expected ${c.expect}, both said ${verdict.accept ? 'accept' : 'reject'} (${verdict.detail}; Tollgate ${tg})`,
            );
          }
          if (tollgateAccepts) accepted++;
        }
        assert.deepEqual(
          failures,
          [],
          `${alg} at clockTolerance ${tolerance}: ${failures.length} of ${corpus.length} cases disagree`,
        );
      });
    }
  });
}

test('the corpus exercises every documented stricter rule and accepts the valid tokens', () => {
  assert.ok(total > 2000, `only ${total} verifications ran`);
  assert.ok(
    accepted > 100,
    `only ${accepted} tokens were accepted: the corpus must contain valid tokens both sides accept`,
  );
  assert.deepEqual([...rulesApplied].sort(), [
    'a:strict-base64url',
    'b:iat-in-future',
    'c:crit',
    'd:sub-and-aud-types',
    'e:repeated-member-names',
    'f:jwe-header-parameters',
  ]);
});

// ---------------------------------------------------------------------------------------------
// Known differences outside the documented rule set, pinned so a change on either side shows up.
// ---------------------------------------------------------------------------------------------

test('known difference: Tollgate refuses exp = 1e400 (JSON Infinity), which jose accepts', async () => {
  const key = KEYS.ES256;
  const token = forge(
    key,
    { alg: 'ES256', kid: key.kid },
    { raw: b64u(JSON.stringify(claims({ exp: 0 })).replace('"exp":0', '"exp":1e400')) },
  );
  assert.equal((await oracle(token, 0)).joseAccepts, true);
  const d = await RUNTIMES.get(0)!.verifier.verify(token);
  assert.equal(d.kind === 'allow' ? 'allow' : d.reason.code, 'CLAIM_INVALID');
});

test('known difference: Tollgate refuses a UTF-8 BOM before the payload JSON, which jose strips', async () => {
  const key = KEYS.EdDSA;
  const token = forge(
    key,
    { alg: 'EdDSA', kid: key.kid },
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claims()))]),
  );
  assert.equal((await oracle(token, 0)).joseAccepts, true);
  const d = await RUNTIMES.get(0)!.verifier.verify(token);
  assert.equal(d.kind === 'allow' ? 'allow' : d.reason.code, 'TOKEN_MALFORMED');
});

test('known difference: Tollgate refuses an RSASSA-PSS signature shorter than the modulus (leading zero byte dropped), which jose accepts', async () => {
  const key = KEYS.PS256;
  const input = `${b64u({ alg: 'PS256', kid: key.kid })}.${b64u(claims())}`;
  // PSS is randomised: sign until the signature's first byte is zero (1 in 256; the bound makes a miss astronomically unlikely).
  let sig = rawSign('PS256', key.privateKey, input);
  for (let i = 0; i < 20000 && sig[0] !== 0; i++) sig = rawSign('PS256', key.privateKey, input);
  assert.equal(sig[0], 0);
  const full = `${input}.${sig.toString('base64url')}`;
  const short = `${input}.${sig.subarray(1).toString('base64url')}`;
  assert.equal((await oracle(full, 0)).accept, true);
  assert.equal((await RUNTIMES.get(0)!.verifier.verify(full)).kind, 'allow');
  // RFC 8017 section 8.1.2 step 1: a signature that is not k octets long is invalid.
  assert.equal((await oracle(short, 0)).joseAccepts, true);
  const d = await RUNTIMES.get(0)!.verifier.verify(short);
  assert.equal(d.kind === 'allow' ? 'allow' : d.reason.code, 'SIGNATURE_INVALID');
});

test('with two keys that fit a kid-less token, both jose and Tollgate refuse it as ambiguous', async () => {
  // Two unpinned Ed25519 keys, no kid in the token: jose throws JWKSMultipleMatchingKeys from
  // createLocalJWKSet; Tollgate refuses too rather than trying every key (one token, N verifications).
  const a = generateKeyPairSync('ed25519');
  const b = generateKeyPairSync('ed25519');
  const jwks = {
    keys: [
      { ...a.publicKey.export({ format: 'jwk' }), kid: 'a' },
      { ...b.publicKey.export({ format: 'jwk' }), kid: 'b' },
    ],
  };
  const ambiguous = await startJwksServer(jwks.keys);
  try {
    const token = forge({ alg: 'EdDSA', privateKey: b.privateKey }, { alg: 'EdDSA' }, claims());
    await assert.rejects(
      jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(NOW_MS),
      }),
      { code: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' },
    );
    const d = await testRuntime(ambiguous.url, { ALGORITHMS: 'EdDSA' }).verifier.verify(token);
    assert.equal(d.kind === 'allow' ? 'allow' : d.reason.code, 'KEY_NOT_FOUND');
    const withKid = forge(
      { alg: 'EdDSA', privateKey: b.privateKey },
      { alg: 'EdDSA', kid: 'b' },
      claims(),
    );
    assert.equal(
      (await testRuntime(ambiguous.url, { ALGORITHMS: 'EdDSA' }).verifier.verify(withKid)).kind,
      'allow',
      'with its kid the same token shape is accepted',
    );
  } finally {
    await ambiguous.close();
  }
});
