// The settings table (src/settings/table.ts) is the one description of every setting: the README's
// configuration table and the JSON Schema in schema/ are checked against it, and a change to the
// table that the others do not follow fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { SETTING_TABLE, ISSUER_SETTINGS, type SettingSpec } from '../src/settings/table.js';
import { SETTING_DOCS } from '../src/settings/table-docs.js';
import {
  renderSettingsTable,
  schemaDisagreements,
  withSettingsTable,
} from '../src/settings/settings-docs.js';
import { configSchema, configSchemaText } from '../src/settings/config-schema.js';
import { SERVE_SCHEMA } from '../src/cli/serve-schema.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SCHEMA_TEXT = readFileSync(join(ROOT, 'schema/tollgate.config.schema.json'), 'utf8');
const SCHEMA = JSON.parse(SCHEMA_TEXT) as Record<string, unknown>;

/** The table with one setting changed. */
function altered(name: keyof typeof SETTING_TABLE, change: Partial<SettingSpec>) {
  return { ...SETTING_TABLE, [name]: { ...SETTING_TABLE[name], ...change } as SettingSpec };
}

test("the README's configuration table is the one the settings table gives (npm run docs:settings)", () => {
  assert.equal(withSettingsTable(README), README);
  for (const name of Object.keys(SETTING_TABLE))
    assert.equal(
      README.split('\n').filter((line) => line.startsWith(`| \`${name}\` |`)).length,
      1,
      `${name}: one row`,
    );
});

test('a change to the settings table that the README does not follow is caught', () => {
  const table = altered('CLOCK_TOLERANCE', { max: 301 } as Partial<SettingSpec>);
  assert.notEqual(withSettingsTable(README, renderSettingsTable(table)), README);
  assert.notEqual(
    withSettingsTable(README, renderSettingsTable(altered('POLICY_RESOURCE', { default: 'api' }))),
    README,
  );
});

test('the JSON Schema carries the bounds, choices and defaults of the settings table', () => {
  assert.deepEqual(schemaDisagreements(SCHEMA), []);
});

test('schema/ is the JSON Schema the settings table gives (npm run docs:settings)', () => {
  assert.equal(SCHEMA_TEXT, configSchemaText(SERVE_SCHEMA));
  // A changed bound, choice, default or key changes the schema written, so the line above fails.
  for (const table of [
    altered('JWKS_COOLDOWN', { max: 3601 } as Partial<SettingSpec>),
    altered('SCOPE_MATCH', { values: ['all', 'any', 'most'] } as Partial<SettingSpec>),
    altered('TOKEN_CACHE_SIZE', { default: 100 }),
    altered('USAGE_IDENTIFIER_CLAIM', { file: 'usageClaim' }),
  ])
    assert.notEqual(configSchemaText(SERVE_SCHEMA, table), SCHEMA_TEXT);
  // The generated schema also passes the table check below, whatever the table says.
  const table = altered('CLOCK_TOLERANCE', { max: 600 } as Partial<SettingSpec>);
  assert.deepEqual(schemaDisagreements(configSchema(SERVE_SCHEMA, table), table), []);
});

test('a change to the settings table that the schema does not follow is caught', () => {
  assert.deepEqual(
    schemaDisagreements(SCHEMA, altered('JWKS_COOLDOWN', { min: 2 } as Partial<SettingSpec>)),
    ['JWKS_COOLDOWN (jwks.cooldown): bounds 1 to 3600, table 2 to 3600'],
  );
  assert.deepEqual(
    schemaDisagreements(
      SCHEMA,
      altered('LOG_DECISIONS', { values: ['all', 'refusals', 'none'] } as Partial<SettingSpec>),
    ),
    ['LOG_DECISIONS (logDecisions): enum ["all","refusals"], table ["all","refusals","none"]'],
  );
  assert.deepEqual(schemaDisagreements(SCHEMA, altered('TOKEN_USE', { file: 'tokenUse' })), [
    'TOKEN_USE: the schema has no tokenUse',
    "the schema's issuers[].tokenUse is no setting of the table",
  ]);
  const extra = structuredClone(SCHEMA) as { properties: Record<string, unknown> };
  extra.properties.cacheSize = { type: 'integer' };
  assert.deepEqual(schemaDisagreements(extra), [
    "the schema's cacheSize is no setting of the table",
  ]);
});

test('every environment variable the settings code reads is a row of the table', () => {
  const dir = join(ROOT, 'src/settings');
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('table'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
  }
  assert.ok(names.size >= 10, `found ${names.size} names`);
  assert.deepEqual(
    [...names].filter((n) => !(n in SETTING_TABLE)),
    [],
  );
  // Every row has its doc line (the type says so; this says it at run time too).
  assert.deepEqual(Object.keys(SETTING_DOCS), Object.keys(SETTING_TABLE));
});

test("the Auth0 sample's variable names are the table's, per issuer", () => {
  for (const name of ['TOKEN_ISSUER', 'JWKS_URI', 'AUDIENCE'])
    assert.ok(ISSUER_SETTINGS.includes(name as never), name);
  assert.deepEqual(ISSUER_SETTINGS, [
    'TOKEN_ISSUER',
    'AUDIENCE',
    'JWKS_URI',
    'ALGORITHMS',
    'TOKEN_SECRET',
    'TOKEN_SECRET_FILE',
    'PRESET',
    'TOKEN_USE',
    'SCOPE_CLAIMS',
    'GROUP_CLAIMS',
    'REQUIRED_SCOPES',
    'SCOPE_MATCH',
  ]);
});
