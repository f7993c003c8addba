// Every file the repository ships as an example passes the check a user would run on it: config
// files `tollgate config check`, rules files `tollgate rules check`, the OpenAPI document `tollgate
// export`. A new example that fits none of these fails here instead of going unchecked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './support/child.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './support/paths.js';

const home = mkdtempSync(join(tmpdir(), 'tollgate-examples-'));
process.on('exit', () => rmSync(home, { recursive: true, force: true }));

function tollgate(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), ...args], {
    cwd: repoPath(),
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate'), ...env },
  });
}

function checkFor(file: string): string[] {
  if (file.endsWith('.rules.yaml')) return ['rules', 'check', file];
  if (file.endsWith('.config.yaml')) return ['config', 'check', file];
  if (file.endsWith('.openapi.yaml'))
    return ['export', '--api', file, '--out', join(home, 'exported.yaml')];
  throw new Error(`${file}: no check is known for this example; add one to test/examples.test.ts`);
}

const examples = readdirSync(repoPath('examples'))
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .map((f) => `examples/${f}`);

test('the examples are found', () => {
  assert.ok(
    examples.includes('examples/tollgate.config.yaml') &&
      examples.includes('examples/petstore-api.rules.yaml'),
    examples.join(', '),
  );
});

for (const file of examples) {
  test(`${file} passes ${checkFor(file).slice(0, 2).join(' ')}`, () => {
    const r = tollgate(checkFor(file));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.includes('tollgate:'), false, r.stderr);
  });
}

test("deploy/tollgate.config.yaml passes config check with the stack's issuer settings, and says what is missing without them", () => {
  const ok = tollgate(['config', 'check', 'deploy/tollgate.config.yaml'], {
    TOKEN_ISSUER: 'https://tenant.example.com/',
    AUDIENCE: 'https://petstore.example.com',
  });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid\. 1 issuer \(https:\/\/tenant\.example\.com\/\); 4 routes/);
  const missing = tollgate(['config', 'check', 'deploy/tollgate.config.yaml']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /issuers is required \(or set TOKEN_ISSUER in the environment\)/);
});

test("the config npm start runs is checked with serve's development provider as its issuer", () => {
  const r = tollgate(['config', 'check', 'examples/serve.config.yaml']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /the development provider of 'tollgate serve'/);
});
