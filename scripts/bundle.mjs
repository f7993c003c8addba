// Builds the deployable Lambda: dist/lambda/index.mjs (what every cold start loads), chunks that
// load only when configured (the config-file validator, the route-rules engine), and a zip with
// index.mjs at its root.
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const outdir = 'dist/lambda';
// dist/lambda also holds tsc's output for src/lambda (the CLI imports it): remove only the bundle's own files.
rmSync(join(outdir, 'index.mjs'), { force: true });
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const embedded = await embeddedConfig();
await build({
  entryPoints: { index: 'src/lambda/index.ts' },
  // The config file, if one was found, goes into the code: a cold start reads no file for it.
  define: { 'globalThis.TOLLGATE_EMBEDDED_CONFIG': embedded === undefined ? 'undefined' : JSON.stringify(embedded) },
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
});

const files = { 'index.mjs': join(outdir, 'index.mjs') };
for (const name of readdirSync(join(outdir, 'chunks')).sort()) files[`chunks/${name}`] = join(outdir, 'chunks', name);
// A fixed timestamp keeps the zip byte-identical across builds of the same code.
const mtime = new Date('2020-01-01T00:00:00Z');
const zip = zipSync(Object.fromEntries(Object.entries(files).map(([name, path]) => [name, [readFileSync(path), { level: 9, mtime }]])));
writeFileSync('dist/tollgate-authorizer.zip', zip);
const kb = (path) => (statSync(path).size / 1024).toFixed(1);
const chunks = Object.keys(files).filter((f) => f.startsWith('chunks/'));
console.log(`dist/lambda/index.mjs ${kb(join(outdir, "index.mjs"))} KB, chunks: ${chunks.map((c) => `${c} ${kb(join(outdir, c))} KB`).join(", ")} (the rules engine and the config-file validator load only when configured)`);
console.log(`dist/tollgate-authorizer.zip ${kb('dist/tollgate-authorizer.zip')} KB (handler: index.handler)`);

/**
 * A config file found here (TOLLGATE_CONFIG, or tollgate.config.yaml/.yml/.json) is validated as
 * the CLI does and returned as the JSON document the function reads, its rules file inlined.
 */
async function embeddedConfig() {
  const { configFilePath, lambdaConfigDocument } = await import('../dist/cli/load-config.js');
  const path = configFilePath(undefined, process.env);
  if (!path) return undefined;
  let document;
  try {
    document = lambdaConfigDocument(path, process.env, { placeholderSecrets: true });
  } catch (error) {
    console.error(`bundle: ${error.message}`);
    process.exit(2);
  }
  for (const issuer of document.issuers ?? []) {
    if (issuer.secret?.file) console.warn(`bundle: issuer ${issuer.issuer} reads its secret from ${issuer.secret.file}, which is not in the zip; in Lambda use secret: { env: NAME }`);
  }
  console.log(`embedded ${path} in dist/lambda/index.mjs${typeof document.rules === 'object' ? ' (rules inlined)' : ''}`);
  return document;
}
