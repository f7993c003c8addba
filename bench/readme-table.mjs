// Writes the performance table of one `npm run bench` run into README.md, between the markers
// below, with the machine, the date and how loaded the machine was: `BENCH_README=1 npm run bench`
// (or `npm run bench:readme`). Only what one run measured goes in; nothing is edited by hand.
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- bench-table:start (written by bench/readme-table.mjs; do not edit) -->';
const END = '<!-- bench-table:end -->';

/** The machine the run is on, and its load when the run started and ended (1, 5, 15 min averages). */
export function machine() {
  const cores = cpus();
  return {
    cpu: `${cores.length}-core ${cores[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'}`,
    node: process.version,
    openssl: process.versions.openssl,
    loadAtStart: loadavg(),
  };
}

const x = (n) => n.toFixed(2);

/** The README's names for the stacks (test/readme.test.ts finds rows by them). */
const README_LABELS = {
  floor: 'node:crypto floor',
  tollgate: 'Tollgate',
  'tollgate-all': 'Tollgate, `LOG_DECISIONS=all`',
  auth0: 'jsonwebtoken + jwks-rsa (Auth0 sample)',
  'aws-jwt-verify': 'aws-jwt-verify',
  jose: 'jose',
};
const load = (l) => l.map((n) => n.toFixed(2)).join(' / ');

/** The Markdown that goes between the markers. */
export function readmeTable(rows, meta) {
  const lines = [
    `One run of \`npm run bench\` (${meta.settings}), ${meta.date.toISOString().slice(0, 16).replace('T', ' ')} UTC,`,
    `${meta.cpu}, Node ${meta.node} (OpenSSL ${meta.openssl}); load average (1 / 5 / 15 min)`,
    `${load(meta.loadAtStart)} at the start and ${load(meta.loadAtEnd)} at the end (other work`,
    'shared the machine: the ratios are paired in one process each, absolute figures are not).',
    "Handlers' stdout is a pipe the bench drains, as in Lambda; default settings (a log line per",
    'refusal, every decision counted in metric lines every few seconds).',
    '',
    '| Stack | Cold start × floor | RS256 distinct × floor | p99 × floor | Repeated token × floor | ES256 distinct × floor | KB loaded at cold start |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${README_LABELS[r.stack.id] ?? r.stack.label} | ${x(r.coldRatio)} | ${x(r.rs256.ratio)} | ${x(r.rs256.p99Ratio)} | ${x(r.repeated.ratio)} | ${x(r.es256.ratio)} | ${r.stack.bundleKb.toFixed(1)} |`,
    );
  return lines.join('\n');
}

/** The figures the README's "Why" section quotes, from the same run (test/readme.test.ts compares them). */
function whyFigures(text, rows) {
  const sample = rows.find((r) => r.stack.id === 'auth0');
  const own = rows.find((r) => r.stack.id === 'tollgate');
  let out = text;
  if (sample)
    out = out.replace(
      /is a \d+ KB bundle that verifies distinct(\s+)RS256 tokens at [\d.]+x/,
      (_m, space) =>
        `is a ${Math.round(sample.stack.bundleKb)} KB bundle that verifies distinct${space}RS256 tokens at ${x(sample.rs256.ratio)}x`,
    );
  if (own)
    out = out.replace(
      /its cold start loads (?:one )?\d+ KB (?:file|in two files)/,
      `its cold start loads ${Math.round(own.stack.bundleKb)} KB in two files`,
    );
  return out;
}

/** Replaces what is between the markers in `file`; refuses, naming them, when they are missing. */
export function writeReadmeTable(file, rows, meta) {
  const text = whyFigures(readFileSync(file, 'utf8'), rows);
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from)
    throw new Error(`${file} has no "${START}" ... "${END}" markers for the bench table`);
  writeFileSync(
    file,
    `${text.slice(0, from + START.length)}\n${readmeTable(rows, meta)}\n${text.slice(to)}`,
  );
}
