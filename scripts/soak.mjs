// npm run soak: bounded load on `npm start`'s configuration (examples/serve.config.yaml), a child
// process on a free port of 127.0.0.1. A mix of distinct valid tokens, no token, bad tokens,
// oversized bodies and slow clients, for a fixed time; prints requests/s, p50/p99, errors and the
// gateway's peak resident memory, and exits 1 past any stated bound (issue 10).
//
// Settings (environment): SOAK_SECONDS (20), SOAK_CONCURRENCY (16), SOAK_TOKENS distinct tokens (300),
// SOAK_SLOW_CLIENTS held open at once (20), and the bounds SOAK_MAX_P99_MS (1000),
// SOAK_MAX_RSS_MB (400), SOAK_MAX_ERRORS (0), SOAK_MIN_RPS (20).
/* global setInterval, clearInterval */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const setting = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`soak: ${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
};
const S = {
  seconds: setting('SOAK_SECONDS', 20),
  concurrency: Math.max(1, Math.floor(setting('SOAK_CONCURRENCY', 16))),
  tokens: Math.max(1, Math.floor(setting('SOAK_TOKENS', 300))),
  slowClients: Math.floor(setting('SOAK_SLOW_CLIENTS', 20)),
  maxP99Ms: setting('SOAK_MAX_P99_MS', 1000),
  maxRssMb: setting('SOAK_MAX_RSS_MB', 400),
  maxErrors: setting('SOAK_MAX_ERRORS', 0),
  minRps: setting('SOAK_MIN_RPS', 20),
};
// Every loop below stops at the deadline or at this many requests, whichever comes first.
const MAX_REQUESTS = 2_000_000;
/** The gateway's headersTimeout (10 s) plus its checking interval and some slack. */
const SLOW_CLOSE_MS = 12_500;

/** Starts `tollgate serve` as `npm start` does, on a free port; resolves once it listens. */
function startGateway(home) {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'tollgate.js'),
      'serve',
      '--config',
      join(root, 'examples', 'serve.config.yaml'),
      '--port',
      '0',
    ],
    {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(home, '.tollgate') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`the gateway did not start within 30 s: ${err}`)),
      30_000,
    );
    child.stderr.on('data', (d) => {
      err += d;
      const m = /serving .* at http:\/\/localhost:(\d+)/.exec(err);
      if (m && err.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code}: ${err}`));
    });
  });
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** One HTTP request on the keep-alive agent: its status, or an error. */
function call(agent, port, method, path, headers, body) {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, agent, timeout: 15_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

/** An oversized body on its own connection: declared over 10 MB, the first 64 KB sent; 413 or a close is right. */
function oversized(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ error: 'timeout' }), 15_000);
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(reply);
      if (m) done({ status: Number(m[1]) });
    });
    socket.on('error', () => {});
    socket.on('close', () => done({ status: 'closed' }));
    socket.write(
      `POST /pets HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${11 * 1024 * 1024}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(64 * 1024, 'a'));
  });
}

/** A slow client: part of a request's headers, then nothing. The gateway must close it (headersTimeout). */
function slowClient(port, slow) {
  const socket = connect(port, '127.0.0.1');
  const entry = { socket, openedAt: performance.now(), closedByServer: false, ownClose: false };
  slow.add(entry);
  socket.on('error', () => {});
  // Read (and drop) what the gateway sends, or its close would never be seen.
  socket.resume();
  socket.on('close', () => {
    if (!entry.ownClose) entry.closedByServer = true;
  });
  socket.write('GET /pets HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
  return entry;
}

const pick = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-soak-'));
  // The gateway creates the development key in TOLLGATE_HOME; the tokens are signed with it here.
  process.env.TOLLGATE_HOME = join(home, '.tollgate');
  const { child, port } = await startGateway(home);
  const stop = () => child.exitCode === null && child.kill('SIGTERM');
  process.once('exit', stop);
  try {
    const { mintDevToken } = await import(join(root, 'dist', 'cli', 'token-command.js'));
    const { devIssuerFor } = await import(join(root, 'dist', 'idp', 'dev-issuer.js'));
    const tokens = [];
    for (let i = 0; i < S.tokens; i++)
      tokens.push(
        (await mintDevToken({ iss: devIssuerFor(port), sub: `soak-user-${i}`, scope: 'read:pets' }))
          .token,
      );

    const agent = new Agent({ keepAlive: true, maxSockets: S.concurrency });
    const latencies = [];
    const errors = new Map();
    const counts = new Map();
    const slow = new Set();
    let peakRss = memoryOf(child.pid).rss;
    const poll = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(child.pid).rss)), 100);
    let sent = 0;
    const started = performance.now();
    const deadline = started + S.seconds * 1000;

    const scenario = async (n) => {
      const kind = n % 10;
      if (kind < 5)
        return {
          kind: 'valid token',
          expect: [200],
          r: await call(agent, port, 'GET', '/pets', {
            authorization: `Bearer ${tokens[n % tokens.length]}`,
          }),
        };
      if (kind < 7)
        return { kind: 'no token', expect: [401], r: await call(agent, port, 'GET', '/pets', {}) };
      if (kind < 8)
        return {
          kind: 'bad token',
          expect: [401],
          r: await call(agent, port, 'GET', '/pets', {
            authorization: `Bearer ${tokens[n % tokens.length].slice(0, -4)}AAAA`,
          }),
        };
      if (kind < 9)
        return { kind: 'oversized body', expect: [413, 'closed'], r: await oversized(port) };
      if (slow.size < S.slowClients) slowClient(port, slow);
      return { kind: 'public', expect: [200], r: await call(agent, port, 'GET', '/public', {}) };
    };
    const worker = async () => {
      while (performance.now() < deadline && sent < MAX_REQUESTS) {
        const n = sent++;
        const t0 = performance.now();
        const { kind, expect, r } = await scenario(n);
        latencies.push(performance.now() - t0);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
        const got = r.error ?? r.status;
        if (!expect.includes(got))
          errors.set(`${kind}: ${got}`, (errors.get(`${kind}: ${got}`) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: S.concurrency }, worker));
    const elapsed = (performance.now() - started) / 1000;
    clearInterval(poll);
    const mem = memoryOf(child.pid);
    peakRss = Math.max(peakRss, mem.rss, mem.hwm);
    // Still answering after the load?
    const after = await call(agent, port, 'GET', '/public', {});
    if (after.status !== 200) errors.set(`after the load: ${after.error ?? after.status}`, 1);
    const slowClosed = [...slow].filter((e) => e.closedByServer).length;
    // The gateway closes trickled headers after 10 s (headersTimeout, checked each second): a slow
    // client opened longer ago than that and still open is an error.
    const overdue = [...slow].filter(
      (e) => !e.closedByServer && performance.now() - e.openedAt > SLOW_CLOSE_MS,
    ).length;
    if (overdue) errors.set('slow client not closed by the gateway', overdue);
    for (const e of slow) {
      e.ownClose = true;
      e.socket.destroy();
    }
    agent.destroy();

    latencies.sort((a, b) => a - b);
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    const rps = latencies.length / elapsed;
    const report = {
      seconds: Number(elapsed.toFixed(1)),
      requests: latencies.length,
      requestsPerSecond: Math.round(rps),
      p50Ms: Number(pick(latencies, 0.5).toFixed(1)),
      p99Ms: Number(pick(latencies, 0.99).toFixed(1)),
      errors: errorCount,
      peakRssMb: Math.round(peakRss),
      slowClients: slow.size,
      slowClientsClosedByGateway: slowClosed,
      mix: Object.fromEntries(counts),
      ...(errors.size ? { errorKinds: Object.fromEntries(errors) } : {}),
    };
    console.log(
      `soak: ${report.requests} requests in ${report.seconds} s: ${report.requestsPerSecond} requests/s, p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms, ${report.errors} errors, peak RSS ${report.peakRssMb} MB`,
    );
    console.log(JSON.stringify(report));
    const broken = [];
    if (report.p99Ms > S.maxP99Ms)
      broken.push(`p99 ${report.p99Ms} ms > SOAK_MAX_P99_MS ${S.maxP99Ms}`);
    if (report.peakRssMb > S.maxRssMb)
      broken.push(`peak RSS ${report.peakRssMb} MB > SOAK_MAX_RSS_MB ${S.maxRssMb}`);
    if (errorCount > S.maxErrors)
      broken.push(`${errorCount} errors > SOAK_MAX_ERRORS ${S.maxErrors}`);
    if (rps < S.minRps) broken.push(`${Math.round(rps)} requests/s < SOAK_MIN_RPS ${S.minRps}`);
    for (const b of broken) console.log(`soak: bound exceeded: ${b}`);
    if (!broken.length) console.log('soak: within bounds');
    return broken.length ? 1 : 0;
  } finally {
    stop();
    rmSync(home, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`soak: ${error.message}`);
    process.exit(2);
  },
);
