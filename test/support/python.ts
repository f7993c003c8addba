// Python for the tests that run Python functions: an interpreter with PyJWT (and cryptography),
// and X.509 certificates made with openssl from keys the tests generate, as the Serverless
// example's `public_key` file holds one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { spawnSync } from './child.js';

/** An interpreter that has PyJWT: TOLLGATE_PYTHON, python3 on PATH, or Debian's /usr/bin/python3. Never skipped. */
export function pythonWithJwt(): string {
  const candidates = [process.env.TOLLGATE_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => Boolean(c),
  );
  const found = candidates.find(
    (c) => spawnSync(c, ['-c', 'import jwt, cryptography'], { stdio: 'ignore' }).status === 0,
  );
  if (!found)
    assert.fail(
      `these tests need PyJWT and cryptography: none of ${candidates.join(', ')} can import them (apt-get install python3-jwt python3-cryptography, or pip install pyjwt cryptography, or set TOLLGATE_PYTHON)`,
    );
  return found;
}

/** A self-signed PEM certificate for the private key (openssl req -x509), valid for a day. */
export function certificateFor(privateKey: KeyObject, subject = '/CN=tollgate-test'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const out = join(dir, 'cert.pem');
    const run = spawnSync(
      'openssl',
      ['req', '-x509', '-new', '-key', keyFile, '-subj', subject, '-days', '1', '-out', out],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, `openssl req -x509: ${String(run.stderr)}`);
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
