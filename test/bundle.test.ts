import { ROOT as REPO_ROOT } from './support/paths.js';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from './support/child.js';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { startJwksServer } from './support/jwks-server.js';
import { evaluate } from './support/iam.js';
import { coldCall } from './support/cold-call.js';

const ROOT = REPO_ROOT;
const BUNDLE = join(ROOT, 'dist/authorizer/index.mjs');
const ZIP = join(ROOT, 'dist/tollgate-authorizer.zip');
// Issue 12: a cold TOKEN call loads at most this much of Tollgate's files (aws-jwt-verify: 18 KB).
// Was 49 KB with every shape split off; the settings reader, the reason messages, discovery and
// the token-source parser are now chunks of their own (31.9 KB). The warm path's decision counts
// (EMF lines) and per-ARN caches add 1.3 KB (33.2 KB); one Rollup chunk instead of esbuild's ten,
// and the TOKEN path no longer pulling the token-source parser, 30.9 KB; redirects, the JWKS
// failure line and the failure codes loaded only when needed, 29.8 KB.
const COLD_BUDGET = 30 * 1024;

before(() => {
  const r = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

/** The files a cold start loads: index.mjs and the chunks it imports statically, transitively. */
function coldStartFiles(): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (file: string): void => {
    if (out.has(file)) return;
    const code = readFileSync(join(ROOT, 'dist/authorizer', file), 'utf8');
    out.set(file, code);
    for (const m of code.matchAll(
      /(?:^|[;}\s])import\s*(?:[\w${},\s*]+from\s*)?["'](\.\/[^"']+)["']/g,
    ))
      visit(join(file, '..', m[1]!));
  };
  visit('index.mjs');
  return out;
}

test('the bundle is self-contained ESM: only node: builtins and its own chunks, no node_modules', () => {
  const dir = join(ROOT, 'dist/authorizer');
  const all = [
    ...new Set(['index.mjs', ...readdirSync(join(dir, 'chunks')).map((f) => `chunks/${f}`)]),
  ];
  for (const file of all) {
    const code = readFileSync(join(dir, file), 'utf8');
    const imports = [...code.matchAll(/(?:from\s*|import\s*\(?\s*)["']([^"']+)["']/g)].map(
      (m) => m[1]!,
    );
    for (const spec of imports)
      assert.match(spec, /^(node:|\.\.?\/)/, `${file}: unexpected import ${spec}`);
    assert.doesNotMatch(code, /node_modules/);
    // https (and with it tls) is loaded only when an https URL is fetched, not at cold start.
    assert.doesNotMatch(code, /from\s*["']node:https["']/);
    // Builtins come through process.getBuiltinModule in every file, as any may load during init
    // (the settings reader and validator do with a config file): see lambda/log-line.ts.
    assert.doesNotMatch(
      code,
      /(?:from\s*|import\s*\(?\s*)["']node:/,
      `${file} imports a builtin as ESM`,
    );
  }
});

test('a cold start without rules or a config file loads neither the rules engine nor the file validator', () => {
  const cold = coldStartFiles();
  const names = [...cold.keys()];
  assert.ok(!names.some((n) => /rules-engine|file-validate/.test(n)), names.join(', '));
  // The general handler (every other event shape) is a chunk of its own, loaded on first need.
  assert.ok(!names.some((n) => /handler/.test(n)), names.join(', '));
  const bytes = [...cold.values()].reduce((n, code) => n + Buffer.byteLength(code), 0);
  assert.ok(bytes <= COLD_BUDGET, `a cold start loads ${bytes} bytes`);
  // Builtins come through process.getBuiltinModule: Node's ESM wrapper of node:fs alone loads its
  // stream classes (about 0.5 ms with node:crypto's and node:http's, lambda/log-line.ts).
  for (const [name, code] of cold)
    assert.doesNotMatch(
      code,
      /(?:from\s*|import\s*\(?\s*)["']node:/,
      `${name} imports a builtin as ESM`,
    );
});

test('a cold TOKEN call loads only the TOKEN path: no other shape, no settings validator, no discovery, within budget', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-cold-'));
  const token = (await cliAsync(home, ['token', '--sub', 'cold'])).stdout.trim();
  const server = await startJwksServer(JSON.parse((await cliAsync(home, ['jwks'])).stdout).keys);
  try {
    const call = await coldCall(
      BUNDLE,
      join(ROOT, 'dist/authorizer'),
      {
        TOKEN_ISSUER: 'http://localhost:3000/idp',
        AUDIENCE: 'https://petstore.example.com',
        JWKS_URI: server.url,
      },
      {
        type: 'TOKEN',
        authorizationToken: `Bearer ${token}`,
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets',
      },
    );
    assert.equal(
      (call.answer.result as { principalId?: string } | undefined)?.principalId,
      'cold',
      JSON.stringify(call.answer) + call.stderr,
    );
    assert.equal(call.loaded[0], 'index.mjs');
    // Each file the ESM loader opens costs about a millisecond: the entry and one chunk, no more.
    assert.equal(call.loaded.length, 2, call.loaded.join(', '));
    const lazy =
      /handler|deployed-config|file-validate|rules-engine|discovery|http-redirect|jwks-failure/;
    assert.deepEqual(
      call.loaded.filter((f) => lazy.test(f)),
      [],
      call.loaded.join(', '),
    );
    assert.ok(
      call.bytes <= COLD_BUDGET,
      `a cold TOKEN call loads ${call.bytes} bytes: ${call.loaded.join(', ')}`,
    );
    // Nothing of Node's that Lambda's runtime has not loaded and the call does not need: the
    // performance global's perf_hooks (log-line.ts monotonicMs), the stream classes node:fs's ESM
    // wrapper loads, webcrypto.
    const needless =
      /^(perf_hooks|internal\/perf\/performance|internal\/fs\/streams|internal\/crypto\/webcrypto)$/;
    assert.deepEqual(
      call.builtins.filter((m) => needless.test(m)),
      [],
      call.builtins.join(', '),
    );
    assert.ok(call.builtins.includes('http'), call.builtins.join(', '));
    // The same environment through a setting the quick reader leaves alone loads the full reader.
    const full = await coldCall(
      BUNDLE,
      join(ROOT, 'dist/authorizer'),
      {
        TOKEN_ISSUER: 'http://localhost:3000/idp',
        AUDIENCE: 'https://petstore.example.com',
        JWKS_URI: server.url,
        CLOCK_TOLERANCE: '400',
      },
      { type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: 'x' },
    );
    assert.ok(
      full.loaded.some((f) => /deployed-config/.test(f)),
      full.loaded.join(', '),
    );
    assert.match(full.stderr + JSON.stringify(full.answer), /CLOCK_TOLERANCE/);
  } finally {
    await server.close();
  }
});

test('the zip holds index.mjs at its root and every chunk, identical to the files built', () => {
  const files = unzipSync(readFileSync(ZIP));
  assert.ok('index.mjs' in files);
  for (const [name, bytes] of Object.entries(files))
    assert.deepEqual(Buffer.from(bytes), readFileSync(join(ROOT, 'dist/authorizer', name)), name);
  assert.deepEqual(
    Object.keys(files).sort(),
    [
      'index.mjs',
      ...readdirSync(join(ROOT, 'dist/authorizer/chunks')).map((f) => `chunks/${f}`),
    ].sort(),
  );
});

test('the bundle answers a TOKEN event through tollgate invoke --handler, and refuses a forged one', () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'bin/tollgate.js'), ...args], {
      cwd: home,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
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
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/tollgate.js'), 'invoke', '--token', 'x.y.z', '--handler', BUNDLE],
    {
      cwd: home,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TOKEN_ISSUER: 'https://issuer.example.com/' },
    },
  );
  assert.equal(r.status, 2);
  assert.match(r.stderr, /AUDIENCE is required/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

function cliAsync(
  home: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/tollgate.js'), ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('the deployed bundle with a JSON config file and inline route rules loads its chunks and decides per route', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
  const read = (
    await cliAsync(home, ['token', '--sub', 'dana', '--scope', 'read:pets'])
  ).stdout.trim();
  const server = await startJwksServer(JSON.parse((await cliAsync(home, ['jwks'])).stdout).keys);
  try {
    const config = {
      issuers: [
        {
          issuer: 'http://localhost:3000/idp',
          audience: 'https://petstore.example.com',
          jwksUri: server.url,
        },
      ],
      rules: {
        default: 'deny',
        routes: [
          { route: 'GET /pets/{petId}', scopes: ['read:pets'] },
          { route: 'DELETE /pets/{petId}', groups: ['admins'] },
        ],
      },
    };
    const configFile = join(home, 'tollgate.config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';
    const invoke = async (method: string) => {
      const eventFile = join(home, `event-${method}.json`);
      writeFileSync(
        eventFile,
        JSON.stringify({
          type: 'TOKEN',
          authorizationToken: `Bearer ${read}`,
          methodArn: `${arn}/${method}/pets/1`,
        }),
      );
      return cliAsync(home, ['invoke', '--event', eventFile, '--handler', BUNDLE], {
        TOLLGATE_CONFIG: configFile,
      });
    };
    const get = await invoke('GET');
    assert.equal(get.status, 0, get.stderr);
    const policy = JSON.parse(get.stdout);
    assert.equal(evaluate(policy, `${arn}/GET/pets/2`), 'allow');
    assert.notEqual(evaluate(policy, `${arn}/DELETE/pets/2`), 'allow');
    const del = await invoke('DELETE');
    assert.equal(del.status, 3, del.stderr);
    assert.match(del.stderr, /GROUP_INSUFFICIENT/);

    writeFileSync(
      configFile,
      JSON.stringify({ ...config, rules: { routes: [{ route: 'GET pets' }] } }),
    );
    const bad = await invoke('GET');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /rules is invalid: routes\[0\]/);
  } finally {
    await server.close();
  }
});

test("invoke --handler hands the CLI's config file (YAML, rules file beside it) to the built module as JSON", async () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
  const token = (
    await cliAsync(home, ['token', '--sub', 'erin', '--scope', 'read:pets'])
  ).stdout.trim();
  const server = await startJwksServer(JSON.parse((await cliAsync(home, ['jwks'])).stdout).keys);
  try {
    writeFileSync(
      join(home, 'rules.yaml'),
      'routes:\n  - route: GET /pets/{id}\n    scopes: [read:pets]\n  - route: DELETE /pets/{id}\n    scopes: [admin]\n',
    );
    writeFileSync(
      join(home, 'tollgate.config.yaml'),
      `issuers:\n  - issuer: http://localhost:3000/idp\n    audience: https://petstore.example.com\n    jwksUri: ${server.url}\nrules: ./rules.yaml\n`,
    );
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';
    const del = await cliAsync(home, [
      'invoke',
      '--token',
      token,
      '--method-arn',
      `${arn}/DELETE/pets/1`,
      '--handler',
      BUNDLE,
    ]);
    assert.equal(del.status, 3, del.stderr);
    const get = await cliAsync(home, [
      'invoke',
      '--token',
      token,
      '--method-arn',
      `${arn}/GET/pets/1`,
      '--handler',
      BUNDLE,
    ]);
    assert.equal(get.status, 0, get.stderr);
  } finally {
    await server.close();
  }
});

test('npm run bundle embeds a config file found here in the code, rules inlined, and refuses a broken one', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-embed-'));
  writeFileSync(join(home, 'rules.yaml'), 'routes:\n  - route: GET /pets\n    public: true\n');
  const config = join(home, 'tollgate.config.yaml');
  writeFileSync(
    config,
    'issuers:\n  - issuer: https://legacy.example.com\n    audience: api\n    secret: { env: PROD_ONLY_SECRET }\nrules: ./rules.yaml\n',
  );
  const build = spawnSync(process.execPath, ['scripts/bundle.mjs'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TOLLGATE_CONFIG: config, RULES_FILE: '' },
  });
  try {
    assert.equal(build.status, 0, build.stderr);
    // esbuild may hoist the embedded document into a chunk that index.mjs imports statically.
    const code = [...coldStartFiles().values()].join('\n');
    assert.match(
      code,
      /"GET \/pets"/,
      'rules inlined into the bundle; the production secret was not needed to build',
    );
    assert.match(code, /legacy\.example\.com/);
    assert.ok(!code.includes('placeholder'), 'no build-time placeholder leaks into the bundle');
    writeFileSync(join(home, 'rules.yaml'), 'routes:\n  - route: GET pets\n');
    const broken = spawnSync(process.execPath, ['scripts/bundle.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TOLLGATE_CONFIG: config },
    });
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /rules\.yaml:2:\d+/);
  } finally {
    // Leave the bundle as the other tests expect it: no embedded config.
    spawnSync(process.execPath, ['scripts/bundle.mjs'], {
      cwd: ROOT,
      env: { ...process.env, TOLLGATE_CONFIG: '' },
    });
  }
});

test("the README's lambda-local command runs the bundle on a TOKEN event.json and prints the Allow policy", async () => {
  // The command as the README gives it (its continuation lines joined), so the two cannot drift.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const found = /^npx lambda-local (?:.*\\\n)*.*/m.exec(readme);
  assert.ok(found, 'the README gives a lambda-local command');
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-lambda-local-'));
  const home = join(dir, '.tollgate');
  const env = { PATH: process.env.PATH ?? '', TOLLGATE_HOME: home };
  const token = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/tollgate.js'), 'token', '--sub', 'alice', '--scope', 'read:pets'],
    { cwd: dir, encoding: 'utf8', env },
  ).stdout.trim();
  writeFileSync(
    join(dir, 'event.json'),
    JSON.stringify({
      type: 'TOKEN',
      authorizationToken: `Bearer ${token}`,
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets',
    }),
  );
  // The README's folder layout: dist/ and node_modules/ of this checkout (so npx finds lambda-local locally).
  symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "lambda-local-check", "private": true }');
  const jwks = spawn(
    process.execPath,
    [join(ROOT, 'bin/tollgate.js'), 'jwks', '--serve', '--port', '0'],
    { cwd: dir, env },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const seen = (d: Buffer): void => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+)\/\.well-known\/jwks\.json/.exec(out);
        if (m) resolve(m[1]!);
      };
      jwks.stdout.on('data', seen);
      jwks.stderr.on('data', seen);
      jwks.once('exit', (code) =>
        reject(new Error(`tollgate jwks --serve exited ${code}: ${out}`)),
      );
    });
    // Only the JWKS port differs from the README's (a free one here).
    const command = found![0].replace(/\\\n\s*/g, ' ').replace('http://127.0.0.1:4000', url);
    const run = spawnSync('sh', ['-c', command], {
      cwd: dir,
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /"principalId": "alice"/);
    assert.match(run.stdout, /"Effect": "Allow"/);
    assert.match(run.stdout, /Lambda successfully executed/);
  } finally {
    jwks.kill();
  }
});
