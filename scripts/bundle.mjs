// Builds the deployable Lambda: one minified ESM file and a zip with index.mjs at its root.
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const out = 'dist/lambda/index.mjs';
mkdirSync('dist/lambda', { recursive: true });
await build({
  entryPoints: ['src/lambda/index.ts'],
  outfile: out,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
});
const code = readFileSync(out);
// A fixed timestamp keeps the zip byte-identical across builds of the same code.
const zip = zipSync({ 'index.mjs': [code, { level: 9, mtime: new Date('2020-01-01T00:00:00Z') }] });
writeFileSync('dist/tollgate-authorizer.zip', zip);
console.log(`dist/lambda/index.mjs ${(code.length / 1024).toFixed(1)} KB, dist/tollgate-authorizer.zip ${(statSync('dist/tollgate-authorizer.zip').size / 1024).toFixed(1)} KB (handler: index.handler)`);
