// tollgate serve on the PetStore example, over real HTTP: issue 4's acceptance, as far as REST goes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  child = spawn(process.execPath, [repoPath('bin', 'tollgate.js'), 'serve', '--api', repoPath('examples', 'petstore.openapi.yaml'), '--function', `pets=${repoPath('examples', 'pets.mjs')}`, '--rules', repoPath('examples', 'petstore.rules.yaml'), '--port', '0'], {
    cwd: home,
    env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') },
  });
  child.stdout!.on('data', (d) => (stdout += d));
  url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
});
after(() => {
  child.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

const token = (scope: string): string => spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), 'token', '--scope', scope], { cwd: home, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') } }).stdout.trim();

test('anonymous GET /pets: 401 with API Gateway\'s body, without invoking the authorizer', async () => {
  const r = await fetch(`${url}/pets`);
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('x-amzn-errortype'), 'UnauthorizedException');
  assert.equal(await r.text(), '{"message":"Unauthorized"}');
});

test('a read:pets token gets 200 on GET /pets and 403 with API Gateway\'s body on POST /pets', async () => {
  const t = token('read:pets');
  const get = await fetch(`${url}/pets`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal(get.status, 200);
  const body = (await get.json()) as { pets: unknown[]; caller: { principalId: string } };
  assert.ok(body.pets.length >= 3);
  assert.equal(body.caller.principalId, 'dev-user');
  const post = await fetch(`${url}/pets`, { method: 'POST', headers: { authorization: `Bearer ${t}` }, body: '{"type":"bird"}' });
  assert.equal(post.status, 403);
  assert.equal(post.headers.get('x-amzn-errortype'), 'AccessDeniedException');
  assert.match(await post.text(), /^\{"Message":"User is not authorized to access this resource( with an explicit deny)?"\}$/);
  const write = await fetch(`${url}/pets`, { method: 'POST', headers: { authorization: `Bearer ${token('write:pets')}` }, body: '{"type":"bird"}' });
  assert.equal(write.status, 201);
  // Tollgate's per-route policy is not the seed sample's bug: no stale-policy explanation was logged.
  assert.doesNotMatch(stdout, /stale_cached_policy/);
});

test('the public mock route answers without a token', async () => {
  const r = await fetch(`${url}/`);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /Welcome to the PetStore/);
});

test('serve refuses a bad document or a missing function module with one line', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), 'serve', ...args], { cwd: home, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') } });
  const noApi = run([]);
  assert.equal(noApi.status, 2);
  assert.match(noApi.stderr, /--api FILE is required/);
  const noPets = run(['--api', repoPath('examples', 'petstore.openapi.yaml'), '--port', '0']);
  assert.equal(noPets.status, 2);
  assert.match(noPets.stderr, /pets/);
  assert.equal(noPets.stderr.trim().split('\n').filter((l) => l.startsWith('tollgate: ') && !l.includes('development issuer')).length, 1);
});
