// Runs `npm run build` unless dist/ was built from exactly these sources. `npm ci` builds once
// (prepare), and `npm test` right after it then reuses that build instead of building again.
// The stamp is a hash of the build's inputs (paths and contents), written only after a build that
// succeeded: an edited, added or deleted source, a new dependency lock or missing output rebuilds.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Beside the installed packages: `npm ci` starts without it, and it is never published.
const STAMP = join(root, 'node_modules', '.cache', 'tollgate-build-inputs');
const INPUTS = [
  'src',
  'web',
  'scripts/build-web.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];
const OUTPUTS = ['dist/index.js', 'dist/cli/main.js', 'dist/page/app.js'];

function files(path) {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)));
}

function inputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(files).sort())
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update('\0');
  return hash.digest('hex');
}

/** Direct dependencies missing or at another version than the lock names: `npm ci` was not run since the lock changed. */
function stalePackages() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => {
    const installed = join(root, 'node_modules', name, 'package.json');
    return (
      !existsSync(installed) ||
      JSON.parse(readFileSync(installed, 'utf8')).version !== lock[`node_modules/${name}`]?.version
    );
  });
}

const stale = stalePackages();
if (stale.length) {
  console.error(
    `build: node_modules does not match package-lock.json (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}): run npm ci`,
  );
  process.exit(1);
}
const wanted = inputsHash();
const built = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '';
if (built === wanted && OUTPUTS.every((f) => existsSync(join(root, f)))) {
  console.log('build: dist/ is up to date with src/ and web/ (scripts/build-if-stale.mjs)');
} else {
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], {
        cwd: root,
        stdio: 'inherit',
      })
    : spawnSync('npm', ['run', 'build', '--silent'], {
        cwd: root,
        stdio: 'inherit',
        shell: process.platform === 'win32',
      });
  if (result.status !== 0) process.exit(result.status ?? 1);
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, wanted + '\n');
}
