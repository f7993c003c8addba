// Writes the README's configuration table from the settings table (src/settings/table.ts and
// table-docs.ts), between its markers; `--check` only reports whether it is up to date (exit 1 if
// not). The JSON Schema is checked against the same table by test/settings-table.test.ts.
//
//   node scripts/settings-docs.mjs [--check]      (npm run docs:settings builds first)
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../dist/settings/settings-docs.js';

const readme = readFileSync('README.md', 'utf8');
const updated = withSettingsTable(readme);
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error(
      'README.md: the configuration table differs from the settings table; run npm run docs:settings',
    );
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync('README.md', updated);
  console.log('README.md: configuration table written');
}
