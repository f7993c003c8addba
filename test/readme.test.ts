// The README and docs/*.md against the repository: every file they name exists, every npm script
// they run is in package.json, and the figures and files said twice say the same thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { parse } from 'yaml';
import { repoPath, ROOT } from './support/paths.js';

const DOCS = [
  'README.md',
  ...readdirSync(repoPath('docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (file: string): string => readFileSync(repoPath(file), 'utf8');
const README = text('README.md');

// Paths into the repository as the documents write them: from a top-level folder of the repository.
const TRACKED =
  /(?<![\w./-])((?:examples|docs|src|deploy|scripts|bench|schema|test|web|bin|\.ci)\/[\w./@-]*[\w/])/g;
// Built (dist/, a CDK app's cdk.out/), installed, created by the reader, or spelled with a
// placeholder: not files of the repository.
const NOT_A_FILE = /[*{}<>]|^(?:dist|node_modules)\/|\/(?:cdk\.out|node_modules)\//;

// A Lambda handler setting (`src/auth.handler`) names MODULE.EXPORT, not a file: a path counts when
// it is a folder or its last part has a file extension.
const FILE_NAME = /(?:\/|\.(?:[cm]?js|ts|json|ya?ml|md|html|css|svg|sh|txt|zip))$/;
// A paragraph citing another repository's source (`owner/name: src/...`) names that repository's files.
const OTHER_REPOSITORY = /\b[a-z0-9-]+\/[a-z0-9._-]+: /i;

function referencedPaths(file: string): string[] {
  const found = new Set<string>();
  for (const paragraph of text(file).split(/\n\s*\n/)) {
    if (OTHER_REPOSITORY.test(paragraph)) continue;
    for (const m of paragraph.matchAll(TRACKED)) {
      const path = m[1]!.replace(/[.]$/, '');
      if (
        !NOT_A_FILE.test(path) &&
        (FILE_NAME.test(path) || existsSync(join(ROOT, path)) || !/\.[a-z]+$/i.test(path))
      )
        found.add(path);
    }
  }
  return [...found];
}

/** Markdown links to files, resolved from the document's folder (anchors and URLs left out). */
function linkedPaths(file: string): string[] {
  return [...text(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target))
    .map((target) => normalize(join(dirname(file), target)));
}

test('every repository file the README and docs/*.md name or link exists', () => {
  const missing: string[] = [];
  for (const file of DOCS) {
    for (const path of [...referencedPaths(file), ...linkedPaths(file)])
      if (!existsSync(join(ROOT, path))) missing.push(`${file}: ${path}`);
  }
  assert.deepEqual(missing, []);
  assert.ok(
    referencedPaths('README.md').includes('examples/serve.config.yaml'),
    "the reference finder finds the README's paths",
  );
});

test('every npm script the README and docs/*.md run is in package.json', () => {
  const scripts = (JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts;
  const missing: string[] = [];
  for (const file of DOCS) {
    for (const m of text(file).matchAll(/\bnpm (?:run ([\w:-]+)|(start|test)\b)/g)) {
      const name = m[1] ?? m[2]!;
      if (!(name in scripts)) missing.push(`${file}: npm ${m[1] ? 'run ' : ''}${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

/** The row of the Performance table whose first cell is `stack`: its other cells as numbers. */
function performanceRow(stack: string): number[] {
  const row = README.split('\n').find(
    (line) => line.startsWith('|') && line.split('|')[1]!.trim() === stack,
  );
  assert.ok(row, `the Performance table has a row for ${stack}`);
  return row
    .split('|')
    .slice(2, -1)
    .map((cell) => Number(cell.trim()));
}

test('the figures "Why" gives are the ones the Performance table measured', () => {
  const why = README.slice(README.indexOf('## Why'), README.indexOf('## Quick start'));
  const header = README.split('\n')
    .find((line) => line.startsWith('| Stack |'))!
    .split('|')
    .slice(2, -1)
    .map((c) => c.trim());
  const column = (name: string): number => header.findIndex((h) => h.startsWith(name));
  const sample = performanceRow('jsonwebtoken + jwks-rsa (Auth0 sample)');
  const tollgate = performanceRow('Tollgate');
  const [, sampleKb, sampleRatio] =
    /is a (\d+) KB bundle that verifies distinct\s+RS256 tokens at ([\d.]+)x/.exec(why) ?? [];
  assert.equal(Number(sampleRatio), sample[column('RS256 distinct')], "the Auth0 sample's ratio");
  assert.equal(
    Number(sampleKb),
    Math.round(sample[column('KB loaded')]!),
    "the Auth0 sample's size",
  );
  const [, ownKb] = /its cold start loads (\d+) KB in two files/.exec(why) ?? [];
  assert.equal(Number(ownKb), Math.round(tollgate[column('KB loaded')]!), "Tollgate's own size");
});

test('the rules file the README names for npm start is the one examples/serve.config.yaml serves', () => {
  const start = (JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts
    .start!;
  const configPath = /--config (\S+)/.exec(start)![1]!;
  const config = parse(text(configPath)) as { rules: string };
  const served = normalize(join(dirname(configPath), config.rules));
  const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('## Deploy'));
  assert.match(quickStart, new RegExp(`What runs is \`${configPath}\``));
  assert.equal(/the route\s+rules `([^`]+)`/.exec(quickStart)?.[1], served);
});

test('the rules shown in "Route rules" are the file they are said to be, comments aside', () => {
  const section = README.slice(README.indexOf('## Route rules'));
  const named = /`(examples\/[\w.-]+\.rules\.yaml)` shows every kind of rule/.exec(section)![1]!;
  const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  assert.deepEqual(parse(block), parse(text(named)));
});
