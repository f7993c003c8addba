// The layout's one rule: src/'s top-level folders import only from folders below them, and the
// core from nothing but itself and Node's built-ins. Lint enforces it on each file; this test
// checks the whole graph (dynamic imports included) and that the lint rule catches a wrong way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');
// The layers as the lint rule has them (eslint.config.js), so the two cannot disagree.
const { LAYERS } = (await import(pathToFileURL(join(ROOT, 'eslint.config.js')).href)) as {
  LAYERS: readonly string[];
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const topFolder = (file: string): string => relative(SRC, file).split('/')[0]!;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

/** Every import between two different top-level folders, as `from -> to: file`. */
function crossFolderImports(): { from: string; to: string; file: string; spec: string }[] {
  const found = [];
  for (const file of sourceFiles(SRC)) {
    const from = topFolder(file);
    if (from.endsWith('.ts')) continue; // src/index.ts: the package's public surface, on top
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (!spec!.startsWith('.')) {
        if (from === 'core' && !spec!.startsWith('node:'))
          found.push({ from, to: spec!, file, spec: spec! });
        continue;
      }
      const to = topFolder(normalize(join(dirname(file), spec!)));
      if (to !== from) found.push({ from, to, file: relative(ROOT, file), spec: spec! });
    }
  }
  return found;
}

test('every top-level folder of src/ is a known layer', () => {
  const folders = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  assert.deepEqual(folders.sort(), [...LAYERS].sort());
});

test('imports point one way: each folder imports only from the layers below it', () => {
  const wrong = crossFolderImports().filter(
    ({ from, to }) => !(LAYERS.indexOf(to) >= 0 && LAYERS.indexOf(to) < LAYERS.indexOf(from)),
  );
  assert.deepEqual(wrong, []);
});

test('the lint rule fails on a wrong-way import and on the core importing a package', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const [upward] = await eslint.lintText(
    "import { handler } from '../lambda/handler.js';\nexport const h = handler;\n",
    { filePath: join(SRC, 'aws', 'wrong-way.ts') },
  );
  assert.ok(
    upward!.messages.some((m) => m.ruleId === 'no-restricted-imports'),
    JSON.stringify(upward!.messages),
  );
  const [pkg] = await eslint.lintText("import { parse } from 'yaml';\nexport const p = parse;\n", {
    filePath: join(SRC, 'core', 'wrong-way.ts'),
  });
  assert.ok(
    pkg!.messages.some((m) => m.ruleId === 'no-restricted-imports'),
    JSON.stringify(pkg!.messages),
  );
  const [down] = await eslint.lintText(
    "import { parseMethodArn } from '../aws/policy.js';\nexport const p = parseMethodArn;\n",
    { filePath: join(SRC, 'lambda', 'right-way.ts') },
  );
  assert.deepEqual(
    down!.messages.filter((m) => m.ruleId === 'no-restricted-imports'),
    [],
  );
});

test('the lint rule fails on a function in src/ over 80 lines, blank lines and comments not counted', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const fn = (statements: number): string =>
    `export function steps(): number {\n  let n = 0;\n\n  // a comment\n${'  n += 1;\n'.repeat(statements)}  return n;\n}\n`;
  const lint = async (statements: number): Promise<string[]> => {
    const [result] = await eslint.lintText(fn(statements), {
      filePath: join(SRC, 'core', 'long-function.ts'),
    });
    return result!.messages.map((m) => m.ruleId ?? '');
  };
  // 4 lines besides the statements: the signature, `let`, `return` and the closing brace.
  assert.ok((await lint(77)).includes('max-lines-per-function'), '81 lines fail');
  assert.ok(!(await lint(76)).includes('max-lines-per-function'), '80 lines pass');
});
