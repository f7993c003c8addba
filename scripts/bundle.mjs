// Builds the deployable Lambda: dist/authorizer/index.mjs, the one file every cold start loads;
// dist/authorizer/chunks/*.mjs, self-contained modules loaded only when configured (the route-rules
// engine, the config-file validator); and a zip with index.mjs at its root.
//
//   node scripts/bundle.mjs [--config FILE] [--outdir DIR] [--zip FILE]
//
// --config names the config file to embed when TOLLGATE_CONFIG is not set (TOLLGATE_CONFIG, even
// empty, wins: `TOLLGATE_CONFIG=my.config.yaml npm run deploy:build` embeds your own rules).
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { config: { type: 'string' }, outdir: { type: 'string' }, zip: { type: 'string' } },
});
const outdir = args.outdir ?? 'dist/authorizer';
const zipFile = args.zip ?? 'dist/tollgate-authorizer.zip';
// The modules index.mjs imports only when configured: source path -> file beside index.mjs.
const LAZY = {
  'core/rules-engine': 'chunks/rules-engine.mjs',
  'settings/file-validate': 'chunks/file-validate.mjs',
};
const common = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};

// The deployable bundle has a folder of its own (tsc's output for src/lambda stays in dist/lambda).
rmSync(outdir, { recursive: true, force: true });
mkdirSync(join(outdir, 'chunks'), { recursive: true });
const embedded = await embeddedConfig();

// No code splitting: shared chunks would be more files to load at every cold start. The lazy
// modules are left as imports of their own self-contained bundles instead.
const lazyImports = {
  name: 'lazy-modules',
  setup(b) {
    b.onResolve({ filter: /(core\/rules-engine|settings\/file-validate)\.js$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const key = Object.keys(LAZY).find((k) => args.path.endsWith(`${k.split('/')[1]}.js`));
      return key ? { path: `./${LAZY[key]}`, external: true } : undefined;
    });
  },
};
await build({
  ...common,
  entryPoints: ['src/lambda/index.ts'],
  outfile: join(outdir, 'index.mjs'),
  // The config file, if one was found, goes into the code: a cold start reads no file for it.
  define: {
    'globalThis.TOLLGATE_EMBEDDED_CONFIG':
      embedded === undefined ? 'undefined' : JSON.stringify(embedded),
  },
  plugins: [lazyImports],
});
for (const [source, file] of Object.entries(LAZY))
  await build({ ...common, entryPoints: [`src/${source}.ts`], outfile: join(outdir, file) });

const files = {
  'index.mjs': join(outdir, 'index.mjs'),
  ...Object.fromEntries(Object.values(LAZY).map((f) => [f, join(outdir, f)])),
};
// A fixed timestamp keeps the zip byte-identical across builds of the same code.
const mtime = new Date('2020-01-01T00:00:00Z');
const zip = zipSync(
  Object.fromEntries(
    Object.entries(files).map(([name, path]) => [name, [readFileSync(path), { level: 9, mtime }]]),
  ),
);
mkdirSync(dirname(zipFile), { recursive: true });
writeFileSync(zipFile, zip);
const kb = (path) => (statSync(path).size / 1024).toFixed(1);
console.log(
  `${join(outdir, 'index.mjs')} ${kb(join(outdir, 'index.mjs'))} KB (every cold start); loaded only when configured: ${Object.values(
    LAZY,
  )
    .map((f) => `${f} ${kb(join(outdir, f))} KB`)
    .join(', ')}`,
);
console.log(`${zipFile} ${kb(zipFile)} KB (handler: index.handler)`);

/**
 * A config file found here (TOLLGATE_CONFIG, or tollgate.config.yaml/.yml/.json) is validated as
 * the CLI does and returned as the JSON document the function reads, its rules file inlined.
 */
async function embeddedConfig() {
  const { configFilePath, lambdaConfigDocument } = await import('../dist/cli/load-config.js');
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
