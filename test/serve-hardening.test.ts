// Issue 10's acceptance on `tollgate serve` as `npm start` runs it, a child process whose memory
// the test reads: 120 concurrent 10 MB bodies keep it under 400 MB, and `--verbose` prints no part
// of a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServeChild } from './support/serve-child.js';

const TEN_MB = 10 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

interface Outcome {
  readonly kind: 'answered' | 'closed' | 'hung';
  readonly status?: number;
}

/** One client: headers, then `sendBytes` of body (the shared chunk, with backpressure), then waits. */
function client(
  port: number,
  head: string,
  sendBytes: number,
  timeoutMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let done = false;
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'hung' }), timeoutMs);
    let reply = '';
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(reply);
      if (m) finish({ kind: 'answered', status: Number(m[1]) });
    });
    socket.on('error', () => {});
    socket.on('close', () => finish({ kind: 'closed' }));
    socket.on('connect', () => {
      socket.write(head);
      let sent = 0;
      const pump = (): void => {
        while (!done && sent < sendBytes) {
          const piece = CHUNK.subarray(0, Math.min(CHUNK.length, sendBytes - sent));
          sent += piece.length;
          if (!socket.write(piece)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
  });
}

function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes)
    out[o.kind === 'answered' ? String(o.status) : o.kind] =
      (out[o.kind === 'answered' ? String(o.status) : o.kind] ?? 0) + 1;
  return out;
}

test(
  '120 concurrent 10 MB POST /pets held one byte short keep `npm start` under 400 MB; every client is answered or closed; it serves normally afterwards',
  { timeout: 120_000 },
  async (t) => {
    const serve = await startServeChild();
    try {
      assert.equal((await fetch(`${serve.url}/public`)).status, 200);
      const before = serve.memory();
      let peak = before.rssMb;
      const poll = setInterval(() => (peak = Math.max(peak, serve.memory().rssMb)), 20);
      const head = (auth: string) =>
        `POST /pets HTTP/1.1\r\nhost: 127.0.0.1:${serve.port}\r\ncontent-type: application/json\r\n${auth}content-length: ${TEN_MB}\r\n\r\n`;

      // Unauthenticated: refused from the headers, the bodies never read.
      const anonymous = await Promise.all(
        Array.from({ length: 120 }, () => client(serve.port, head(''), TEN_MB - 1, 30_000)),
      );
      const anonymousPeak = peak;
      // Authorized, whole bodies: the in-flight budget takes a few, the rest get 503 at once.
      const writer = serve.token('write:pets');
      const authorized = await Promise.all(
        Array.from({ length: 120 }, () =>
          client(serve.port, head(`authorization: Bearer ${writer}\r\n`), TEN_MB, 60_000),
        ),
      );
      clearInterval(poll);
      const after = serve.memory();
      t.diagnostic(
        `RSS before ${before.rssMb.toFixed(0)} MB, peak with unauthenticated bodies ${anonymousPeak.toFixed(0)} MB, with authorized ones ${peak.toFixed(0)} MB (VmHWM ${after.peakMb.toFixed(0)} MB), after ${after.rssMb.toFixed(0)} MB`,
      );
      t.diagnostic(
        `unauthenticated: ${JSON.stringify(tally(anonymous))}; authorized: ${JSON.stringify(tally(authorized))}`,
      );

      assert.ok(
        anonymousPeak < before.rssMb + 100,
        `unread bodies took ${(anonymousPeak - before.rssMb).toFixed(0)} MB`,
      );
      assert.ok(after.peakMb < 400, `peak resident ${after.peakMb.toFixed(0)} MB`);
      assert.ok(
        anonymous.every((o) => o.kind !== 'hung' && (o.kind === 'closed' || o.status === 401)),
        JSON.stringify(tally(anonymous)),
      );
      assert.ok(
        authorized.every((o) => o.kind !== 'hung'),
        JSON.stringify(tally(authorized)),
      );
      assert.ok(
        authorized.some((o) => o.status === 503),
        'the budget refused some',
      );
      assert.ok(
        authorized.some((o) => o.status !== undefined && o.status !== 503),
        'and let some through to the function',
      );

      assert.equal((await fetch(`${serve.url}/public`)).status, 200);
      const pets = await fetch(`${serve.url}/pets`, {
        headers: { authorization: `Bearer ${serve.token('read:pets')}` },
      });
      assert.equal(pets.status, 200);
      const post = await fetch(`${serve.url}/pets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writer}` },
        body: '{"type":"bird"}',
      });
      assert.equal(post.status, 201, 'the body budget was returned');
    } finally {
      await serve.stop();
    }
  },
);

test(
  '`tollgate serve --verbose` logs the authorizer event for a real request without any part of the token',
  { timeout: 60_000 },
  async () => {
    const serve = await startServeChild(['--verbose']);
    try {
      const token = serve.token('read:pets');
      const [header, payload, signature] = token.split('.');
      assert.ok(header && payload && signature, 'a three-part JWT');
      const r = await fetch(`${serve.url}/pets?token=${token}`, {
        headers: { authorization: `Bearer ${token}`, cookie: `session=${token}` },
      });
      assert.equal(r.status, 200);
      const deadline = Date.now() + 10_000;
      while (!serve.output().stdout.includes('"event":"authorizer"') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const { stdout, stderr } = serve.output();
      assert.match(stdout, /"event":"authorizer".*"authorizerEvent"/, 'the event is logged');
      // The log lines hold no part at all. The start-up hint on stderr is a token of its own, minted
      // before this one; it shares only the header every token of the development key has.
      assert.ok(!stdout.includes(header!), 'no header part in the log');
      assert.ok(!(stdout + stderr).includes(payload!), 'no payload part');
      assert.ok(!(stdout + stderr).includes(signature!), 'no signature part');
    } finally {
      await serve.stop();
    }
  },
);
