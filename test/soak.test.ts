// `npm run soak` in a short version (issue 10): the script starts `npm start`'s gateway as a child
// process, runs its mix of loads for a few seconds, prints requests/s, p99, errors and peak RSS, and
// exits non-zero past a bound. The bounds here are loose (npm test shares the machine); `npm run
// soak` applies the stated ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { repoPath } from './support/paths.js';

function soak(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [repoPath('scripts', 'soak.mjs')], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test(
  'a short soak: every kind of load runs, no error, within bounds, exit 0',
  { timeout: 90_000 },
  async (t) => {
    const r = await soak({
      SOAK_SECONDS: '3',
      SOAK_CONCURRENCY: '8',
      SOAK_TOKENS: '50',
      SOAK_MAX_P99_MS: '5000',
      SOAK_MIN_RPS: '5',
    });
    t.diagnostic(r.stdout.split('\n')[0] ?? '');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^soak: \d+ requests in [\d.]+ s: \d+ requests\/s, p50 [\d.]+ ms, p99 [\d.]+ ms, 0 errors, peak RSS \d+ MB$/m,
    );
    const report = JSON.parse(r.stdout.split('\n')[1]!) as {
      mix: Record<string, number>;
      peakRssMb: number;
      slowClients: number;
    };
    for (const kind of ['valid token', 'no token', 'bad token', 'oversized body', 'public'])
      assert.ok((report.mix[kind] ?? 0) > 0, `no ${kind} requests`);
    assert.ok(report.slowClients > 0);
    assert.ok(report.peakRssMb > 0 && report.peakRssMb < 400);
    assert.match(r.stdout, /soak: within bounds/);
  },
);

test('past a stated bound the soak says which and exits 1', { timeout: 60_000 }, async () => {
  const r = await soak({
    SOAK_SECONDS: '1',
    SOAK_CONCURRENCY: '2',
    SOAK_TOKENS: '5',
    SOAK_MAX_P99_MS: '0',
  });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /soak: bound exceeded: p99 [\d.]+ ms > SOAK_MAX_P99_MS 0/);
  const bad = await soak({ SOAK_SECONDS: 'soon' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /SOAK_SECONDS must be a non-negative number, got "soon"/);
});
