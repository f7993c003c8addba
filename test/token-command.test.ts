// tollgate token with negative durations: an already expired (or long valid) token for testing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './support/child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { repoPath } from './support/paths.js';
import { joinNegativeDurations, parseDuration } from '../src/cli/duration.js';

let home: string;
before(() => void (home = mkdtempSync(join(tmpdir(), 'tollgate-token-'))));
after(() => rmSync(home, { recursive: true, force: true }));

const tollgate = (args: string[]) =>
  spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), ...args], {
    cwd: home,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') },
  });

test('--expires-in -1h and --expires-in=-1h mint an expired token, with a warning, and explain refuses it', () => {
  for (const args of [['--expires-in', '-1h'], ['--expires-in=-1h']]) {
    const r = tollgate(['token', ...args]);
    assert.equal(r.status, 0, r.stderr);
    const payload = decodeJwt(r.stdout.trim());
    assert.equal((payload.exp as number) - (payload.iat as number), -3600, args.join(' '));
    assert.match(
      r.stderr,
      /^tollgate: warning: the token is already expired \(exp \d{4}-\d\d-\d\dT[\d:.]+Z, 3600 s ago\)\n$/,
    );
    const explained = tollgate(['explain', r.stdout.trim()]);
    assert.equal(explained.status, 4);
    assert.match(explained.stdout, /FAIL {2}exp +TOKEN_EXPIRED/);
  }
});

test('--not-before accepts a negative duration (already valid); one after the expiry warns that the token is never valid', () => {
  const past = tollgate(['token', '--not-before', '-5m']);
  assert.equal(past.status, 0, past.stderr);
  assert.equal(past.stderr, '', 'a token valid now gets no warning');
  const payload = decodeJwt(past.stdout.trim());
  assert.equal((payload.nbf as number) - (payload.iat as number), -300);
  const never = tollgate(['token', '--expires-in', '10m', '--not-before=2h']);
  assert.equal(never.status, 0);
  assert.match(never.stderr, /--not-before is at or after the expiry: the token is never valid/);
});

test('a bad duration is still one line and exit 2', () => {
  for (const args of [['--expires-in', '-soon'], ['--expires-in=--1h'], ['--not-before', '1y']]) {
    const r = tollgate(['token', ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^tollgate: /);
  }
});

test('parseDuration and joinNegativeDurations', () => {
  assert.equal(parseDuration('--x', '-2d'), -172800);
  assert.equal(parseDuration('--x', '90'), 90);
  assert.throws(() => parseDuration('--x', '+1h'), /must be a duration/);
  assert.deepEqual(
    joinNegativeDurations(
      ['--expires-in', '-1h', '--sub', '-x', '--not-before', '-5'],
      ['--expires-in', '--not-before'],
    ),
    ['--expires-in=-1h', '--sub', '-x', '--not-before=-5'],
  );
});
