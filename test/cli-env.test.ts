// Where invoke, explain and serve get their settings: --env-file (whose missing file is Tollgate's
// one-line error, not Node's exit 9), ./.env when present, and the process environment over both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoPath } from './support/paths.js';
import { claims, generateKey, sign, ISSUER, AUDIENCE, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';

const BIN = repoPath('bin', 'tollgate.js');
let home: string;
let server: JwksServer;
let key: TestKey;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-env-'));
  key = generateKey('ES256');
  server = await startJwksServer([key.jwk]);
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the bin as a user's shell does, through its #! line (not `node bin/tollgate.js`), in `cwd`;
 * `until` ends a long-running command (serve) once stderr matches it.
 */
function run(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; until?: RegExp } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
    const child = spawn(BIN, args, {
      cwd: options.cwd ?? home,
      env: { PATH, TOLLGATE_HOME: join(home, '.tollgate'), ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (options.until?.test(stderr)) child.kill('SIGTERM');
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const issuerSettings = (audience = AUDIENCE): string =>
  `TOKEN_ISSUER=${ISSUER}\nJWKS_URI=${server.url}\nAUDIENCE=${audience}\nALGORITHMS=ES256\n`;

async function goodToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(key, claims({ iat: now, exp: now + 600 }));
}

test('a missing --env-file is one line and exit 2 for invoke, explain and serve, in both forms', async () => {
  const missing = join(home, 'nope.env');
  for (const command of [
    ['invoke', '--token', 'x.y.z'],
    ['explain', 'x.y.z'],
    ['serve', '--config', repoPath('examples', 'serve.config.yaml'), '--port', '0'],
  ]) {
    for (const form of [['--env-file', missing], [`--env-file=${missing}`]]) {
      const r = await run([...command, ...form]);
      const what = [...command, ...form].join(' ');
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.equal(
        r.stderr,
        `tollgate: cannot read env file ${missing}: there is no such file\n`,
        what,
      );
    }
  }
});

test('invoke and explain read ./.env when present, say so, and the process environment wins over it', async () => {
  const dir = join(home, 'with-dotenv');
  mkdirSync(dir);
  writeFileSync(join(dir, '.env'), `# as dotenv reads it\n${issuerSettings()}`);
  const token = await goodToken();
  const invoked = await run(['invoke', '--token', token], { cwd: dir });
  assert.equal(invoked.code, 0, invoked.stderr);
  assert.match(
    invoked.stderr,
    /^tollgate: read \.env in this folder \(TOKEN_ISSUER, JWKS_URI, AUDIENCE, ALGORITHMS\)/,
  );
  assert.doesNotMatch(invoked.stderr, /development issuer/);
  const explained = await run(['explain', token], { cwd: dir });
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(explained.stderr, /read \.env in this folder/);
  assert.match(explained.stdout, /Checks against TOKEN_ISSUER=https:\/\/issuer\.example\.com\//);

  const overridden = await run(['explain', token], {
    cwd: dir,
    env: { AUDIENCE: 'https://other.example.com' },
  });
  assert.equal(overridden.code, 4, "the environment's AUDIENCE is used, not .env's");
  assert.match(overridden.stdout, /AUDIENCE_MISMATCH/);
  assert.match(overridden.stderr, /tollgate: AUDIENCE from the environment wins over \.env\n/);
});

test('--env-file replaces ./.env, which is then not read', async () => {
  const dir = join(home, 'replaced');
  mkdirSync(dir);
  writeFileSync(join(dir, '.env'), issuerSettings('https://wrong.example.com'));
  writeFileSync(join(dir, 'real.env'), issuerSettings());
  const r = await run(['invoke', '--token', await goodToken(), '--env-file', 'real.env'], {
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /\.env in this folder/);
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, '.env'), 'TOKEN_ISSUER https://x\n');
  const broken = await run(['explain', 'x.y.z'], { cwd: bad });
  assert.equal(broken.code, 2);
  assert.equal(broken.stderr, 'tollgate: .env:1: expected KEY=value\n');
});

test('serve reads ./.env: the issuer it names is trusted instead of the development provider', async () => {
  const dir = join(home, 'serve');
  mkdirSync(dir);
  writeFileSync(join(dir, '.env'), issuerSettings());
  const r = await run(
    ['serve', '--config', repoPath('examples', 'serve.config.yaml'), '--port', '0'],
    { cwd: dir, until: /Ctrl-C to stop/ },
  );
  assert.match(
    r.stderr,
    /read \.env in this folder \(TOKEN_ISSUER, JWKS_URI, AUDIENCE, ALGORITHMS\)/,
  );
  assert.match(r.stderr, /trusting https:\/\/issuer\.example\.com\//);
  assert.doesNotMatch(r.stderr, /development OpenID provider/);
});
