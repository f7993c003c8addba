// tollgate serve on the PetStore example as `npm start` runs it (examples/serve.config.yaml), over
// real HTTP: issue 4's acceptance, with the development provider and the sign-in page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, SERVER_CHILD_MS, type ChildProcess } from './support/child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './support/paths.js';

let home: string;
let child: ChildProcess;
let url: string;
let stdout = '';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-serve-'));
  child = spawn(
    process.execPath,
    [
      repoPath('bin', 'tollgate.js'),
      'serve',
      '--config',
      repoPath('examples', 'serve.config.yaml'),
      '--port',
      '0',
    ],
    {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') },
      timeout: SERVER_CHILD_MS,
    },
  );
  child.stdout!.on('data', (d) => (stdout += d));
  url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /serving .* at (http:\/\/localhost:\d+)/.exec(err);
      if (m && err.includes('Ctrl-C')) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
});
after(() => {
  child.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

// `tollgate token` signs for the issuer at PORT, where serve runs its development provider.
const token = (scope: string): string =>
  spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), 'token', '--scope', scope], {
    cwd: home,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      TOLLGATE_HOME: join(home, '.tollgate'),
      PORT: new URL(url).port,
    },
  }).stdout.trim();

test("anonymous GET /pets: 401 with API Gateway's body, without invoking the authorizer", async () => {
  const r = await fetch(`${url}/pets`);
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('x-amzn-errortype'), 'UnauthorizedException');
  assert.equal(await r.text(), '{"message":"Unauthorized"}');
});

test("a read:pets token gets 200 on GET /pets and 403 with API Gateway's body on POST /pets", async () => {
  const t = token('read:pets');
  const get = await fetch(`${url}/pets`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal(get.status, 200);
  const body = (await get.json()) as {
    store: string;
    pets: unknown[];
    caller: { principalId: string };
  };
  assert.ok(body.pets.length >= 3);
  assert.equal(
    body.store,
    'Tollgate PetStore',
    "the function's own environment (serve.functions.pets.environment)",
  );
  assert.equal(body.caller.principalId, 'dev-user');
  const post = await fetch(`${url}/pets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t}` },
    body: '{"type":"bird"}',
  });
  assert.equal(post.status, 403);
  assert.equal(post.headers.get('x-amzn-errortype'), 'AccessDeniedException');
  assert.match(
    await post.text(),
    /^\{"Message":"User is not authorized to access this resource( with an explicit deny)?"\}$/,
  );
  const write = await fetch(`${url}/pets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token('write:pets')}` },
    body: '{"type":"bird"}',
  });
  assert.equal(write.status, 201);
  // Tollgate's per-route policy is not the seed sample's bug: no stale-policy explanation was logged.
  assert.doesNotMatch(stdout, /stale_cached_policy/);
});

test('the public mock route answers without a token', async () => {
  const r = await fetch(`${url}/public`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /Welcome to the PetStore/);
});

test('the development provider at /idp is the issuer, and the sign-in page is at /', async () => {
  const discovery = (await (await fetch(`${url}/idp/.well-known/openid-configuration`)).json()) as {
    issuer: string;
    jwks_uri: string;
  };
  assert.equal(discovery.issuer, `${url}/idp`);
  const jwks = (await (await fetch(discovery.jwks_uri)).json()) as {
    keys: { kid: string; d?: string }[];
  };
  const [, header] = /^([^.]+)/.exec(token('read:pets'))!;
  assert.ok(
    jwks.keys.some(
      (k) =>
        k.kid === (JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid: string }).kid,
    ),
    "`tollgate token` signs with the provider's key",
  );
  assert.ok(
    jwks.keys.every((k) => k.d === undefined),
    'no private key material',
  );
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const config = (await (await fetch(`${url}/_tollgate/config.json`)).json()) as {
    issuer: string;
    clientId: string;
  };
  assert.equal(config.issuer, `${url}/idp`);
});

test('serve refuses a bad document or a missing function module with one line', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), 'serve', ...args], {
      cwd: home,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') },
    });
  const noApi = run([]);
  assert.equal(noApi.status, 2);
  assert.match(noApi.stderr, /--api FILE is required/);
  const noPets = run(['--api', repoPath('examples', 'petstore.openapi.yaml'), '--port', '0']);
  assert.equal(noPets.status, 2);
  assert.match(noPets.stderr, /no local function for pets/);
  assert.equal(noPets.stderr.trim().split('\n').length, 1);
  const badModule = run([
    '--api',
    repoPath('examples', 'petstore.openapi.yaml'),
    '--function',
    'pets=./nowhere.mjs',
    '--port',
    '0',
  ]);
  assert.equal(badModule.status, 2);
  assert.match(badModule.stderr, /pets: cannot load .*nowhere\.mjs/);
});
