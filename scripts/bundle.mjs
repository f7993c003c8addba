// Builds the deployable Lambda from tsc's output (dist/lambda): dist/authorizer/index.mjs and the
// one chunk it imports, what every cold start loads (the TOKEN path, settings, keys);
// dist/authorizer/chunks/*.mjs, loaded only when needed (the general handler with every other
// event shape, the route-rules engine, the config-file validator); and a zip with index.mjs at its
// root.
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
import { transform } from 'esbuild';
import { rollup } from 'rollup';
import { zipSync } from 'fflate';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

// Two files at a cold start: index.mjs (the entry, a top-level await of coldStart) and one chunk
// holding every module a cold TOKEN call needs. Each file Node's ESM loader opens costs about a
// millisecond, so Rollup's manualChunks puts that whole static graph in one chunk, which esbuild's
// splitting cannot do (it makes a chunk per set of importers: ten files). Every dynamic import()
// (other shapes, rules, config-file validation, discovery, embedded keys) stays a chunk of its own
// that imports what it shares from that chunk; the chunk has no top-level await, so one loaded
// during init imports it without waiting on index.mjs. esbuild then minifies each chunk.
const entry = resolve('dist/lambda/index.js');
const define = {
  'globalThis.TOLLGATE_EMBEDDED_CONFIG':
    embedded === undefined ? 'undefined' : JSON.stringify(embedded),
  'globalThis.TOLLGATE_EMBEDDED_KEYS':
    embeddedKeys === undefined ? 'undefined' : JSON.stringify(embeddedKeys),
};
const bundle = await rollup({
  input: entry,
  external: (id) => id.startsWith('node:'),
  plugins: [{ name: 'esbuild-minify', renderChunk: minified }],
  onwarn: (warning) => {
    console.error(`bundle: ${warning.message}`);
    process.exit(2);
  },
});
const { output } = await bundle.write({
  dir: outdir,
  format: 'es',
  entryFileNames: '[name].mjs',
  chunkFileNames: 'chunks/[name]-[hash].mjs',
  manualChunks: coldChunk(),
  // index.mjs imports only the chunk; the builtins are imported where they are used.
  hoistTransitiveImports: false,
});
await bundle.close();

const chunks = new Map(output.map((o) => [o.fileName, o]));
const built = [...chunks.keys()].sort();
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

/** Rollup's manualChunks: the modules the entry imports statically, transitively, as one chunk. */
function coldChunk() {
  let cold;
  return (id, { getModuleInfo }) => {
    cold ??= staticGraph(entry, getModuleInfo);
    return cold.has(id) && id !== entry ? 'tollgate' : undefined;
  };
}

function staticGraph(id, getModuleInfo, seen = new Set()) {
  const info = getModuleInfo(id);
  if (seen.has(id) || !info || info.isExternal) return seen;
  seen.add(id);
  for (const imported of info.importedIds) staticGraph(imported, getModuleInfo, seen);
  return seen;
}

async function minified(code) {
  const result = await transform(code, {
    minify: true,
    format: 'esm',
    target: 'node20',
    legalComments: 'none',
    define,
  });
  return { code: result.code, map: null };
}

/** index.mjs and the chunks it imports statically, transitively (paths relative to outdir). */
function coldStart(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imported of chunks.get(file).imports)
    if (chunks.has(imported)) coldStart(imported, seen);
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
