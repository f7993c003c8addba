// `npm start`, `npm test` and `npm run tour` build through scripts/build-if-stale.mjs: after a
// `git pull` that changed the lock, it must say "run npm ci" in one line instead of running a
// stale dist/ or crashing on a missing package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './support/child.js';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';

/** A copy of the script in a scratch project whose package.json names one dependency. */
function scratch(installed: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-stale-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts/build-if-stale.mjs'), join(dir, 'scripts/build-if-stale.mjs'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'scratch', dependencies: { velocityjs: '^2.1.7' } }),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ packages: { 'node_modules/velocityjs': { version: '2.1.7' } } }),
  );
  if (installed) {
    mkdirSync(join(dir, 'node_modules/velocityjs'), { recursive: true });
    writeFileSync(
      join(dir, 'node_modules/velocityjs/package.json'),
      JSON.stringify({ version: installed }),
    );
  }
  return dir;
}

test('build-if-stale refuses, in one line naming the package, when node_modules does not match the lock', () => {
  for (const installed of [undefined, '2.0.0']) {
    const dir = scratch(installed);
    try {
      const run = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], {
        cwd: dir,
        encoding: 'utf8',
      });
      assert.equal(run.status, 1, String(installed));
      assert.equal(
        run.stderr.trim(),
        'build: node_modules does not match package-lock.json (velocityjs): run npm ci',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
