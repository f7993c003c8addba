// A config file with two issuers and route rules, through tollgate invoke, explain and config check.
import { ROOT as REPO_ROOT } from './support/paths.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { evaluate } from './support/iam.js';

const ROOT = REPO_ROOT;
const HMAC_ISSUER = 'https://legacy.example.com';
const SECRET = 'legacy-shared-secret-of-32-bytes';
let home: string;
let server: JwksServer;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/tollgate.js'), ...args], {
      cwd: home,
      env: {
        PATH: process.env.PATH ?? '',
        TOLLGATE_HOME: join(home, '.tollgate'),
        LEGACY_SECRET: SECRET,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-config-'));
  await cli(['token']); // creates the development key
  server = await startJwksServer(JSON.parse((await cli(['jwks'])).stdout).keys);
  writeFileSync(
    join(home, 'pets.rules.yaml'),
    [
      'default: deny',
      'routes:',
      '  - route: GET /pets/{petId}',
      '    scopes: [read:pets]',
      '  - route: DELETE /pets/{petId}',
      '    scopes: [admin]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(home, 'tollgate.config.yaml'),
    [
      'issuers:',
      '  - issuer: http://localhost:3000/idp',
      '    audience: https://petstore.example.com',
      `    jwksUri: ${server.url}`,
      `  - issuer: ${HMAC_ISSUER}`,
      '    audience: legacy-api',
      '    secret: { env: LEGACY_SECRET }',
      'rules: ./pets.rules.yaml',
      'context:',
      '  claims: [scope, email]',
      '  rename: { email: userEmail }',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';

test('config check reports both issuers and the rules', async () => {
  const r = await cli(['config', 'check']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /valid\. 2 issuers .*2 routes, default deny/);
});

test('a JWKS issuer and an HMAC issuer in one authorizer, both under the same route rules', async () => {
  const jwksToken = (
    await cli([
      'token',
      '--sub',
      'alice',
      '--scope',
      'read:pets',
      '--claim',
      'email="alice@example.com"',
    ])
  ).stdout.trim();
  const now = Math.floor(Date.now() / 1000);
  const hmacToken = await new SignJWT({ sub: 'legacy-client', scope: 'read:pets admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(HMAC_ISSUER)
    .setAudience('legacy-api')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(Buffer.from(SECRET));

  const a = await cli(['invoke', '--token', jwksToken, '--method-arn', `${ARN}/GET/pets/7`]);
  assert.equal(a.code, 0, a.stderr);
  const policyA = JSON.parse(a.stdout);
  assert.deepEqual(policyA.context, { scope: 'read:pets', userEmail: 'alice@example.com' });
  assert.notEqual(evaluate(policyA, `${ARN}/DELETE/pets/7`), 'allow');

  const b = await cli(['invoke', '--token', hmacToken, '--method-arn', `${ARN}/DELETE/pets/7`]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(evaluate(JSON.parse(b.stdout), `${ARN}/GET/pets/1`), 'allow');

  // The HMAC issuer's secret does not sign for the JWKS issuer.
  const forged = await new SignJWT({ sub: 'mallory', scope: 'read:pets' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('http://localhost:3000/idp')
    .setAudience('https://petstore.example.com')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(Buffer.from(SECRET));
  const f = await cli(['invoke', '--token', forged, '--method-arn', `${ARN}/GET/pets/7`]);
  assert.equal(f.code, 4);
  assert.match(f.stderr, /ALG_NOT_ALLOWED/);

  const e = await cli(['explain', hmacToken]);
  assert.equal(e.code, 0, e.stdout + e.stderr);
  assert.match(
    e.stdout,
    /TOKEN_ISSUER=https:\/\/legacy\.example\.com AUDIENCE=legacy-api ALGORITHMS=HS256/,
  );
});

test('a config error names the file, line and key; TOKEN_ISSUER and file issuers together are refused', async () => {
  writeFileSync(
    join(home, 'bad.yaml'),
    'issuers:\n  - issuer: https://x.example.com/\n    audience: a\n    algorithms: [RS256, none]\n',
  );
  const r = await cli(['config', 'check', 'bad.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.yaml:4:\d+: issuers\[0\]\.algorithms\[1\]/);
  const both = await cli(['config', 'check'], { TOKEN_ISSUER: 'https://other.example.com/' });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /TOKEN_ISSUER is set and the config file lists issuers/);
  const noSecret = await cli(['config', 'check'], { LEGACY_SECRET: '' });
  assert.equal(noSecret.code, 2);
  assert.match(noSecret.stderr, /LEGACY_SECRET is not set/);
});
