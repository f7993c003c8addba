// HS256/384/512 for issuers configured with a shared secret: never mixed with a JWKS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { ConfigError, configFromEnv } from '../src/settings/env.js';
import { createRuntime } from '../src/lambda/runtime.js';
import { claims, generateKey, ISSUER, AUDIENCE, NOW_MS, sign } from './support/keys.js';
import { b64u } from './support/forge.js';
import { createHmac } from 'node:crypto';

const SECRET = 'a-32-byte-development-secret-!!!'; // exactly 32 bytes: the HS256 minimum
const SECRET_64 = 'x'.repeat(64);

function runtime(env: Record<string, string>) {
  return createRuntime(configFromEnv({ TOKEN_ISSUER: ISSUER, AUDIENCE, ...env }), {
    now: () => NOW_MS,
    log: () => {},
  });
}

async function hs(
  alg: 'HS256' | 'HS384' | 'HS512',
  secret: string,
  payload = claims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg, typ: 'JWT', ...header })
    .sign(Buffer.from(secret));
}

test('an HMAC issuer verifies HS256, HS384 and HS512 with its secret, agreeing with jose', async () => {
  const rt = runtime({ TOKEN_SECRET: SECRET_64, ALGORITHMS: 'HS256,HS384,HS512' });
  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    const token = await hs(alg, SECRET_64);
    assert.equal((await rt.verifier.verify(token)).kind, 'allow', alg);
    await jwtVerify(token, Buffer.from(SECRET_64), {
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(NOW_MS),
    });
    const wrong = await hs(alg, 'y'.repeat(64));
    const d = await rt.verifier.verify(wrong);
    assert.equal(
      d.kind === 'allow' ? 'allow' : d.reason.code,
      'SIGNATURE_INVALID',
      `${alg} with another secret`,
    );
    await assert.rejects(
      jwtVerify(wrong, Buffer.from(SECRET_64), {
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(NOW_MS),
      }),
    );
  }
});

test('HS256 is the default algorithm with a secret; a kid in the header does not matter', async () => {
  const rt = runtime({ TOKEN_SECRET: SECRET });
  assert.deepEqual(rt.config.algorithms, ['HS256']);
  assert.equal((await rt.verifier.verify(await hs('HS256', SECRET))).kind, 'allow');
  assert.equal(
    (await rt.verifier.verify(await hs('HS256', SECRET, claims(), { kid: 'secret-2024' }))).kind,
    'allow',
    'the configured secret answers whatever kid the issuer names',
  );
  assert.equal(
    (await rt.verifier.verify(await hs('HS256', 'y'.repeat(32), claims(), { kid: 'secret-2024' })))
      .kind,
    'unauthorized',
    'but only with the right secret',
  );
});

test('truncated, empty and re-encoded MACs, and asymmetric tokens, are refused by an HMAC issuer', async () => {
  const rt = runtime({ TOKEN_SECRET: SECRET });
  const token = await hs('HS256', SECRET);
  const [h, p, s] = token.split('.') as [string, string, string];
  const code = async (t: string): Promise<string> => {
    const d = await rt.verifier.verify(t);
    return d.kind === 'allow' ? 'allow' : d.reason.code;
  };
  assert.equal(
    await code(`${h}.${p}.${b64u(Buffer.from(s, 'base64url').subarray(0, 16))}`),
    'SIGNATURE_INVALID',
  );
  assert.equal(await code(`${h}.${p}.`), 'TOKEN_MALFORMED');
  assert.equal(await code(`${h}.${b64u({ ...claims(), sub: 'admin' })}.${s}`), 'SIGNATURE_INVALID');
  assert.equal(await code(await sign(generateKey('RS256'))), 'ALG_NOT_ALLOWED');
  // HS384 is not on this issuer's list, even with the right secret.
  const hs384 = `${b64u({ alg: 'HS384' })}.${p}`;
  assert.equal(
    await code(`${hs384}.${createHmac('sha384', SECRET).update(hs384).digest('base64url')}`),
    'ALG_NOT_ALLOWED',
  );
});

test('secrets: minimum length per algorithm, never with a JWKS, from a file or base64', () => {
  const refuses = (env: Record<string, string>, setting: string, pattern: RegExp): void => {
    assert.throws(
      () => configFromEnv({ TOKEN_ISSUER: ISSUER, AUDIENCE, ...env }),
      (e: Error) => e instanceof ConfigError && e.setting === setting && pattern.test(e.message),
      JSON.stringify(env),
    );
  };
  refuses({ TOKEN_SECRET: 'short' }, 'TOKEN_SECRET', /5 bytes; HS256 needs at least 32/);
  refuses({ TOKEN_SECRET: SECRET, ALGORITHMS: 'HS512' }, 'TOKEN_SECRET', /HS512 needs at least 64/);
  refuses(
    { TOKEN_SECRET: SECRET, JWKS_URI: 'https://issuer.example.com/jwks' },
    'JWKS_URI',
    /never both/,
  );
  refuses(
    { TOKEN_SECRET: SECRET, ALGORITHMS: 'HS256,RS256' },
    'ALGORITHMS',
    /only HS256, HS384 or HS512/,
  );
  refuses({ ALGORITHMS: 'HS256' }, 'ALGORITHMS', /HMAC cannot be used with keys from a JWKS/);
  refuses({ TOKEN_SECRET: SECRET, TOKEN_SECRET_FILE: '/nonexistent' }, 'TOKEN_SECRET', /both set/);
  refuses({ TOKEN_SECRET_FILE: '/nonexistent/secret' }, 'TOKEN_SECRET_FILE', /cannot be read/);

  const dir = mkdtempSync(join(tmpdir(), 'tollgate-secret-'));
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  assert.equal(
    configFromEnv({
      TOKEN_ISSUER: 'not-a-url-issuer',
      AUDIENCE,
      TOKEN_SECRET_FILE: join(dir, 'secret'),
    }).secret?.toString(),
    SECRET,
    'trailing newline removed; an HMAC issuer needs no discovery URL',
  );
  assert.equal(
    configFromEnv({
      TOKEN_ISSUER: ISSUER,
      AUDIENCE,
      TOKEN_SECRET: `base64:${Buffer.alloc(32, 7).toString('base64')}`,
    }).secret?.length,
    32,
  );
});

test('the secret never appears in a configuration error', () => {
  try {
    configFromEnv({ TOKEN_ISSUER: ISSUER, AUDIENCE, TOKEN_SECRET: 'secret-value-too-short' });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(!(error as Error).message.includes('secret-value-too-short'));
  }
});
