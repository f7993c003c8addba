import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(ROOT, 'dist/lambda/index.mjs');
const ZIP = join(ROOT, 'dist/tollgate-authorizer.zip');

before(() => {
  const r = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the bundle is one self-contained ESM file: no bare imports, only node: builtins', () => {
  const code = readFileSync(BUNDLE, 'utf8');
  const imports = [...code.matchAll(/(?:from\s*|import\s*\(?\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
  assert.ok(imports.length > 0);
  for (const spec of imports) assert.match(spec, /^node:/, `unexpected import ${spec}`);
  assert.doesNotMatch(code, /node_modules/);
  assert.ok(code.length <= 30 * 1024, `bundle is ${code.length} bytes, above the 30 KB budget`);
  // https (and with it tls) is loaded only when an https URL is fetched, not at cold start.
  assert.doesNotMatch(code, /from\s*["']node:https["']/);
});

test('the zip holds index.mjs at its root, identical to the bundle', () => {
  const files = unzipSync(readFileSync(ZIP));
  assert.deepEqual(Object.keys(files), ['index.mjs']);
  assert.deepEqual(Buffer.from(files['index.mjs']!), readFileSync(BUNDLE));
});

test('the bundle answers a TOKEN event through tollgate invoke --handler, and refuses a forged one', () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
  const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/tollgate.js'), ...args], { cwd: home, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const token = cli(['token', '--sub', 'carol']).stdout.trim();
  const ok = cli(['invoke', '--token', token, '--handler', BUNDLE]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).principalId, 'carol');
  const [h, p] = token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'admin' })).toString('base64url')}.${token.split('.')[2]}`;
  const bad = cli(['invoke', '--token', forged, '--handler', BUNDLE]);
  assert.equal(bad.status, 4);
  assert.equal(bad.stdout.trim(), 'Unauthorized');
});

test('the bundle refuses to load without configuration, and invoke names the setting', () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/tollgate.js'), 'invoke', '--token', 'x.y.z', '--handler', BUNDLE], {
    cwd: home,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TOKEN_ISSUER: 'https://issuer.example.com/' },
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /AUDIENCE is required/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
