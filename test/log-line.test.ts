// Decision log lines through a stdout pipe that fills up, as Lambda's does: every line arrives,
// whole and in order, even when fs.writeSync meets a full pipe (EAGAIN) or writes part of a line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from './support/child.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/paths.js';

const LINES = 6000;

// The child touches process.stdout first, as Lambda's runtime does, which makes fd 1 non-blocking;
// it then logs in bursts with turns of the event loop between them, so queued lines could be
// overtaken by later synchronous writes. Each line is about as long as a decision line.
const CHILD = `
import { writeLogLine, logLinesWritten } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/lambda/log-line.js')).href)};
process.stdout;
const pad = 'x'.repeat(180);
for (let n = 0; n < ${LINES}; n++) {
  writeLogLine({ n, pad, unicode: n % 7 === 0 ? 'é€😀' : undefined });
  if (n % 150 === 149) await new Promise((resolve) => setImmediate(resolve));
}
await logLinesWritten();
process.stderr.write('done\\n');
`;

test('log lines through a slowly read, full stdout pipe: every line arrives, whole and in order', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Read slowly: nothing for a while (the pipe fills), then a chunk at a time with pauses.
  child.stdout.pause();
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 1);
  });
  setTimeout(() => child.stdout.resume(), 150);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /done/);
  const lines = Buffer.concat(chunks).toString('utf8').split('\n');
  assert.equal(lines.pop(), '', 'the output ends with a whole line');
  const numbers = lines.map((line, i) => {
    try {
      return (JSON.parse(line) as { n: number }).n;
    } catch {
      assert.fail(`line ${i} is not whole JSON: ${line.slice(0, 80)}`);
    }
  });
  const outOfOrder = numbers.findIndex((n, i) => n !== i);
  assert.equal(outOfOrder, -1, `line ${outOfOrder} is ${numbers[outOfOrder]}`);
  assert.equal(numbers.length, LINES);
});
