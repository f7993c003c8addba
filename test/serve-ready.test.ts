// Issue 9, item 1: `tollgate serve` answers no request before its gateway, functions and mounts
// are ready. The server is started as `npm start` starts it and hammered from the moment its port
// accepts connections: every answer is the ready gateway's, and every request has a log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { repoPath } from './support/paths.js';
import { createGatewayServer } from '../src/gateway/server.js';
import type { Gateway } from '../src/gateway/gateway.js';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

const EXPECTED: Record<string, number> = { '/pets': 401, '/public': 200, '/': 200 };

async function hammer(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-ready-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      repoPath('bin', 'tollgate.js'),
      'serve',
      '--config',
      repoPath('examples', 'serve.config.yaml'),
      '--port',
      String(port),
    ],
    {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const started = Date.now();
  try {
    while (!(await accepts(port))) {
      assert.equal(child.exitCode, null, `serve exited: ${stderr}`);
      assert.ok(Date.now() - started < 60_000, 'the port opened within a minute');
      await new Promise((r) => setTimeout(r, 2));
    }
    const answers: { path: string; status: number; early: boolean }[] = [];
    // Rounds of all three paths at once, until a few rounds after serve said it is ready.
    for (let after = 0; after < 3;) {
      const early = !stderr.includes('Ctrl-C');
      const round = await Promise.all(
        Object.keys(EXPECTED).map(async (path) => ({
          path,
          status: (await fetch(`http://127.0.0.1:${port}${path}`)).status,
          early,
        })),
      );
      answers.push(...round);
      if (!early) after++;
    }
    for (const a of answers)
      assert.equal(
        a.status,
        EXPECTED[a.path],
        `${a.path} answered ${a.status}${a.early ? ' before serve said it was ready' : ''}`,
      );
    assert.ok(
      answers.some((a) => a.early),
      'some requests were sent before serve was ready (else this test proves nothing)',
    );
    await new Promise((r) => setTimeout(r, 100));
    const logged = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; path?: string; status?: number })
      .filter((l) => l.event === 'request');
    assert.equal(logged.length, answers.length, 'every request has an access-log line');
    for (const l of logged) assert.equal(l.status, EXPECTED[l.path!]);
  } finally {
    child.kill('SIGTERM');
    rmSync(home, { recursive: true, force: true });
  }
}

test(
  'from the moment serve opens its port: /pets 401, /public 200, / 200 on every request, each logged',
  hammer,
);

test('the same under a busy CPU', async () => {
  const busy = new Worker('for (;;) {}', { eval: true });
  try {
    await hammer();
  } finally {
    await busy.terminate();
  }
});

test('a request waits for readiness only so long: then 503 with a clear message, logged', async () => {
  const lines: Record<string, unknown>[] = [];
  const gateway = {
    cache: undefined,
    handle: () => Promise.reject(new Error('the gateway must not be called before it is ready')),
  } as unknown as Gateway;
  const server = createGatewayServer(gateway, {
    ready: new Promise<void>(() => {}),
    readyTimeoutMs: 50,
    log: (l) => lines.push(l),
  });
  const { url } = await server.listen(0);
  try {
    const res = await fetch(`${url}/pets`);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { message: string }).message, /still starting/);
    assert.deepEqual(lines, [
      { event: 'request', method: 'GET', path: '/pets', status: 503, reason: 'NOT_READY' },
    ]);
  } finally {
    await server.close();
  }
});
