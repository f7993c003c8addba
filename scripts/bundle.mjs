// Builds the deployable Lambda: dist/authorizer/index.mjs, what every cold start loads with the
// chunks it imports statically (the TOKEN path, settings, keys); dist/authorizer/chunks/*.mjs,
// loaded only when needed (the general handler with every other event shape, the route-rules
// engine, the config-file validator); and a zip with index.mjs at its root.
//
//   node scripts/bundle.mjs [--config FILE] [--outdir DIR] [--zip FILE] [--embed-keys]
//
// --embed-keys fetches the issuers' current JWKS now (the config file's issuers, else TOKEN_ISSUER
// and JWKS_URI of this environment) and embeds the public keys: at cold start they verify tokens
// whose kid they hold until the function's own first JWKS fetch completes, so the first request
// need not wait for the identity provider. See docs/deploy.md.
//
// --config names the config file to embed when TOLLGATE_CONFIG is not set (TOLLGATE_CONFIG, even
// empty, wins: `TOLLGATE_CONFIG=my.config.yaml npm run deploy:build` embeds your own rules).
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    outdir: { type: 'string' },
    zip: { type: 'string' },
    'embed-keys': { type: 'boolean' },
  },
});
const outdir = args.outdir ?? 'dist/authorizer';
const zipFile = args.zip ?? 'dist/tollgate-authorizer.zip';

// The deployable bundle has a folder of its own (tsc's output for src/lambda stays in dist/lambda).
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const embedded = await embeddedConfig();
const embeddedKeys = args['embed-keys'] ? await keysToEmbed(embedded) : undefined;

// Code splitting: every dynamic import() becomes a chunk loaded on first need, and code shared
// with a lazy chunk lands in a chunk the entry imports statically, so nothing is loaded twice.
const { metafile } = await build({
  entryPoints: ['src/lambda/index.ts'],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  metafile: true,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // The config file, if one was found, goes into the code: a cold start reads no file for it.
  define: {
    'globalThis.TOLLGATE_EMBEDDED_CONFIG':
      embedded === undefined ? 'undefined' : JSON.stringify(embedded),
    'globalThis.TOLLGATE_EMBEDDED_KEYS':
      embeddedKeys === undefined ? 'undefined' : JSON.stringify(embeddedKeys),
  },
});

// The metafile names outputs relative to the working directory; the zip, relative to outdir.
const inOutdir = (path) => relative(resolve(outdir), resolve(path));
const outputs = new Map(Object.entries(metafile.outputs).map(([path, o]) => [inOutdir(path), o]));
const built = [...outputs.keys()].sort();
// A fixed timestamp keeps the zip byte-identical across builds of the same code.
const mtime = new Date('2020-01-01T00:00:00Z');
const zip = zipSync(
  Object.fromEntries(
    built.map((name) => [name, [readFileSync(join(outdir, name)), { level: 9, mtime }]]),
  ),
);
mkdirSync(dirname(zipFile), { recursive: true });
writeFileSync(zipFile, zip);
const kb = (bytes) => (bytes / 1024).toFixed(1);
const cold = coldStart('index.mjs');
const lazy = built.filter((f) => !cold.has(f));
console.log(
  `${join(outdir, 'index.mjs')}: a cold start loads ${kb([...cold].reduce((n, f) => n + statSync(join(outdir, f)).size, 0))} KB in ${cold.size} file(s); loaded only when needed: ${lazy.map((f) => `${f} ${kb(statSync(join(outdir, f)).size)} KB`).join(', ')}`,
);
console.log(`${zipFile} ${kb(statSync(zipFile).size)} KB (handler: index.handler)`);

/** index.mjs and the chunks it imports statically, transitively (paths relative to outdir). */
function coldStart(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const imported of outputs.get(entry).imports)
    if (imported.kind === 'import-statement' && !imported.external)
      coldStart(inOutdir(imported.path), seen);
  return seen;
}

/**
 * A config file found here (TOLLGATE_CONFIG, or tollgate.config.yaml/.yml/.json) is validated as
 * the CLI does and returned as the JSON document the function reads, its rules file inlined.
 */
async function embeddedConfig() {
  const { configFilePath, lambdaConfigDocument } = await import('../dist/settings/config-file.js');
  const path = configFilePath(
    process.env.TOLLGATE_CONFIG === undefined ? args.config : undefined,
    process.env,
  );
  if (!path) return undefined;
  let document;
  try {
    // A file without issuers takes them from the function's environment (TOKEN_ISSUER, AUDIENCE),
    // set by the stack, not at build time: the build validates with stand-ins, never embedded.
    document = lambdaConfigDocument(path, process.env, {
      placeholderSecrets: true,
      placeholderIssuer: true,
    });
  } catch (error) {
    console.error(`bundle: ${error.message}`);
    process.exit(2);
  }
  for (const issuer of document.issuers ?? []) {
    if (issuer.secret?.file)
      console.warn(
        `bundle: issuer ${issuer.issuer} reads its secret from ${issuer.secret.file}, which is not in the zip; in Lambda use secret: { env: NAME }`,
      );
  }
  console.log(
    `embedded ${path} in ${join(outdir, 'index.mjs')}${typeof document.rules === 'object' ? ' (rules inlined)' : ''}`,
  );
  return document;
}

/** The issuers' current public keys (--embed-keys), fetched now; exits 2 naming what failed. */
async function keysToEmbed(document) {
  const { embedTargets, fetchEmbeddedKeys } = await import('../dist/cli/embed-keys.js');
  try {
    const keys = await fetchEmbeddedKeys(embedTargets(document, process.env));
    for (const k of keys)
      console.log(
        `embedded ${k.keys.length} key(s) of ${k.issuer} from ${k.jwksUri}: used until the function's first JWKS fetch completes`,
      );
    return keys;
  } catch (error) {
    console.error(`bundle: ${error.message}`);
    process.exit(2);
  }
}
