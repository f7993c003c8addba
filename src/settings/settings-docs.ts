// What the settings table (table.ts, table-docs.ts) says elsewhere: the README's configuration
// table, written between markers by `npm run docs:settings`, and the facts the JSON Schema in
// schema/ must carry (bounds, choices, defaults). Tests fail when either drifts from the table.
// Not part of the Lambda bundle.
import { envDefault } from './env.js';
import { SETTING_TABLE, type SettingName, type SettingSpec } from './table.js';
import { SETTING_DOCS, type SettingDoc } from './table-docs.js';

type Table = Readonly<Record<string, SettingSpec>>;
type Docs = Readonly<Record<string, SettingDoc>>;

export const README_START =
  '<!-- settings-table:start (npm run docs:settings writes this table) -->';
export const README_END = '<!-- settings-table:end -->';

/** The settings configFromEnv reads (the others are read by authorizer-config.ts). */
const READ_BY_CONFIG_FROM_ENV = [
  'TOKEN_ISSUER',
  'JWKS_URI',
  'AUDIENCE',
  'ALGORITHMS',
  'CLOCK_TOLERANCE',
  'REQUIRED_SCOPES',
  'SCOPE_MATCH',
  'PRESET',
  'CONTEXT_CLAIMS',
  'POLICY_RESOURCE',
  'TOKEN_MAX_LENGTH',
  'TOKEN_CACHE_SIZE',
  'LOG_DECISIONS',
  'JWKS_TIMEOUT_MS',
  'JWKS_MAX_AGE',
  'JWKS_MIN_AGE',
  'JWKS_COOLDOWN',
  'JWKS_STALE_IF_ERROR',
] as const satisfies readonly SettingName[];

/** The defaults configFromEnv applies, as environment text (derived from SETTING_TABLE). */
export const SETTINGS = Object.fromEntries(
  READ_BY_CONFIG_FROM_ENV.map((name) => [name, { default: envDefault(SETTING_TABLE[name]) }]),
) as {
  readonly [K in (typeof READ_BY_CONFIG_FROM_ENV)[number]]: {
    readonly default: string | undefined;
  };
};

function defaultCell(spec: SettingSpec, doc: SettingDoc): string {
  if (doc.default !== undefined) return doc.default;
  const value = envDefault(spec);
  return value ? `\`${value}\`` : 'none';
}

function meaningCell(spec: SettingSpec, doc: SettingDoc): string {
  return spec.type === 'integer' ? `${doc.doc} From ${spec.min} to ${spec.max}.` : doc.doc;
}

/** The README's configuration table: one row per setting, in the table's order. */
export function renderSettingsTable(
  table: Table = SETTING_TABLE,
  docs: Docs = SETTING_DOCS,
): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const doc = docs[name]!;
    const file = spec.file === undefined ? 'none' : `\`${spec.file}\``;
    return `| \`${name}\` | ${file} | ${defaultCell(spec, doc)} | ${meaningCell(spec, doc)} |`;
  });
  return ['| Variable | Config file | Default | Meaning |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** `readme` with the text between the markers replaced by the table; throws without the markers. */
export function withSettingsTable(readme: string, table: string = renderSettingsTable()): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README: the markers ${README_START} are missing`);
  return `${readme.slice(0, start + README_START.length)}\n${table}\n${readme.slice(end)}`;
}

type SchemaNode = Readonly<Record<string, unknown>>;

/** Schema keys that are structure or have no environment variable, so no row of the table. */
const SCHEMA_ONLY = ['$schema', 'issuers', 'jwks', 'context', 'context.rename', 'serve'];
const SCHEMA_ONLY_ISSUER = ['rules'];

function child(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  const props = node?.properties as Record<string, SchemaNode> | undefined;
  return props?.[key];
}

/** The schema node of a file key: `jwks.maxAge`, `issuers[].preset`. */
function schemaNode(schema: SchemaNode, file: string): SchemaNode | undefined {
  if (file.startsWith('issuers[].')) {
    const issuer = (schema.definitions as Record<string, SchemaNode> | undefined)?.issuer;
    return child(issuer, file.slice('issuers[].'.length));
  }
  return file.split('.').reduce<SchemaNode | undefined>((node, key) => child(node, key), schema);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function specProblems(name: string, spec: SettingSpec, node: SchemaNode): string[] {
  const out: string[] = [];
  const at = `${name} (${spec.file})`;
  if (spec.default !== undefined && !same(node.default, spec.default))
    out.push(
      `${at}: default ${JSON.stringify(node.default)}, table ${JSON.stringify(spec.default)}`,
    );
  if (spec.type === 'integer') {
    if (node.type !== 'integer') out.push(`${at}: type ${String(node.type)}, table integer`);
    if (node.minimum !== spec.min || node.maximum !== spec.max)
      out.push(
        `${at}: bounds ${String(node.minimum)} to ${String(node.maximum)}, table ${spec.min} to ${spec.max}`,
      );
  }
  if (spec.type === 'choice' && !same(node.enum, spec.values))
    out.push(`${at}: enum ${JSON.stringify(node.enum)}, table ${JSON.stringify(spec.values)}`);
  return out;
}

/**
 * Where the JSON Schema disagrees with the table: a setting's key missing, other bounds, choices
 * or defaults, or a key of the schema that no setting describes. Empty when they agree.
 */
export function schemaDisagreements(schema: SchemaNode, table: Table = SETTING_TABLE): string[] {
  const out: string[] = [];
  const described = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    if (spec.file === undefined) continue;
    described.add(spec.file);
    const node = schemaNode(schema, spec.file);
    if (!node) out.push(`${name}: the schema has no ${spec.file}`);
    else out.push(...specProblems(name, spec, node));
  }
  const keys = (node: SchemaNode | undefined, prefix: string): string[] =>
    Object.keys((node?.properties as object | undefined) ?? {}).map((k) => `${prefix}${k}`);
  const issuer = (schema.definitions as Record<string, SchemaNode> | undefined)?.issuer;
  const schemaKeys = [
    ...keys(schema, ''),
    ...keys(child(schema, 'jwks'), 'jwks.'),
    ...keys(child(schema, 'context'), 'context.'),
    ...keys(issuer, 'issuers[].').filter((k) => !SCHEMA_ONLY_ISSUER.includes(k.slice(10))),
  ];
  for (const key of schemaKeys)
    if (!described.has(key) && !SCHEMA_ONLY.includes(key))
      out.push(`the schema's ${key} is no setting of the table`);
  return out;
}
