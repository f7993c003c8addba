// The development key is created once, whole: first runs started together (a test suite's
// parallel files, a user's two terminals) all get the same complete key, never a half-written file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from './support/child.js';
import { repoPath } from './support/paths.js';

function firstRun(home: string): Promise<{ code: number | null; out: string; err: string }> {
  const module = pathToFileURL(repoPath('dist/idp/dev-issuer.js')).href;
  const script = `const { loadDevKey } = await import(${JSON.stringify(module)}); process.stdout.write(loadDevKey({ create: true }).kid);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, TOLLGATE_HOME: home },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  return new Promise((done) => child.on('close', (code) => done({ code, out, err })));
}

test('eight first runs at once on a fresh home all read one complete key, and leave no temporary file', async () => {
  const home = join(mkdtempSync(join(tmpdir(), 'tollgate-devkey-')), '.tollgate');
  const runs = await Promise.all(Array.from({ length: 8 }, () => firstRun(home)));
  for (const run of runs) assert.equal(run.code, 0, run.err);
  const kids = new Set(runs.map((r) => r.out));
  assert.equal(kids.size, 1, [...kids].join(', '));
  assert.match([...kids][0]!, /^tollgate-dev-[0-9a-f]{12}$/);
  assert.deepEqual(readdirSync(home).sort(), ['.gitignore', 'dev-key.json']);
});
