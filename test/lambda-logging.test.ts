// The deployed bundle under Lambda's advanced logging controls: AWS_LAMBDA_LOG_LEVEL filters its
// lines as the Node.js runtime filters console's, AWS_LAMBDA_LOG_FORMAT=JSON makes every line a
// JSON object with the runtime's timestamp, level and requestId, and the errors it throws keep
// their names in the minified bundle (the runtime reports them as errorType).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from './support/child.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/paths.js';
import { AUDIENCE, claims, generateKey, ISSUER, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets';
let bundle: string;
let key: TestKey;
let server: JwksServer;

before(async () => {
  // A bundle of its own: bundle.test.ts rebuilds dist/authorizer with an embedded config meanwhile.
  const out = mkdtempSync(join(tmpdir(), 'tollgate-logging-'));
  const r = spawnSync(
    process.execPath,
    ['scripts/bundle.mjs', '--outdir', join(out, 'fn'), '--zip', join(out, 'fn.zip')],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TOLLGATE_CONFIG: '' } },
  );
  assert.equal(r.status, 0, r.stderr);
  bundle = pathToFileURL(join(out, 'fn', 'index.mjs')).href;
  key = generateKey('RS256');
  server = await startJwksServer([key.jwk]);
});
after(() => server.close());

interface Run {
  lines: Record<string, unknown>[];
  answers: { allow?: string; error?: { name: string; constructorName: string; message: string } }[];
}

/**
 * Runs the bundle in a fresh process on each event in turn; its stdout is a pipe, as in Lambda.
 * `stay`: the process then waits, as a Lambda sandbox does between invocations, until it is sent
 * SIGTERM (Lambda's shutdown signal), and must end by that signal.
 */
async function run(env: Record<string, string>, events: unknown[], stay = false): Promise<Run> {
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const answers = [];
    for (const [i, event] of ${JSON.stringify(events)}.entries()) {
      try {
        const r = await handler(event, { awsRequestId: 'req-' + i });
        answers.push({ allow: r.principalId });
      } catch (e) {
        answers.push({ error: { name: e.name, constructorName: e.constructor.name, message: e.message } });
      }
    }
    process.stderr.write(JSON.stringify(answers) + '\\n');
    if (${stay}) setInterval(() => {}, 60_000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      TOKEN_ISSUER: ISSUER,
      AUDIENCE,
      JWKS_URI: server.url,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    if (stay && stderr.endsWith('\n')) child.kill('SIGTERM');
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  if (stay) assert.equal(signal, 'SIGTERM', stderr);
  else assert.equal(code, 0, stderr);
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, answers: JSON.parse(stderr) as Run['answers'] };
}

async function events(): Promise<unknown[]> {
  const now = Math.floor(Date.now() / 1000);
  const good = await sign(key, claims({ sub: 'ann', iat: now - 5, exp: now + 600 }));
  return [
    { type: 'TOKEN', authorizationToken: `Bearer ${good}`, methodArn: ARN },
    { type: 'TOKEN', authorizationToken: 'Bearer not.a.jwt', methodArn: ARN },
    { type: 'SOMETHING', methodArn: 'nonsense' },
  ];
}

const decisions = (r: Run) => r.lines.filter((l) => 'decision' in l).map((l) => l.decision);

/** The embedded-metric-format lines' counts, summed by `Decision Reason`. */
function counts(lines: Record<string, unknown>[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of lines.filter((l) => '_aws' in l)) {
    const key = `${String(line.Decision)} ${String(line.Reason)}`;
    sums[key] = (sums[key] ?? 0) + (line.Decisions as number);
  }
  return sums;
}

test('LOG_DECISIONS=all without logging controls: a line per decision', async () => {
  const r = await run({ LOG_DECISIONS: 'all' }, await events());
  assert.deepEqual(decisions(r), ['allow', 'unauthorized', 'failure']);
  assert.equal(r.answers[0]!.allow, 'ann');
});

test('by default a line per refusal; Allows are counted in the metric lines', async () => {
  const r = await run({}, await events());
  assert.deepEqual(decisions(r), ['unauthorized', 'failure']);
  assert.equal(r.answers[0]!.allow, 'ann');
  assert.deepEqual(counts(r.lines), {
    'allow OK': 1,
    'unauthorized TOKEN_MALFORMED': 1,
    'failure EVENT_INVALID': 1,
  });
});

test('a sandbox sent SIGTERM (Lambda shutdown) writes its counts in CloudWatch embedded metric format, after every log line, and ends by the signal', async () => {
  const list = await events();
  const r = await run(
    { AWS_LAMBDA_FUNCTION_NAME: 'my-authorizer' },
    [...list, list[0], list[1]],
    true,
  );
  assert.deepEqual(counts(r.lines), {
    'allow OK': 2,
    'unauthorized TOKEN_MALFORMED': 2,
    'failure EVENT_INVALID': 1,
  });
  // The metric lines come last, once: written at shutdown, behind the decision lines.
  const firstMetric = r.lines.findIndex((l) => '_aws' in l);
  assert.deepEqual(
    r.lines.slice(firstMetric).filter((l) => 'decision' in l),
    [],
  );
  assert.equal(r.lines.length - firstMetric, 3);
  const allow = r.lines.find((l) => l.Decision === 'allow')!;
  const aws = allow._aws as { Timestamp: number; CloudWatchMetrics: unknown[] };
  assert.ok(Math.abs(aws.Timestamp - Date.now()) < 60_000, 'a millisecond timestamp');
  assert.deepEqual(aws.CloudWatchMetrics, [
    {
      Namespace: 'Tollgate',
      Dimensions: [
        ['FunctionName', 'Decision', 'Reason'],
        ['FunctionName', 'Decision'],
      ],
      Metrics: [{ Name: 'Decisions', Unit: 'Count' }],
    },
  ]);
  assert.equal(allow.FunctionName, 'my-authorizer');
});

test('AWS_LAMBDA_LOG_LEVEL=WARN drops the info lines (Allow, Unauthorized, metrics) and keeps the error line', async () => {
  const r = await run({ AWS_LAMBDA_LOG_LEVEL: 'warn', LOG_DECISIONS: 'all' }, await events());
  assert.deepEqual(counts(r.lines), {});
  assert.deepEqual(decisions(r), ['failure']);
  // Filtering lines never changes an answer.
  assert.equal(r.answers[0]!.allow, 'ann');
  assert.equal(r.answers[1]!.error?.message, 'Unauthorized');
});

test('AWS_LAMBDA_LOG_LEVEL=ERROR keeps errors only; an unknown level keeps everything, as the runtime does', async () => {
  const all = { LOG_DECISIONS: 'all' };
  assert.deepEqual(
    decisions(await run({ AWS_LAMBDA_LOG_LEVEL: 'ERROR', ...all }, await events())),
    ['failure'],
  );
  assert.deepEqual(decisions(await run({ AWS_LAMBDA_LOG_LEVEL: 'LOUD', ...all }, await events())), [
    'allow',
    'unauthorized',
    'failure',
  ]);
});

test("AWS_LAMBDA_LOG_FORMAT=JSON: one JSON object per line with the runtime's timestamp, level and requestId first", async () => {
  const r = await run({ AWS_LAMBDA_LOG_FORMAT: 'JSON', LOG_DECISIONS: 'all' }, await events());
  assert.deepEqual(decisions(r), ['allow', 'unauthorized', 'failure']);
  const byDecision = Object.fromEntries(r.lines.map((l) => [l.decision, l]));
  for (const [decision, level, requestId] of [
    ['allow', 'INFO', 'req-0'],
    ['unauthorized', 'INFO', 'req-1'],
    ['failure', 'ERROR', 'req-2'],
  ] as const) {
    const line = byDecision[decision]!;
    assert.deepEqual(Object.keys(line).slice(0, 3), ['timestamp', 'level', 'requestId']);
    assert.equal(line.level, level);
    assert.equal(line.requestId, requestId);
    assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
});

test('the minified bundle throws AuthorizerFailure under its own name (errorType), Unauthorized as a plain Error', async () => {
  const r = await run({}, await events());
  const failure = r.answers[2]!.error!;
  // The runtime's error response takes errorType from `name`; its JSON logger from the constructor's name.
  assert.equal(failure.name, 'AuthorizerFailure');
  assert.equal(failure.constructorName, 'AuthorizerFailure');
  assert.match(failure.message, /EVENT_INVALID/);
  assert.equal(r.answers[1]!.error!.constructorName, 'Error');
});
