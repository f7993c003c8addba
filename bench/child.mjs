// One stack's throughput process. The stack's bundle and a private copy of the floor run in this
// same process on the same tokens, alternating in chunks, so whatever the machine does during the
// run (frequency changes, a neighbour's load) lands on both and cancels in their ratio.
// Results go to the parent over IPC: stdout is a pipe the parent drains, as Lambda's is, and the
// handlers' log lines go there.
import { readFileSync } from 'node:fs';

// Lambda's runtime has its log stream open before it loads a handler (for a pipe, Node makes fd 1
// non-blocking when it opens it), so a handler's writes meet what they meet in Lambda.
void process.stdout;

const { stackUrl, floorUrl, tokensFile, chunk } = JSON.parse(process.env.BENCH_CHILD);

class Refused extends Error {}

const gc = globalThis.gc;
if (typeof gc !== 'function') throw new Error('child.mjs needs --expose-gc');

function eventsOf(tokens, methodArn) {
  return tokens.map(({ token }) => ({
    type: 'TOKEN',
    authorizationToken: `Bearer ${token}`,
    methodArn,
  }));
}

function isAllowFor(result, sub) {
  return result?.principalId === sub && result.policyDocument?.Statement?.[0]?.Effect === 'Allow';
}

/**
 * Times events [from, to) through one handler. Each latency runs from the previous answer to this
 * one, so the latencies add up to the chunk's wall time and nothing between events goes unmeasured.
 * Every answer must be an Allow for the token's own subject: a stack that refuses is not measured.
 */
async function timeChunk(name, handler, events, subs, from, to, latencies) {
  const started = performance.now();
  let previous = started;
  for (let i = from; i < to; i++) {
    let result;
    try {
      result = await handler(events[i]);
    } catch (error) {
      throw new Refused(`${name} threw on a valid token (${subs[i]}): ${error?.message ?? error}`);
    }
    const now = performance.now();
    latencies[i] = now - previous;
    previous = now;
    if (!isAllowFor(result, subs[i]))
      throw new Refused(
        `${name} did not allow a valid token (${subs[i]}): ${JSON.stringify(result)}`,
      );
  }
  return previous - started;
}

/**
 * Floor and stack take turns chunk by chunk (floor first, then stack first: ABBA), on the same
 * tokens. A minor GC before each chunk empties the young generation, so each side's scavenges are
 * paid for its own garbage and not for what the other side left behind.
 */
async function paired(floor, stack, events, subs) {
  const sides = {
    floor: { ms: 0, n: 0, latencies: new Float64Array(events.length) },
    stack: { ms: 0, n: 0, latencies: new Float64Array(events.length) },
  };
  for (let from = 0, k = 0; from < events.length; from += chunk, k++) {
    const to = Math.min(from + chunk, events.length);
    const order = k % 2 === 0 ? ['floor', 'stack'] : ['stack', 'floor'];
    for (const side of order) {
      gc({ type: 'minor' });
      sides[side].ms += await timeChunk(
        side,
        side === 'floor' ? floor : stack,
        events,
        subs,
        from,
        to,
        sides[side].latencies,
      );
      sides[side].n += to - from;
    }
  }
  for (const side of Object.values(sides)) side.latencies = Array.from(side.latencies);
  return sides;
}

async function run() {
  const tokens = JSON.parse(readFileSync(tokensFile, 'utf8'));
  const arn = tokens.methodArn;
  // The query string gives the floor its own module instance, also when the stack is the floor.
  const { handler: floor } = await import(`${floorUrl}?paired`);
  const { handler: stack } = await import(stackUrl);

  // Before anything is timed: valid tokens are allowed, and tokens a correct authorizer must refuse
  // are refused, so nobody is measuring a stack that skips a check.
  for (const [name, handler] of [
    ['floor', floor],
    ['stack', stack],
  ]) {
    for (const alg of ['rs256', 'es256']) {
      const { token, sub } = tokens[alg].warm[0];
      const result = await handler({
        type: 'TOKEN',
        authorizationToken: `Bearer ${token}`,
        methodArn: arn,
      });
      if (!isAllowFor(result, sub))
        throw new Refused(`${name} did not allow a valid ${alg} token: ${JSON.stringify(result)}`);
    }
    for (const { why, token } of tokens.mustRefuse) {
      let result;
      try {
        result = await handler({
          type: 'TOKEN',
          authorizationToken: `Bearer ${token}`,
          methodArn: arn,
        });
      } catch {
        continue;
      }
      if (result?.policyDocument?.Statement?.[0]?.Effect === 'Allow')
        throw new Refused(`${name} ALLOWED a token it must refuse (${why})`);
    }
  }

  const phase = (list) => ({ events: eventsOf(list, arn), subs: list.map((t) => t.sub) });
  const repeatedList = Array.from({ length: tokens.rs256.measured.length }, () => tokens.repeated);
  const repeatedWarm = Array.from({ length: tokens.rs256.warm.length }, () => tokens.repeated);

  // Every phase is warmed before any is timed, so no phase runs code another phase's warm-up has
  // just re-optimized; warm-up tokens are their own set, so measured tokens are new to both sides.
  const phases = [
    ['rs256', tokens.rs256.warm, tokens.rs256.measured],
    ['es256', tokens.es256.warm, tokens.es256.measured],
    ['repeated', repeatedWarm, repeatedList],
  ].map(([name, warm, measured]) => ({ name, warm: phase(warm), measured: phase(measured) }));
  for (const { warm } of phases) await paired(floor, stack, warm.events, warm.subs);
  const results = {};
  for (const { name, measured } of phases)
    results[name] = await paired(floor, stack, measured.events, measured.subs);
  return results;
}

try {
  const phases = await run();
  process.send({ phases, maxRssKb: process.resourceUsage().maxRSS }, () => process.exit(0));
} catch (error) {
  process.send(
    { error: error instanceof Refused ? error.message : String(error?.stack ?? error) },
    () => process.exit(0),
  );
}
