// `npm run bench`: Tollgate's real Lambda bundle against the node:crypto floor and its peers, on
// the quantities of shared/docs/performance.md, in one run, printed as ratios to the floor.
// See bench/README.md for the knobs (BENCH_QUICK=1 and friends) and how to read the table.
import { build } from 'esbuild';
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ISSUER,
  makeKey,
  METHOD_ARN,
  mustRefuse,
  stackEnv,
  startJwks,
  tokenSet,
} from './fixtures.mjs';
import { drainedPipe } from './drained-pipe.mjs';
import { gatewayBench, GatewayBenchFailure } from './gateway.mjs';
import { machine, writeReadmeTable } from './readme-table.mjs';
import { loadavg } from 'node:os';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const OUT = join(BENCH, '.build');

// ---------------------------------------------------------------------------------------------
// Settings. The defaults take about two minutes on a 2-core machine; BENCH_QUICK=1 is a smoke run.

const quick = process.env.BENCH_QUICK === '1';
function intSetting(name, normal, fast) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return quick ? fast : normal;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}
const opts = {
  /** Measured tokens per algorithm; each is new to every process (and as many repeats). */
  tokens: intSetting('BENCH_TOKENS', 12000, 4000),
  /** A separate set that brings both sides to optimized code before anything is timed. */
  warmup: intSetting('BENCH_WARMUP', 2000, 2000),
  /** Events per chunk: floor and stack alternate every chunk. */
  chunk: intSetting('BENCH_CHUNK', 250, 250),
  /** Throughput processes per stack, stack order reversed every round. */
  rounds: intSetting('BENCH_ROUNDS', 3, 1),
  coldRuns: intSetting('BENCH_COLD_RUNS', 11, 5),
  /** e.g. `tollgate,jose`: the floor always runs. */
  stacks: process.env.BENCH_STACKS
    ? new Set(process.env.BENCH_STACKS.split(',').map((s) => s.trim()))
    : undefined,
  /** A stack id whose first throughput process runs under --cpu-prof (profiles in bench/.build/profiles). */
  profile: process.env.BENCH_PROFILE || undefined,
};

// ---------------------------------------------------------------------------------------------
// The stacks. Every one is a single esbuild bundle exporting `handler`, configured by the same
// environment variables as Tollgate's.

// BENCH_TOLLGATE_BUNDLE: another build of the bundle (scripts/bundle.mjs --outdir DIR), e.g. one
// made while tests rebuild dist/.
const TOLLGATE_BUNDLE = process.env.BENCH_TOLLGATE_BUNDLE
  ? join(process.cwd(), process.env.BENCH_TOLLGATE_BUNDLE)
  : join(ROOT, 'dist/authorizer/index.mjs');

const ALL_STACKS = [
  { id: 'floor', label: 'node:crypto floor', entry: 'stacks/floor.mjs' },
  {
    id: 'tollgate',
    label: 'Tollgate (dist/authorizer/index.mjs)',
    bundle: TOLLGATE_BUNDLE,
  },
  // The same bundle with a log line per Allow as well: what a line per decision costs.
  {
    id: 'tollgate-all',
    label: 'Tollgate, LOG_DECISIONS=all',
    bundle: TOLLGATE_BUNDLE,
    env: { LOG_DECISIONS: 'all' },
  },
  // jsonwebtoken and jwks-rsa are CommonJS and require() Node's built-ins, which an ESM bundle
  // can only do through a require made by createRequire: how such a bundle must ship to Lambda.
  {
    id: 'auth0',
    label: 'jsonwebtoken + jwks-rsa (Auth0 sample)',
    entry: 'stacks/auth0.mjs',
    needsRequire: true,
  },
  { id: 'aws-jwt-verify', label: 'aws-jwt-verify', entry: 'stacks/aws-jwt-verify.mjs' },
  { id: 'jose', label: 'jose (createRemoteJWKSet + jwtVerify)', entry: 'stacks/jose.mjs' },
];
for (const id of [...(opts.stacks ?? []), ...(opts.profile ? [opts.profile] : [])]) {
  if (!ALL_STACKS.some((s) => s.id === id))
    throw new Error(`unknown stack "${id}": one of ${ALL_STACKS.map((s) => s.id).join(', ')}`);
}
const stacks = ALL_STACKS.filter(
  (s) => s.id === 'floor' || opts.stacks === undefined || opts.stacks.has(s.id),
);
const floorStack = stacks[0];

const TARGETS = { distinct: 0.92, repeated: 10, cold: 1.05, bundleKb: 30, p99: 1.3 };

/** A hosted issuer's round trip, roughly: the second set of cold starts waits this long for the JWKS. */
const JWKS_DELAY_MS = 50;

/**
 * Tollgate built with `--embed-keys` against this run's JWKS (bench/.build/tollgate-embedded): a
 * cold-start-only row, since warm it is the same code as the Tollgate row.
 */
async function embeddedStack(jwksUrl) {
  if (!stacks.some((s) => s.id === 'tollgate')) return [];
  const outdir = join(OUT, 'tollgate-embedded');
  // Not spawnSync: this process serves the JWKS the build fetches.
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'scripts/bundle.mjs'),
      '--embed-keys',
      '--outdir',
      outdir,
      '--zip',
      `${outdir}.zip`,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, TOLLGATE_CONFIG: '', TOKEN_ISSUER: ISSUER, JWKS_URI: jwksUrl },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const status = await new Promise((resolve) => child.on('close', resolve));
  if (status !== 0) throw new Error(`bundle --embed-keys failed: ${stderr}`);
  return [
    {
      id: 'tollgate-embedded',
      label: 'Tollgate, --embed-keys',
      bundle: join(outdir, 'index.mjs'),
    },
  ];
}

/** Cold starts with the JWKS answering at once and JWKS_DELAY_MS late, each against the floor of its set. */
function coldTable(coldStacks, cold, late) {
  const median_ = (m, id) => median(m.get(id).map((s) => s.ms));
  const header = [
    'Cold start',
    'JWKS at once (ms)',
    '× floor',
    `JWKS +${JWKS_DELAY_MS} ms (ms)`,
    '× floor',
  ];
  const body = coldStacks.map((s) => [
    s.label,
    fmt.ms(median_(cold, s.id)),
    fmt.x(median_(cold, s.id) / median_(cold, 'floor')),
    fmt.ms(median_(late, s.id)),
    fmt.x(median_(late, s.id) / median_(late, 'floor')),
  ]);
  return markdownTable(header, body);
}

// ---------------------------------------------------------------------------------------------

function log(line) {
  process.stderr.write(`${line}\n`);
}

async function bundlePeers() {
  mkdirSync(OUT, { recursive: true });
  for (const stack of stacks) {
    if (stack.entry === undefined) {
      if (!existsSync(stack.bundle))
        throw new Error(
          `${relative(ROOT, stack.bundle)} is missing: run \`npm run bundle\` first (npm run bench does)`,
        );
      continue;
    }
    stack.bundle = join(OUT, `${stack.id}.mjs`);
    // The same options as scripts/bundle.mjs uses for Tollgate, so sizes and load times compare.
    await build({
      entryPoints: [join(BENCH, stack.entry)],
      outfile: stack.bundle,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      legalComments: 'none',
      logLevel: 'warning',
      ...(stack.needsRequire
        ? {
            banner: {
              js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
            },
          }
        : {}),
    });
  }
  for (const stack of stacks) stack.bundleKb = coldStartBytes(stack.bundle) / 1024;
}

/** A bundle and the chunks it imports statically, transitively: what a cold start loads. */
function coldStartBytes(file, seen = new Set()) {
  if (seen.has(file)) return 0;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  let bytes = Buffer.byteLength(code);
  for (const m of code.matchAll(
    /(?:^|[;}\s])import\s*(?:[\w${},\s*]+from\s*)?["'](\.\/[^"']+)["']/g,
  ))
    bytes += coldStartBytes(join(dirname(file), m[1]), seen);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Child processes: stdout a pipe this process drains, as Lambda's is (handlers log a line per
// decision), results over IPC.

/** Bytes the handlers wrote to their stdout pipes, all children together (the log volume). */
let stdoutBytes = 0;

function runChild(script, args, env, execArgv = []) {
  const stdout = drainedPipe();
  return new Promise((resolve, reject) => {
    const child = fork(join(BENCH, script), args, {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', stdout.fd, 'pipe', 'ipc'],
    });
    stdout.childStarted();
    let stderr = '';
    let message;
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('message', (m) => (message = m));
    child.on('error', reject);
    child.on('exit', async (code, signal) => {
      stdoutBytes += await stdout.close();
      if (message === undefined)
        reject(
          new Error(
            `${script} ${args.join(' ')} exited (${signal ?? code}) without a result\n${stderr}`,
          ),
        );
      else if (message.error !== undefined) reject(new BenchFailure(message.error));
      else resolve(message);
    });
  });
}

class BenchFailure extends Error {}

/** Fresh processes, stacks interleaved and the starting stack rotated, so no stack always goes first. */
async function coldStarts(env, token, coldStacks = stacks) {
  const samples = new Map(coldStacks.map((s) => [s.id, []]));
  for (let run = 0; run < opts.coldRuns; run++) {
    for (let i = 0; i < coldStacks.length; i++) {
      const stack = coldStacks[(i + run) % coldStacks.length];
      try {
        samples.get(stack.id).push(
          await runChild('cold.mjs', [pathToFileURL(stack.bundle).href], {
            ...env,
            ...stack.env,
            BENCH_TOKEN: token,
          }),
        );
      } catch (error) {
        throw new BenchFailure(`cold start of ${stack.label}: ${error.message}`);
      }
    }
  }
  return samples;
}

async function throughput(env, tokensFile) {
  const results = new Map(stacks.map((s) => [s.id, []]));
  const floorUrl = pathToFileURL(floorStack.bundle).href;
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? stacks : [...stacks].reverse();
    for (const stack of order) {
      const profiling = round === 0 && opts.profile === stack.id;
      const execArgv = [
        '--expose-gc',
        ...(profiling ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'profiles')] : []),
      ];
      const started = performance.now();
      const child = JSON.stringify({
        stackUrl: pathToFileURL(stack.bundle).href,
        floorUrl,
        tokensFile,
        chunk: opts.chunk,
      });
      try {
        results
          .get(stack.id)
          .push(
            await runChild('child.mjs', [], { ...env, ...stack.env, BENCH_CHILD: child }, execArgv),
          );
      } catch (error) {
        throw new BenchFailure(`throughput of ${stack.label}: ${error.message}`);
      }
      log(
        `  round ${round + 1}/${opts.rounds} ${stack.label}: ${((performance.now() - started) / 1000).toFixed(1)} s${profiling ? ` (CPU profile in ${relative(ROOT, join(OUT, 'profiles'))})` : ''}`,
      );
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Pooling and printing.

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/** Rounds pooled: total events over total time per side, latencies merged before percentiles. */
function pool(rounds, phase) {
  const side = (name) => {
    let ms = 0;
    let n = 0;
    const latencies = [];
    for (const r of rounds) {
      const s = r.phases[phase][name];
      ms += s.ms;
      n += s.n;
      for (const l of s.latencies) latencies.push(l);
    }
    latencies.sort((a, b) => a - b);
    return {
      ops: n / (ms / 1000),
      p50: percentile(latencies, 0.5) * 1000,
      p99: percentile(latencies, 0.99) * 1000,
    };
  };
  const floor = side('floor');
  const stack = side('stack');
  return { floor, stack, ratio: stack.ops / floor.ops, p99Ratio: stack.p99 / floor.p99 };
}

function summarize(cold, runs) {
  const floorCold = median(cold.get('floor').map((s) => s.ms));
  return stacks.map((stack) => {
    const c = cold.get(stack.id);
    const r = runs.get(stack.id);
    const coldMs = median(c.map((s) => s.ms));
    return {
      stack,
      coldMs,
      coldRatio: coldMs / floorCold,
      coldRssMb: median(c.map((s) => s.maxRssKb)) / 1024,
      peakRssMb: Math.max(...r.map((x) => x.maxRssKb)) / 1024,
      rs256: pool(r, 'rs256'),
      es256: pool(r, 'es256'),
      repeated: pool(r, 'repeated'),
    };
  });
}

const fmt = {
  int: (n) => Math.round(n).toLocaleString('en-US'),
  x: (n) => n.toFixed(2),
  ms: (n) => n.toFixed(1),
  kb: (n) => n.toFixed(1),
};

function table(rows) {
  const header = [
    'Stack',
    'Cold start (ms)',
    '× floor',
    'RS256 distinct (ops/s)',
    '× floor',
    'p50 µs',
    'p99 µs',
    'p99 × floor',
    'Same token repeated (ops/s)',
    '× floor',
    'ES256 distinct (ops/s)',
    '× floor',
    'Bundle KB (min)',
    'RSS MB cold / peak',
  ];
  const body = rows.map((r) => [
    r.stack.label,
    fmt.ms(r.coldMs),
    fmt.x(r.coldRatio),
    fmt.int(r.rs256.stack.ops),
    fmt.x(r.rs256.ratio),
    fmt.int(r.rs256.stack.p50),
    fmt.int(r.rs256.stack.p99),
    fmt.x(r.rs256.p99Ratio),
    fmt.int(r.repeated.stack.ops),
    fmt.x(r.repeated.ratio),
    fmt.int(r.es256.stack.ops),
    fmt.x(r.es256.ratio),
    fmt.kb(r.stack.bundleKb),
    `${fmt.ms(r.coldRssMb)} / ${fmt.ms(r.peakRssMb)}`,
  ]);
  return markdownTable(header, body);
}

/** Rows of cells as a Markdown table: the first column left-aligned, the others right. */
function markdownTable(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

function targets(row) {
  const check = (ok) => (ok ? 'PASS' : 'MISS');
  const lines = [
    [
      `RS256 distinct-token throughput >= ${TARGETS.distinct}x floor`,
      `${fmt.x(row.rs256.ratio)}x`,
      row.rs256.ratio >= TARGETS.distinct,
    ],
    [
      `ES256 distinct-token throughput >= ${TARGETS.distinct}x floor`,
      `${fmt.x(row.es256.ratio)}x`,
      row.es256.ratio >= TARGETS.distinct,
    ],
    [
      `Same-token repeated throughput >= ${TARGETS.repeated}x floor`,
      `${fmt.x(row.repeated.ratio)}x`,
      row.repeated.ratio >= TARGETS.repeated,
    ],
    [
      `Cold start <= ${TARGETS.cold}x floor`,
      `${fmt.x(row.coldRatio)}x (${fmt.ms(row.coldMs)} ms)`,
      row.coldRatio <= TARGETS.cold,
    ],
    [
      `Bundle <= ${TARGETS.bundleKb} KB minified`,
      `${fmt.kb(row.stack.bundleKb)} KB`,
      row.stack.bundleKb <= TARGETS.bundleKb,
    ],
    [
      `RS256 p99 latency <= ${TARGETS.p99}x floor p99`,
      `${fmt.x(row.rs256.p99Ratio)}x (${fmt.int(row.rs256.stack.p99)} vs ${fmt.int(row.rs256.floor.p99)} µs)`,
      row.rs256.p99Ratio <= TARGETS.p99,
    ],
  ];
  const w0 = Math.max(...lines.map((l) => l[0].length));
  const w1 = Math.max(...lines.map((l) => l[1].length));
  return lines
    .map(([what, got, ok]) => `  ${what.padEnd(w0)}  ${got.padEnd(w1)}  ${check(ok)}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  const meta = {
    ...machine(),
    date: new Date(),
    settings: `${opts.tokens} tokens per algorithm, ${opts.rounds} round(s), ${opts.coldRuns} cold starts per stack`,
  };
  log(
    `bench: ${opts.tokens} tokens per algorithm (+${opts.warmup} warm-up), chunks of ${opts.chunk}, ${opts.rounds} round(s), ${opts.coldRuns} cold starts per stack${quick ? ' [BENCH_QUICK]' : ''}`,
  );
  await bundlePeers();

  const rsa = makeKey('RS256');
  const ec = makeKey('ES256');
  const jwks = await startJwks([rsa.jwk, ec.jwk]);
  try {
    const t = performance.now();
    const tokens = {
      methodArn: METHOD_ARN,
      rs256: {
        warm: tokenSet(rsa, 'rs-warm', opts.warmup),
        measured: tokenSet(rsa, 'rs', opts.tokens),
      },
      es256: {
        warm: tokenSet(ec, 'es-warm', opts.warmup),
        measured: tokenSet(ec, 'es', opts.tokens),
      },
      repeated: tokenSet(rsa, 'repeated', 1)[0],
      mustRefuse: mustRefuse(rsa, ec),
    };
    const tokensFile = join(OUT, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify(tokens));
    log(
      `  minted ${2 * (opts.tokens + opts.warmup) + 1} tokens in ${((performance.now() - t) / 1000).toFixed(1)} s; JWKS at ${jwks.url}`,
    );

    const env = stackEnv(jwks.url);
    const coldStacks = [...stacks, ...(await embeddedStack(jwks.url))];
    log('  cold starts...');
    const cold = await coldStarts(env, tokens.rs256.warm[0].token, coldStacks);
    log(`  cold starts, the JWKS answering ${JWKS_DELAY_MS} ms late...`);
    jwks.setDelay(JWKS_DELAY_MS);
    const coldLate = await coldStarts(env, tokens.rs256.warm[0].token, coldStacks);
    jwks.setDelay(0);
    log('  throughput...');
    const runs = await throughput(env, tokensFile);
    rmSync(tokensFile, { force: true });

    const rows = summarize(cold, runs);
    const floorRow = rows[0];
    const tollgate = rows.find((r) => r.stack.id === 'tollgate');
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    meta.loadAtEnd = loadavg();
    const load = (l) => l.map((n) => n.toFixed(2)).join(' / ');
    console.log(
      `\nTollgate bench, ${meta.cpu}, Node ${process.version}, ${meta.date.toISOString()}, ${seconds} s; load average ${load(meta.loadAtStart)} at the start, ${load(meta.loadAtEnd)} at the end. Ratios are paired: each stack against the floor in its own process, on the same tokens.\n`,
    );
    console.log(table(rows));
    console.log(`\n${coldTable(coldStacks, cold, coldLate)}`);
    console.log(
      `\n- Cold start: median of ${opts.coldRuns} fresh processes per stack, import() of the bundle to the first answered event, JWKS fetch over loopback included; stdout opened before the clock, as Lambda's runtime has it open.`,
    );
    console.log(
      `- Distinct: ${opts.tokens} tokens per algorithm, each new to the process; repeated: one token ${opts.tokens} times; ${opts.rounds} process(es) per stack, pooled.`,
    );
    console.log(
      `- The floor row is a second copy of the floor paired against the first: its distance from 1.00 (${fmt.x(floorRow.rs256.ratio)}, ${fmt.x(floorRow.es256.ratio)}, ${fmt.x(floorRow.repeated.ratio)}) is the harness's own noise.`,
    );
    console.log(
      '- Peak RSS is the whole throughput process: stack, floor copy and tokens; compare it with the floor row.',
    );
    console.log(
      `- Handlers' stdout: a pipe drained by this process, as in Lambda; ${fmt.int(stdoutBytes / 1024)} KB of log lines read from all children.`,
    );
    if (process.env.BENCH_README === '1') {
      // BENCH_README_FILE: another copy of the README to write (e.g. while tests read this one).
      writeReadmeTable(process.env.BENCH_README_FILE || join(ROOT, 'README.md'), rows, meta);
      console.log('- README.md: the performance table is this run (BENCH_README=1).');
    }
    if (tollgate)
      console.log(
        `\nTollgate against its targets (shared/docs/performance.md):\n${targets(tollgate)}`,
      );
  } finally {
    jwks.close();
  }
}

try {
  await main();
  // The local gateway over HTTP (bench/gateway.mjs); BENCH_GATEWAY=0 leaves it out.
  if (process.env.BENCH_GATEWAY !== '0') await gatewayBench();
} catch (error) {
  // A stack that refuses a valid token, or allows a bad one, makes every number meaningless.
  if (error instanceof BenchFailure || error instanceof GatewayBenchFailure) {
    console.error(`\nbench: FAILED: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
