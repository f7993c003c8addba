// The local gateway's throughput over HTTP on 127.0.0.1, against a bare node:http server answering
// from the same PetStore backend, in one run, printed as ratios to the bare server. Part of
// `npm run bench` (run.mjs calls gatewayBench() last); `npm run bench:gateway` runs it alone.
// See bench/README.md for the rows, the knobs and how it is measured.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AUDIENCE, claimsFor, ISSUER, makeKey, mint, startJwks } from './fixtures.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const PROFILES = join(BENCH, '.build', 'profiles');

/** A request answered wrongly: every number would be meaningless, so the bench fails. */
export class GatewayBenchFailure extends Error {}

function settings() {
  const quick = process.env.BENCH_QUICK === '1';
  const intSetting = (name, normal, fast) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return quick ? fast : normal;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    quick,
    /** Timed requests of the cache-miss row (the slowest); the faster rows time a multiple of it. */
    requests: intSetting('BENCH_GATEWAY_REQUESTS', 10000, 3000),
    /** Untimed requests per row first, so every server runs optimized code on open connections. */
    warmup: intSetting('BENCH_GATEWAY_WARMUP', 2000, 1000),
    /** Keep-alive connections, each with one request in flight. */
    concurrency: intSetting('BENCH_GATEWAY_CONCURRENCY', 16, 16),
    /** Rows take turns round by round, the order reversed every round, so drift lands on all of them. */
    rounds: intSetting('BENCH_GATEWAY_ROUNDS', 8, 2),
    /** `1`: the servers' process runs under --cpu-prof, its profile in bench/.build/profiles. */
    profile: process.env.BENCH_GATEWAY_PROFILE === '1',
  };
}

// `weight`: timed requests as a multiple of BENCH_GATEWAY_REQUESTS, so that the fast rows are not
// over in a blink, where a neighbour's moment of load would weigh on them alone.
const ROWS = [
  { id: 'bare', label: 'bare node:http + pets handler (floor)', weight: 3 },
  { id: 'cached', label: 'gateway, cached result (TTL 300, one token)', weight: 2 },
  { id: 'uncached', label: 'gateway, TTL 0, one token (authorizer invoked)', weight: 2 },
  { id: 'distinct', label: 'gateway, cache miss (a new token per request)', weight: 1 },
  // The bare server again, over connections of its own: its distance from 1.00 is the noise.
  { id: 'bare-again', label: 'bare again (the noise)', weight: 3 },
];

// The authorizer's settings: no route rules (so the example's rules may change), one required
// scope, so a token without read:pets is refused and the check is part of what is measured.
function authorizerEnv(jwksUrl) {
  return {
    TOKEN_ISSUER: ISSUER,
    AUDIENCE,
    JWKS_URI: jwksUrl,
    ALGORITHMS: 'RS256',
    REQUIRED_SCOPES: 'read:pets',
  };
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Child processes: the servers (stdout /dev/null: they log a line per request) and the load
// generator, each with its own event loop, talking to this process over IPC.

function startChild(script, env, execArgv = []) {
  const child = fork(join(BENCH, script), [], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  let pending;
  child.on('message', (m) => pending?.resolve(m));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.on('exit', (code, signal) =>
    pending?.reject(new Error(`${script} exited (${signal ?? code})\n${stderr}`)),
  );
  /** The child's next message; a message with `error` is a wrong answer. */
  const next = () =>
    new Promise((resolve, reject) => {
      pending = {
        resolve: (m) =>
          m.error !== undefined ? reject(new GatewayBenchFailure(m.error)) : resolve(m),
        reject,
      };
    });
  return {
    next,
    ask: (message) => {
      const answer = next();
      child.send(message);
      return answer;
    },
    /** Its last message; waits for the exit, so a CPU profile is written before the bench ends. */
    stop: async () => {
      const answer = next();
      child.send('stop');
      const last = await answer;
      await exited;
      return last;
    },
    kill: () => child.kill(),
  };
}

// ---------------------------------------------------------------------------------------------
// Before anything is timed: the gateway refuses what it must, so a fast number cannot come from
// a gateway that lets everything through.

function fetchPets(port, token) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/pets',
        agent: false,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function tamper(token) {
  // A character from the middle of the signature: the last one may only carry unused bits.
  const at = token.lastIndexOf('.') + 20;
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

async function preflight(ports, key) {
  const bare = await fetchPets(ports.bare);
  if (bare.status !== 200)
    throw new GatewayBenchFailure(`the bare server answered ${bare.status} ${bare.body}`);
  for (const id of ['cached', 'uncached', 'distinct']) {
    const valid = mint(key, claimsFor(`preflight-${id}`, { scope: 'read:pets' }));
    const expect = [
      ['no token', undefined, 401],
      ['an altered signature', tamper(valid), 401],
      ['a token without read:pets', mint(key, claimsFor('no-scope', { scope: 'write:pets' })), 403],
      ['a valid token', valid, 200],
    ];
    for (const [what, token, status] of expect) {
      const answer = await fetchPets(ports[id], token);
      if (answer.status !== status)
        throw new GatewayBenchFailure(
          `${id}: ${what} got ${answer.status} instead of ${status}: ${answer.body.slice(0, 200)}`,
        );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pooling and printing.

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/** Rounds pooled: all requests over all time, latencies merged before percentiles. */
function summarize(samples) {
  return ROWS.map((row) => {
    const s = samples.get(row.id);
    const sum = (f) => s.reduce((a, r) => a + f(r), 0);
    const ms = sum((r) => r.ms);
    const n = sum((r) => r.n);
    const latencies = s.flatMap((r) => r.latencies).sort((a, b) => a - b);
    return {
      row,
      n,
      rps: n / (ms / 1000),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      serverUsPerRequest: sum((r) => r.serverCpuUs) / n,
      clientCpuShare: sum((r) => r.clientCpuUs) / 1000 / ms,
    };
  });
}

const fmt = {
  int: (n) => Math.round(n).toLocaleString('en-US'),
  x: (n) => n.toFixed(2),
  ms: (n) => n.toFixed(2),
};

function table(results) {
  const bare = results[0].rps;
  const header = [
    'Server',
    'Timed',
    'Requests/s',
    '× bare',
    'p50 ms',
    'p99 ms',
    'Server CPU µs/request',
    '× bare',
    'Load generator CPU',
  ];
  const body = results.map((r) => [
    r.row.label,
    fmt.int(r.n),
    fmt.int(r.rps),
    fmt.x(r.rps / bare),
    fmt.ms(r.p50),
    fmt.ms(r.p99),
    fmt.int(r.serverUsPerRequest),
    fmt.x(r.serverUsPerRequest / results[0].serverUsPerRequest),
    `${Math.round(r.clientCpuShare * 100)} %`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

/** Runs the gateway bench and prints its table on stdout. Throws GatewayBenchFailure on a wrong answer. */
export async function gatewayBench() {
  const opts = settings();
  const started = performance.now();
  const perRound = (row) => Math.ceil((opts.requests * row.weight) / opts.rounds);
  log(
    `gateway bench: ${opts.requests} timed requests for the cache miss, 2-3x that for the other rows (+${opts.warmup} warm-up each), ${opts.concurrency} keep-alive connections, ${opts.rounds} round(s)${opts.quick ? ' [BENCH_QUICK]' : ''}`,
  );

  const key = makeKey('RS256');
  const jwks = await startJwks([key.jwk]);
  let servers;
  let load;
  try {
    // Every distinct-row token minted before the clock: minting is not what is measured.
    const t = performance.now();
    const mintFor = (prefix, count) =>
      Array.from({ length: count }, (_, i) => ({
        sub: `${prefix}-${i}`,
        token: mint(key, claimsFor(`${prefix}-${i}`, { scope: 'read:pets' })),
      }));
    const distinct = mintFor(
      'distinct',
      opts.warmup + perRound(ROWS.find((r) => r.id === 'distinct')) * opts.rounds,
    );
    const [repeated] = mintFor('repeated', 1);
    const [ttl0] = mintFor('ttl0', 1);
    log(
      `  minted ${distinct.length + 2} tokens in ${((performance.now() - t) / 1000).toFixed(1)} s; JWKS at ${jwks.url}`,
    );

    const profileArgs = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', PROFILES] : [];
    servers = startChild(
      'gateway-servers.mjs',
      { BENCH_GATEWAY_SERVERS: JSON.stringify({ env: authorizerEnv(jwks.url) }) },
      profileArgs,
    );
    const { ports } = await servers.next();
    await preflight(ports, key);

    load = startChild('gateway-load.mjs', {});
    await load.ask({
      type: 'init',
      targets: {
        bare: { port: ports.bare, tokens: [], principal: 'bare' },
        cached: { port: ports.cached, tokens: [repeated] },
        uncached: { port: ports.uncached, tokens: [ttl0] },
        distinct: { port: ports.distinct, tokens: distinct },
        'bare-again': { port: ports.bare, tokens: [], principal: 'bare' },
      },
    });
    const cpu = async () => {
      const { user, system } = (await servers.ask('cpu')).cpu;
      return user + system;
    };
    const batch = async (id, from, count) => {
      const before = await cpu();
      const result = await load.ask({
        type: 'batch',
        target: id,
        from,
        count,
        concurrency: opts.concurrency,
      });
      return { ...result, serverCpuUs: (await cpu()) - before };
    };

    // Every row warmed before any is timed; the distinct row's warm-up tokens are its first ones.
    for (const row of ROWS) await batch(row.id, 0, opts.warmup);
    const samples = new Map(ROWS.map((r) => [r.id, []]));
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? ROWS : [...ROWS].reverse();
      for (const row of order)
        samples
          .get(row.id)
          .push(await batch(row.id, opts.warmup + round * perRound(row), perRound(row)));
      log(`  round ${round + 1}/${opts.rounds} done`);
    }
    const loadRss = (await load.stop()).maxRssKb;
    const serverRss = (await servers.stop()).maxRssKb;

    const results = summarize(samples);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    console.log(
      `\nLocal gateway bench, Node ${process.version}, ${seconds} s. GET /pets over HTTP on 127.0.0.1, ratios to the bare server in the same run.\n`,
    );
    console.log(table(results));
    console.log(
      `\n- ${opts.concurrency} keep-alive connections from a separate load process, one request in flight on each; every row warmed with ${opts.warmup} untimed requests first, then timed in ${opts.rounds} alternating round(s), pooled.`,
    );
    console.log(
      "- Every answer was a 200 carrying the token's own principal from the authorizer to the backend; refusals (no token, altered signature, no read:pets) were checked first.",
    );
    console.log(
      "- Cache miss: a new RS256 token per request (minted before timing), so both the gateway's result cache and the authorizer's verified-token cache miss and every request verifies a signature.",
    );
    console.log(
      '- TTL 0, one token: the gateway invokes the authorizer on every request, whose own verified-token cache then hits: the cost of the invocation without the signature.',
    );
    console.log(
      `- "bare again" is the bare server measured as a row of its own: its distance from 1.00 (${fmt.x(results.at(-1).rps / results[0].rps)}) is the run's noise.`,
    );
    console.log(
      "- Server CPU is the servers' process (user + system) over the row's timed batches: what a request costs whoever drives it. A load generator near 100 % is the limit of its row, not the server.",
    );
    console.log(
      `- Peak RSS: servers ${(serverRss / 1024).toFixed(1)} MB, load generator ${(loadRss / 1024).toFixed(1)} MB.`,
    );
    if (opts.profile)
      console.log(
        `- CPU profile of the servers' process (all rows) in ${relative(dirname(BENCH), PROFILES)}: node bench/profile-summary.mjs <file> --total`,
      );
  } finally {
    load?.kill();
    servers?.kill();
    jwks.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await gatewayBench();
  } catch (error) {
    if (error instanceof GatewayBenchFailure) {
      console.error(`\ngateway bench: FAILED: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
