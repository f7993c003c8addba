// The gateway bench's load generator, in a process of its own so it never shares a thread with
// the servers: a fixed number of keep-alive connections, each sending its next request as soon as
// its previous answer has been read. Every answer must be a 200 whose body names the principal the
// request's token was for: a server that refuses, fails or skips the authorizer is not measured.
import { Agent, request } from 'node:http';

class WrongAnswer extends Error {}

/** Targets by name: { port, tokens: [{ token, sub }] (empty for the bare server), principal? }. */
let targets;
const agents = new Map();

function agentFor(name, concurrency) {
  let agent = agents.get(name);
  if (agent === undefined) {
    // One agent per target keeps its connections open from the warm-up to the last batch.
    agent = new Agent({
      keepAlive: true,
      maxSockets: concurrency,
      maxFreeSockets: concurrency,
      scheduling: 'fifo',
    });
    agents.set(name, agent);
  }
  return agent;
}

function get(agent, port, headers) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/pets', method: 'GET', agent, headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Requests [from, from + count) of one target, `concurrency` at a time. Request i uses token
 * i modulo the target's tokens: one token for the cached rows, a fresh one each for the distinct row.
 */
async function batch({ target: name, from, count, concurrency }) {
  const target = targets[name];
  const agent = agentFor(name, concurrency);
  const latencies = new Float64Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const k = from + i;
      const t = target.tokens.length ? target.tokens[k % target.tokens.length] : undefined;
      const principal = t ? t.sub : target.principal;
      const started = performance.now();
      let answer;
      try {
        answer = await get(agent, target.port, t ? { authorization: `Bearer ${t.token}` } : {});
      } catch (error) {
        throw new WrongAnswer(`${name}: request ${k} failed: ${error.message}`);
      }
      latencies[i] = performance.now() - started;
      if (answer.status !== 200)
        throw new WrongAnswer(
          `${name}: request ${k} answered ${answer.status} ${answer.body.slice(0, 200)}`,
        );
      if (!answer.body.includes(`"principalId":"${principal}"`))
        throw new WrongAnswer(
          `${name}: request ${k} reached the backend without its principal ${principal}: ${answer.body.slice(0, 200)}`,
        );
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, n: count, latencies: Array.from(latencies), clientCpuUs: used.user + used.system };
}

process.on('message', async (message) => {
  try {
    if (message.type === 'init') {
      targets = message.targets;
      process.send({ ok: true });
    } else if (message.type === 'batch') {
      process.send(await batch(message));
    } else if (message === 'stop') {
      for (const agent of agents.values()) agent.destroy();
      process.send({ maxRssKb: process.resourceUsage().maxRSS }, () => process.exit(0));
    }
  } catch (error) {
    process.send({
      error: error instanceof WrongAnswer ? error.message : String(error?.stack ?? error),
    });
  }
});
process.on('disconnect', () => process.exit(0));
