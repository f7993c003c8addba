// Builds the sign-in page into dist/page/: web/app.ts bundled by esbuild (one minified ES module,
// no framework), with index.html, app.css and favicon.svg copied beside it. src/web/page-mount.ts serves them.
// Run from anywhere: paths are taken from this file's place in the repository.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'page');
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: [join(root, 'web', 'app.ts')],
  outfile: join(outdir, 'app.js'),
  tsconfig: join(root, 'web', 'tsconfig.json'),
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'favicon.svg'])
  copyFileSync(join(root, 'web', file), join(outdir, file));
