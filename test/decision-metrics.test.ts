// The decision counters behind the deployed function's embedded-metric-format lines: counts per
// decision and reason, written at most once per interval and only when something was counted.
// test/lambda-logging.test.ts reads the lines a real bundle writes at shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDecisionMetrics } from '../src/lambda/decision-metrics.js';
import { reason, refuse, type Decision } from '../src/core/reasons.js';

const allow: Decision = {
  kind: 'allow',
  principal: 'ann',
  claims: { sub: 'ann' },
  context: {},
  kid: 'k1',
  issuer: 'https://issuer.example.com/',
};
const expired = refuse(reason('TOKEN_EXPIRED', { exp: 1, now: 2 }));
const down = refuse(reason('JWKS_UNAVAILABLE'));

function collector() {
  const writes: string[] = [];
  const lines = () =>
    writes
      .flatMap((w) => w.split('\n').filter(Boolean))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { writes, lines, write: (text: string) => writes.push(text) };
}

test('counts per decision and reason, one line each, written once after the interval, then from zero', async () => {
  const out = collector();
  const metrics = createDecisionMetrics({ write: out.write, intervalMs: 20, now: () => 1234 });
  for (const d of [allow, allow, expired, allow, down, expired]) metrics.count(d);
  assert.equal(out.writes.length, 0, 'nothing written on the request path');
  await sleep(150);
  assert.equal(out.writes.length, 1, 'one write for the interval');
  assert.deepEqual(
    out.lines().map((l) => [l.Decision, l.Reason, l.Decisions]),
    [
      ['allow', 'OK', 3],
      ['unauthorized', 'TOKEN_EXPIRED', 2],
      ['failure', 'JWKS_UNAVAILABLE', 1],
    ],
  );
  // Without a FunctionName, the dimensions are the decision and reason alone.
  assert.deepEqual(out.lines()[0], {
    _aws: {
      Timestamp: 1234,
      CloudWatchMetrics: [
        {
          Namespace: 'Tollgate',
          Dimensions: [['Decision', 'Reason'], ['Decision']],
          Metrics: [{ Name: 'Decisions', Unit: 'Count' }],
        },
      ],
    },
    Decision: 'allow',
    Reason: 'OK',
    Decisions: 3,
  });
  await sleep(60);
  assert.equal(out.writes.length, 1, 'no line when nothing was counted');
  metrics.count(down);
  metrics.flush();
  assert.deepEqual(
    out
      .lines()
      .slice(3)
      .map((l) => [l.Decision, l.Reason, l.Decisions]),
    [['failure', 'JWKS_UNAVAILABLE', 1]],
  );
  metrics.flush();
  assert.equal(out.writes.length, 2, 'a flush with nothing counted writes nothing');
});

test('a function name and namespace are carried as given, JSON-escaped', () => {
  const out = collector();
  const metrics = createDecisionMetrics({
    write: out.write,
    functionName: 'fn"\\x',
    namespace: 'Auth/Prod',
  });
  metrics.count(allow);
  metrics.flush();
  const [line] = out.lines();
  assert.equal(line!.FunctionName, 'fn"\\x');
  const aws = line!._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
  assert.equal(aws.CloudWatchMetrics[0]!.Namespace, 'Auth/Prod');
  assert.deepEqual(aws.CloudWatchMetrics[0]!.Dimensions[0], ['FunctionName', 'Decision', 'Reason']);
});
