// The config file's shape, derived from the settings table (table.ts): the keys of each level are
// the settings' `file` keys, plus the few keys that are structure rather than settings. The
// regular expressions here are shared by the validator (file-validate.ts) and the JSON Schema
// (config-schema.ts), so each is written once.
import type { PresetName } from './presets.js';
import type { Namer } from './problems.js';
import { SETTING_TABLE, type SettingName, type SettingSpec } from './table.js';

type Table = Readonly<Record<string, SettingSpec>>;

/** A level of the file: top-level keys, one `issuers[]` item, `jwks`, `context`. */
export type FileLevel = '' | 'issuers[].' | 'jwks.' | 'context.';

/** The file keys at `level` (nested ones by their first part), in the table's order, each once. */
function fileKeysAt(level: FileLevel, table: Table): [key: string, name: SettingName][] {
  const out = new Map<string, SettingName>();
  for (const [name, spec] of Object.entries(table) as [SettingName, SettingSpec][]) {
    const file = spec.file;
    if (file === undefined || !file.startsWith(level)) continue;
    if (level === '' && file.startsWith('issuers[].')) continue;
    const head = file.slice(level.length).split('.')[0]!;
    if (!out.has(head)) out.set(head, name);
  }
  return [...out];
}

/** The settings at `level` that are values, not mappings, by file key (`secret`: the first of two). */
export function settingsAt(level: FileLevel): ReadonlyMap<string, SettingName> {
  return new Map(
    fileKeysAt(level, SETTING_TABLE).filter(
      ([key, name]) => SETTING_TABLE[name].file === level + key,
    ),
  );
}

/** Keys that are structure, not settings: they hold settings or name where things are. */
const STRUCTURE_KEYS: Readonly<Record<FileLevel, readonly [before: string[], after: string[]]>> = {
  '': [['$schema', 'issuers'], ['serve']],
  'issuers[].': [[], ['rules']],
  'jwks.': [[], []],
  'context.': [[], ['rename']],
};

/** Every key a level may hold: the settings' keys (the table's order) and its structure keys. */
export function knownKeys(level: FileLevel, table: Table = SETTING_TABLE): string[] {
  const [before, after] = STRUCTURE_KEYS[level];
  return [...before, ...fileKeysAt(level, table).map(([key]) => key), ...after];
}

/** The keys of a `secret: { env: NAME }` or `{ file: PATH }` mapping. */
export const SECRET_KEYS = ['env', 'file'] as const;

/**
 * Regular expressions shared with the JSON Schema (the test checks the schema carries exactly
 * these strings). keyUrl mirrors checkKeyUrl: https, or http to a loopback host, no credentials.
 */
export const PATTERNS = {
  keyUrl:
    '^(https://[^/?#@\\s]+|http://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]+)?)([/?#]\\S*)?$',
  envName: '^[A-Za-z_][A-Za-z0-9_]*$',
  scope: '^\\S+$',
  // Header and cookie names are RFC 9110 tokens; query names anything API Gateway can pass (as
  // parseTokenSource in src/aws/token-source.ts accepts).
  tokenSource: "^((header|cookie):[!#$%&'*+.^_`|~0-9A-Za-z-]+|query:[^\\s&=#?]+)$",
} as const;

/** The one wording of what a pattern refuses, for the validator's errors and the schema's hints. */
export const PATTERN_PROBLEMS = {
  keyUrl:
    'must use https (plain http only for localhost, 127.0.0.1 and [::1]) and carry no credentials',
  envName: 'must be the name of an environment variable (letters, digits and _)',
  scope: 'must be one scope, without spaces (list each scope on its own)',
  tokenSource: 'must be header:NAME, query:NAME or cookie:NAME',
} as const;

/** The settings whose text (for a list, each item) must match one of PATTERNS. */
export const SETTING_PATTERNS: { readonly [K in SettingName]?: keyof typeof PATTERN_PROBLEMS } = {
  TOKEN_SOURCE: 'tokenSource',
  JWKS_URI: 'keyUrl',
  REQUIRED_SCOPES: 'scope',
};

/**
 * The issuer forms checkPresetIssuer (presets.ts) accepts, as JSON Schema patterns for editors. The
 * validator calls checkPresetIssuer itself, as configFromEnv does; a test keeps these in step.
 */
export const PRESET_ISSUER_PATTERNS: Readonly<Partial<Record<PresetName, string>>> = {
  auth0: '^(https://|https://[\\s\\S]*/)$',
  cognito:
    '^https://cognito-idp\\.[a-z]{2}(?:-[a-z]+)+-\\d\\.amazonaws\\.com/[a-z]{2}(?:-[a-z]+)+-\\d_[A-Za-z0-9]+$',
  okta: '^https://[\\s\\S]*[^/]$',
  entra:
    '^https://(?:login\\.microsoftonline\\.com/[0-9a-fA-F-]{36}/v2\\.0|sts\\.windows\\.net/[0-9a-fA-F-]{36}/)$',
};

/** Context names API Gateway reserves (as CONTEXT_CLAIMS refuses them). */
export const RESERVED_CONTEXT_NAMES = ['principalId', 'claims'] as const;

/**
 * How the file names a setting in problems.ts's rules: its key, without `issuers[].` (an
 * issuer's problems name keys of the same mapping). Here, not in problems.ts: off the cold path.
 */
export const fileKey: Namer = (setting) =>
  (SETTING_TABLE[setting].file ?? setting).replace('issuers[].', '');
