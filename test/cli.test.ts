import { repoPath } from './support/paths.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { mkdtempSync, rmSync, writeFileSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { claims, generateKey, sign, ISSUER, AUDIENCE } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';

// The CLI runs from the build (npm test builds first), as a user runs it.
const BIN = repoPath('bin', 'tollgate.js');
let home: string;
let server: JwksServer;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  server = await startJwksServer([]);
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

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Changes one signature character to another whose decoded bits differ. */
function alterSignature(token: string): string {
  const i = token.lastIndexOf('.') + 5;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

test('token mints a development token; invoke prints an Allow policy; an altered signature prints Unauthorized', async () => {
  const minted = await run([
    'token',
    '--sub',
    'alice',
    '--scope',
    'read:pets',
    '--expires-in',
    '15m',
  ]);
  assert.equal(minted.code, 0, minted.stderr);
  const token = minted.stdout.trim();
  const payload = decodeJwt(token);
  assert.equal(payload.sub, 'alice');
  assert.equal(payload.scope, 'read:pets');
  assert.equal((payload.exp as number) - (payload.iat as number), 900);
  assert.equal(decodeProtectedHeader(token).alg, 'RS256');
  assert.equal(
    statSync(join(home, '.tollgate', 'dev-key.json')).mode & 0o777,
    0o600,
    'the private key is readable only by its owner',
  );

  const eventFile = join(home, 'event.json');
  writeFileSync(
    eventFile,
    JSON.stringify({
      type: 'TOKEN',
      authorizationToken: `Bearer ${token}`,
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets',
    }),
  );
  const allowed = await run(['invoke', '--event', eventFile]);
  assert.equal(allowed.code, 0, allowed.stderr);
  const policy = JSON.parse(allowed.stdout);
  assert.equal(policy.principalId, 'alice');
  assert.equal(policy.policyDocument.Statement[0].Effect, 'Allow');
  assert.match(allowed.stderr, /no issuer configured: using the development issuer/);

  writeFileSync(
    eventFile,
    JSON.stringify({
      type: 'TOKEN',
      authorizationToken: `Bearer ${alterSignature(token)}`,
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets',
    }),
  );
  const refused = await run(['invoke', '--event', eventFile]);
  assert.equal(refused.stdout.trim(), 'Unauthorized');
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /"reason":"SIGNATURE_INVALID"/);
});

test('invoke with required scopes prints a Deny policy and exits 3', async () => {
  const token = (await run(['token', '--scope', 'read:pets'])).stdout.trim();
  const denied = await run(['invoke', '--token', token], { REQUIRED_SCOPES: 'write:pets' });
  assert.equal(denied.code, 3, denied.stderr);
  assert.equal(JSON.parse(denied.stdout).policyDocument.Statement[0].Effect, 'Deny');
});

test('invoke with --env-file trusts the configured issuer, not the development one', async () => {
  const key = generateKey('ES256');
  server.setKeys([key.jwk]);
  const envFile = join(home, 'issuer.env');
  writeFileSync(
    envFile,
    `# a real issuer\nTOKEN_ISSUER=${ISSUER}\nJWKS_URI="${server.url}"\nAUDIENCE=${AUDIENCE}\nALGORITHMS=ES256\n`,
  );
  const now = Math.floor(Date.now() / 1000);
  const good = await sign(key, claims({ iat: now, exp: now + 600 }));
  const ok = await run(['invoke', '--token', good, '--env-file', envFile]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.doesNotMatch(ok.stderr, /development issuer/);
  const devToken = (await run(['token'])).stdout.trim();
  const refused = await run(['invoke', '--token', devToken, '--env-file', envFile]);
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /ALG_NOT_ALLOWED/);
});

test('invoke reports an identity provider outage as a failure (exit 5), not Unauthorized', async () => {
  const down = await startJwksServer([]);
  down.setMode({ kind: 'status', status: 500 });
  const token = (await run(['token'])).stdout.trim();
  const r = await run(['invoke', '--token', token], {
    TOKEN_ISSUER: 'http://localhost:3000/idp',
    AUDIENCE: 'https://petstore.example.com',
    JWKS_URI: down.url,
  });
  await down.close();
  assert.equal(r.code, 5);
  assert.match(r.stderr, /Authorizer failure: JWKS_UNAVAILABLE/);
});

test('explain shows unverified claims and each check with its reason code', async () => {
  const token = (
    await run(['token', '--sub', 'dave', '--aud', 'https://other.example.com'])
  ).stdout.trim();
  const r = await run(['explain', token]);
  assert.equal(r.code, 4);
  assert.match(r.stdout, /Claims \(unverified\)/);
  assert.match(r.stdout, /"sub": "dave"/);
  assert.match(r.stdout, /PASS {2}signature/);
  assert.match(r.stdout, /FAIL {2}aud +AUDIENCE_MISMATCH/);
  assert.match(r.stdout, /Decision: Unauthorized .*AUDIENCE_MISMATCH/);
  assert.ok(!r.stdout.includes(token), 'the token itself is never printed');
  const good = (await run(['token'])).stdout.trim();
  const ok = await run(['explain', good]);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /Decision: Allow/);
  assert.doesNotMatch(ok.stdout, /FAIL/);
});

test('jwks prints the development public key without private members', async () => {
  const r = await run(['jwks']);
  assert.equal(r.code, 0);
  const jwks = JSON.parse(r.stdout);
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].kty, 'RSA');
  assert.equal(jwks.keys[0].d, undefined);
  const stored = JSON.parse(readFileSync(join(home, '.tollgate', 'dev-key.json'), 'utf8'));
  assert.equal(jwks.keys[0].kid, stored.kid);
});

test('every command has --help; bad arguments give one line and exit 2', async () => {
  for (const cmd of ['token', 'invoke', 'explain', 'jwks']) {
    const r = await run([cmd, '--help']);
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, new RegExp(`Usage: tollgate ${cmd}`));
  }
  const bad: string[][] = [
    ['frobnicate'],
    ['token', '--bogus'],
    ['token', '--expires-in', 'soon'],
    ['token', '--claim', 'novalue'],
    ['invoke'],
    ['invoke', '--event', 'missing.json'],
    ['explain'],
    ['jwks', '--serve', '--port', 'x'],
  ];
  for (const args of bad) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^tollgate: /);
  }
  const noConfig = await run(['invoke', '--token', 'x'], {
    TOKEN_ISSUER: 'https://issuer.example.com/',
  });
  assert.equal(noConfig.code, 2);
  assert.match(noConfig.stderr, /AUDIENCE is required/);
});

test('issuer settings without TOKEN_ISSUER: invoke, explain and serve refuse to start (exit 2, one line naming it), never the development issuer', async () => {
  const token = (await run(['token'])).stdout.trim();
  assert.equal(
    (await run(['invoke', '--token', token])).code,
    0,
    'no issuer setting at all: the development issuer',
  );
  const half: [Record<string, string>, RegExp][] = [
    [
      { JWKS_URI: server.url, AUDIENCE: 'https://petstore.example.com' },
      /^tollgate: JWKS_URI and AUDIENCE are set but TOKEN_ISSUER is not/,
    ],
    [
      { AUDIENCE: 'https://petstore.example.com' },
      /^tollgate: AUDIENCE is set but TOKEN_ISSUER is not/,
    ],
    [
      { TOKEN_SECRET: 'x'.repeat(40), TOKEN_ISSUER: '  ' },
      /TOKEN_SECRET is set but TOKEN_ISSUER is not/,
    ],
    [
      { PRESET: 'auth0', TOKEN_USE: 'id', ALGORITHMS: 'RS256', JWKS_URI: '' },
      /ALGORITHMS, PRESET and TOKEN_USE are set but TOKEN_ISSUER is not/,
    ],
  ];
  const config = repoPath('examples', 'serve.config.yaml');
  const commands = [
    ['invoke', '--token', token],
    ['explain', token],
    ['serve', '--config', config, '--port', '0'],
  ];
  for (const [i, [env, message]] of half.entries()) {
    // Every command on the first; the settings' names on invoke (all three share the check).
    for (const args of i === 0 ? commands : commands.slice(0, 1)) {
      const r = await run(args, env);
      const label = `${args[0]} ${JSON.stringify(env)}`;
      assert.equal(r.code, 2, `${label}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${label}: ${r.stderr}`);
      assert.match(r.stderr, message, label);
      assert.doesNotMatch(r.stdout, /Allow/, label);
    }
  }
});

test('npm run tour shows an Allow, a Deny and an Unauthorized on the development issuer', async () => {
  const root = repoPath();
  const r = await new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [join(root, 'scripts/tour.mjs')], {
      cwd: home,
      env: {
        PATH: process.env.PATH ?? '',
        TOLLGATE_HOME: join(home, '.tollgate'),
        TOKEN_ISSUER: 'https://somewhere.example.com/',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /"Effect": "Allow"/);
  assert.match(r.stdout, /"Effect": "Deny"/);
  assert.match(r.stdout, /^Unauthorized$/m);
  assert.match(r.stdout, /Decision: Unauthorized .*SIGNATURE_INVALID/);
});
