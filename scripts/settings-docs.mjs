// Writes what the settings table (src/settings/table.ts and table-docs.ts) says elsewhere: the
// README's configuration table, between its markers, and the config file's JSON Schema
// (schema/tollgate.config.schema.json). `--check` only reports whether both are up to date
// (exit 1 if not); test/settings-table.test.ts fails when either drifts.
//
//   node scripts/settings-docs.mjs [--check]      (npm run docs:settings builds first)
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../dist/settings/settings-docs.js';
import { configSchemaText } from '../dist/settings/config-schema.js';
import { SERVE_SCHEMA } from '../dist/cli/serve-schema.js';

const SCHEMA = 'schema/tollgate.config.schema.json';
const outputs = [
  ['README.md', 'the configuration table', (text) => withSettingsTable(text)],
  [SCHEMA, 'the JSON Schema', () => configSchemaText(SERVE_SCHEMA)],
];
let stale = false;
for (const [file, what, update] of outputs) {
  const text = readFileSync(file, 'utf8');
  const updated = update(text);
  if (updated === text) continue;
  if (process.argv.includes('--check')) {
    console.error(`${file}: ${what} differs from the settings table; run npm run docs:settings`);
    stale = true;
  } else {
    writeFileSync(file, updated);
    console.log(`${file}: ${what} written`);
  }
}
if (stale) process.exit(1);
