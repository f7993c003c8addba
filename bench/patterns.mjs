// `node bench/patterns.mjs` (after `npm run build`): claim patterns on hostile 256-character
// values, Tollgate's linear-time automaton against V8's backtracking RegExp on the same input.
// Timings only; the bounds themselves are asserted by operation counts in test/rules.test.ts.
import { compileClaimPattern, patternWork } from '../dist/core/rules-pattern.js';

const CASES = [
  ['\\p{L}*\\p{L}*1', 'a'.repeat(256)],
  ['a{0,120}a{0,120}b', 'a'.repeat(256)],
  ['[a-z]+[a-z]+@', 'a'.repeat(256)],
  ['(a+)+$', `${'a'.repeat(25)}!`], // V8 is exponential: 25 characters, not 256
  ['^[^@\\s]+@example\\.com$', `${'a'.repeat(240)}@example.com`],
];

function time(fn, minMs = 200) {
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    runs++;
  }
  return ((performance.now() - start) * 1000) / runs;
}

console.log('| Pattern | Value | Automaton µs | Steps | V8 RegExp µs |');
console.log('|---|---|---:|---:|---:|');
for (const [source, value] of CASES) {
  const compiled = compileClaimPattern(source);
  if (!compiled.ok) throw new Error(`${source}: ${compiled.message}`);
  const re = new RegExp(source, 'u');
  if (compiled.pattern.test(value) !== re.test(value))
    throw new Error(`${source}: the automaton and RegExp disagree`);
  patternWork.steps = 0;
  compiled.pattern.test(value);
  const steps = patternWork.steps;
  const ours = time(() => compiled.pattern.test(value));
  const v8 = time(() => re.test(value), 100);
  console.log(
    `| \`${source}\` | ${value.length} chars | ${ours.toFixed(1)} | ${steps} | ${v8.toFixed(1)} |`,
  );
}
