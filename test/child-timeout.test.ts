// The tests' child-process helpers never let a hung child stall the suite: past its time limit the
// child is killed and the test fails with a message naming the command, never showing a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCommand, spawn, spawnSync } from './support/child.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const HANG = ['-e', 'setInterval(() => {}, 1000)', '--', 'token', TOKEN];

test('a spawned child past its limit is killed and reported by command, without the token', async () => {
  const child = spawn(process.execPath, HANG, { timeout: 300 });
  const error = await new Promise<Error>((resolve) => child.once('error', resolve));
  const signal = await new Promise((resolve) => child.once('close', (_code, s) => resolve(s)));
  assert.equal(signal, 'SIGKILL');
  assert.match(
    error.message,
    /did not finish within 0\.3 s and was killed: .*node.* token <token>$/,
  );
  assert.ok(!error.message.includes(TOKEN));
});

test('spawnSync past its limit throws naming the command, without the token', () => {
  assert.throws(
    () => spawnSync(process.execPath, HANG, { timeout: 300 }),
    (e: Error) => /did not finish within 0\.3 s/.test(e.message) && !e.message.includes(TOKEN),
  );
});

test('a child that finishes in time is untouched', async () => {
  const r = spawnSync(process.execPath, ['-e', 'console.log(42)'], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), '42');
  const child = spawn(process.execPath, ['-e', 'process.exit(3)']);
  assert.equal(await new Promise((resolve) => child.once('close', resolve)), 3);
});

test('bearer credentials are redacted from the description', () => {
  assert.equal(
    describeCommand('curl', ['-H', 'Authorization: Bearer abc.def', 'http://127.0.0.1/']),
    'curl -H "Authorization: Bearer <redacted>" http://127.0.0.1/',
  );
});
