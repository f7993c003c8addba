// Validation of a tollgate.config document that is already parsed (from YAML or JSON): pure, no
// I/O and no YAML parser, so the Lambda can check a bundled JSON document with it (its
// fileInputFromDocument). config-file.ts parses files and gives each issue a line and column.
//
// Each key is checked by its row of the settings table (table.ts: type, bounds, choices, fewest
// items, defaults inside an issuer) at the key the table gives it (file-forms.ts); the rules an
// issuer's keys decide together are file-issuer.ts's, worded as the environment's (problems.ts).
// schema/tollgate.config.schema.json is generated from the same table (config-schema.ts), and
// test/config-file.test.ts checks that the two agree; the few checks a JSON Schema cannot
// express are listed in VALIDATOR_ONLY_CHECKS.
import { ALGORITHMS, HMAC_ALGORITHMS, type Algorithm } from '../core/algorithms.js';
import { Checker, describe, has, isDoc, type ConfigIssue } from './file-check.js';
import { knownKeys, RESERVED_CONTEXT_NAMES, settingsAt } from './file-forms.js';
import {
  checkIssuer,
  checkRules,
  SETTING_RES,
  type FileIssuer,
  type RulesSource,
} from './file-issuer.js';
import type { FileInput } from './build-settings.js';
import { ConfigError } from './config-error.js';
import { fileInput } from './file-input.js';
import { formatKeyPath } from '../core/key-path.js';
import { fileKey } from './file-forms.js';
import { PROBLEMS } from './problems.js';
import { integerSettings, SETTING_TABLE } from './table.js';

export type { ConfigIssue, ConfigPath } from './file-check.js';
export type { FileIssuer, RulesSource, SecretSource, TokenUse } from './file-issuer.js';
export { PATTERNS, PRESET_ISSUER_PATTERNS, RESERVED_CONTEXT_NAMES } from './file-forms.js';
export { PRESETS, type PresetName as Preset } from './presets.js';
export { formatKeyPath as formatConfigPath } from '../core/key-path.js';

/** Algorithms for issuers whose keys come from a JWKS, and for issuers with a shared secret. */
export const KEY_ALGORITHMS: readonly Algorithm[] = ALGORITHMS;
export const SECRET_ALGORITHMS: readonly Algorithm[] = HMAC_ALGORITHMS;

/**
 * Where REQUEST, HTTP API and WebSocket events carry the token (`header:Authorization`): the same
 * shape as TokenSource in src/aws/token-source.ts. The name is as written.
 */
export interface TokenSource {
  readonly kind: 'header' | 'query' | 'cookie';
  readonly name: string;
}

/**
 * A validated configuration file. Top-level settings are `undefined` when the file does not set
 * them, so that whoever merges the file with environment variables can tell "not set" from "set
 * to the default"; the defaults are those of SETTING_TABLE (table.ts). Relative paths are resolved
 * against the config file's folder.
 */
export interface FileConfig {
  /** Undefined: the file names no issuer, and TOKEN_ISSUER (environment) supplies the one issuer. */
  readonly issuers: readonly FileIssuer[] | undefined;
  readonly rules: RulesSource | undefined;
  readonly tokenSource: TokenSource | undefined;
  /** HTTP API payload 2.0 answers: the simple response or an IAM policy. */
  readonly v2Response: 'simple' | 'iam' | undefined;
  readonly context:
    | { readonly claims: readonly string[]; readonly rename: Readonly<Record<string, string>> }
    | undefined;
  readonly usageIdentifierClaim: string | undefined;
  readonly policyResource: 'stage' | 'api' | undefined;
  readonly clockTolerance: number | undefined;
  readonly tokenMaxLength: number | undefined;
  readonly tokenCacheSize: number | undefined;
  readonly logDecisions: 'all' | 'refusals' | undefined;
  /** Always an object; each member undefined when not set. Seconds, except `timeoutMs`. */
  readonly jwks: {
    readonly timeoutMs: number | undefined;
    readonly maxAge: number | undefined;
    readonly minAge: number | undefined;
    readonly cooldown: number | undefined;
    readonly staleIfError: number | undefined;
  };
  /** `tollgate serve`'s settings, checked by the CLI (src/cli/serve-settings.ts); the authorizer ignores them. */
  readonly serve: Readonly<Record<string, unknown>> | undefined;
}

export type ValidateResult =
  { ok: true; config: FileConfig } | { ok: false; errors: ConfigIssue[] };

export interface ValidateOptions {
  /**
   * Folder that relative paths (`rules`, `secret.file`) are resolved against: the config file's
   * folder. Default: the working directory (the task root, /var/task, in Lambda).
   */
  readonly baseDir?: string;
  /**
   * The environment, consulted only for TOKEN_ISSUER: `issuers` may be left out when it is set.
   * Default `{}` (no environment: `issuers` is required), which keeps this function pure.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The integer settings of the file, with their bounds and environment names (from SETTING_TABLE). */
export const INTEGER_SETTINGS = integerSettings('');
export const JWKS_SETTINGS = integerSettings('jwks.');

/** What this validator refuses that the JSON Schema (and so an editor) cannot see. */
export const VALIDATOR_ONLY_CHECKS = [
  'issuers: required unless TOKEN_ISSUER is set in the environment',
  'issuers[].issuer: unique across issuers',
  'issuers[].jwksUri and a discovery issuer: parse as a URL (for example a port above 65535)',
  'jwks.minAge: not above jwks.maxAge',
  'context.claims: a claim named principalId or claims is copied only under another name (context.rename)',
  'context.rename: renames only claims that context.claims lists, to distinct names that no other copied claim has',
] as const;

type Doc = Record<string, unknown>;
type Env = Readonly<Record<string, string | undefined>>;
type TopSettings = Omit<FileConfig, 'issuers' | 'context' | 'jwks' | 'serve'>;

/** The issuers, each unique by its exact iss; required unless TOKEN_ISSUER is set. */
function checkIssuers(
  c: Checker,
  root: Doc,
  baseDir: string,
  env: NonNullable<ValidateOptions['env']>,
): FileIssuer[] | undefined {
  const list = root.issuers;
  if (!has(root, 'issuers')) {
    if (!env.TOKEN_ISSUER?.trim())
      c.fail(['issuers'], 'is required (or set TOKEN_ISSUER in the environment)');
    return undefined;
  }
  if (!Array.isArray(list))
    return c.fail(['issuers'], `must be a list of issuers, got ${describe(list)}`);
  if (list.length === 0) return c.fail(['issuers'], 'must list at least one issuer');
  const seen = new Map<string, number>();
  const issuers = list.map((item: unknown, i) => {
    const issuer = checkIssuer(c, item, ['issuers', i], baseDir);
    const iss = isDoc(item) ? item.issuer : undefined;
    if (typeof iss !== 'string' || !iss) return issuer;
    const first = seen.get(iss);
    if (first === undefined) seen.set(iss, i);
    else
      c.fail(
        ['issuers', i, 'issuer'],
        `${JSON.stringify(iss)} is already configured by issuers[${first}]: the token's iss must choose one issuer`,
      );
    return issuer;
  });
  return issuers.every((i) => i !== undefined) ? issuers : undefined;
}

/** The top-level settings the table describes, each by its row; undefined when not set. */
function checkTopSettings(c: Checker, root: Doc, baseDir: string): TopSettings {
  const values: Record<string, unknown> = {};
  for (const [key, name] of settingsAt('')) {
    if (!has(root, key)) values[key] = undefined;
    else if (key === 'rules') values[key] = checkRules(c, root[key], [key], baseDir);
    else values[key] = c.setting(root, key, [], SETTING_TABLE[name], SETTING_RES[name]);
  }
  const source = values.tokenSource as string | undefined;
  if (source !== undefined) {
    const colon = source.indexOf(':');
    values.tokenSource = {
      kind: source.slice(0, colon) as TokenSource['kind'],
      name: source.slice(colon + 1),
    };
  }
  return values as unknown as TopSettings;
}

/** `jwks`: always an object, each member by its row of the table; minAge not above maxAge. */
function checkJwks(c: Checker, root: Doc): FileConfig['jwks'] {
  const values: Record<string, number | undefined> = {};
  const keys = settingsAt('jwks.');
  for (const key of keys.keys()) values[key] = undefined;
  const doc = has(root, 'jwks')
    ? c.mapping(
        root.jwks,
        ['jwks'],
        knownKeys('jwks.'),
        `a mapping (${[...keys.keys()].join(', ')})`,
      )
    : undefined;
  for (const [key, name] of keys)
    if (doc && has(doc, key))
      values[key] = c.setting(doc, key, ['jwks'], SETTING_TABLE[name]) as number | undefined;
  const { minAge, maxAge } = values;
  if (minAge !== undefined && maxAge !== undefined && minAge > maxAge)
    c.fail(['jwks', 'minAge'], PROBLEMS.minAge(fileKey, minAge, maxAge));
  return values as unknown as FileConfig['jwks'];
}

const RESERVED = {
  re: new RegExp(`^(?!(${RESERVED_CONTEXT_NAMES.join('|')})$)`, 'u'),
  problem: 'is a name API Gateway reserves',
};

/** `context.rename`: claims that context.claims lists, to distinct names no other copied claim has. */
function checkRename(c: Checker, doc: Doc): Record<string, string> {
  const at = ['context', 'rename'];
  const map = isDoc(doc.rename)
    ? doc.rename
    : c.fail(at, `must be a mapping of claim: newName, got ${describe(doc.rename)}`);
  const rename: Record<string, string> = {};
  const used = new Map<string, string>();
  // Checked against the names listed, even when one of them was refused.
  const listed = Array.isArray(doc.claims)
    ? doc.claims.filter((n): n is string => typeof n === 'string')
    : undefined;
  for (const claim of Object.keys(map ?? {})) {
    const target = c.text(map!, claim, at, RESERVED);
    if (target === undefined) continue;
    const q = JSON.stringify;
    if (listed && !listed.includes(claim))
      c.fail([...at, claim], `renames ${q(claim)}, which context.claims does not list`, true);
    else if (used.has(target))
      c.fail([...at, claim], `${q(target)} is also the new name of ${q(used.get(target))}`);
    else if (listed && listed.includes(target) && !has(map!, target))
      c.fail([...at, claim], `${q(target)} is already the name of a copied claim`);
    used.set(target, claim);
    rename[claim] = target;
  }
  return rename;
}

function checkContext(c: Checker, raw: unknown): FileConfig['context'] {
  const doc = c.mapping(raw, ['context'], knownKeys('context.'), 'a mapping (claims, rename)');
  if (!doc) return undefined;
  const before = c.issues.length;
  const claims = has(doc, 'claims')
    ? (c.setting(doc, 'claims', ['context'], SETTING_TABLE.CONTEXT_CLAIMS) as string[] | undefined)
    : c.fail(
        ['context', 'claims'],
        'is required (the claims copied into the authorizer context; [] for none)',
      );
  const rename = has(doc, 'rename') ? checkRename(c, doc) : {};
  // As CONTEXT_CLAIMS: the name a claim gets in the context must not be one API Gateway reserves.
  claims?.forEach((claim, i) => {
    if (!has(rename, claim) && !RESERVED.re.test(claim))
      c.fail(
        ['context', 'claims', i],
        `${PROBLEMS.reservedContextName(claim)}: copy it under another name (context.rename)`,
      );
  });
  return c.issues.length > before ? undefined : { claims: claims!, rename };
}

/**
 * Validates a parsed tollgate.config document (YAML or JSON). Collects every problem, each with
 * the path of the key it concerns; never reads a secret, a file or the network.
 */
export function validateConfigDocument(
  doc: unknown,
  options: ValidateOptions = {},
): ValidateResult {
  const baseDir = options.baseDir ?? process.cwd();
  const c = new Checker();
  const root = c.mapping(doc, [], knownKeys(''), 'a mapping of settings');
  if (!root) return { ok: false, errors: c.issues };
  if (has(root, '$schema') && typeof root.$schema !== 'string')
    c.fail(['$schema'], `must be a string, got ${describe(root.$schema)}`);
  const issuers = checkIssuers(c, root, baseDir, options.env ?? {});
  const settings = checkTopSettings(c, root, baseDir);
  const context = has(root, 'context') ? checkContext(c, root.context) : undefined;
  const jwks = checkJwks(c, root);
  const serve = !has(root, 'serve')
    ? undefined
    : isDoc(root.serve)
      ? root.serve
      : c.fail(
          ['serve'],
          `must be a mapping of tollgate serve settings, got ${describe(root.serve)}`,
        );
  if (c.issues.length > 0) return { ok: false, errors: c.issues };
  return { ok: true, config: { issuers, ...settings, context, jwks, serve } };
}

/**
 * A parsed document without positions (the deployed function's JSON file, or the config the
 * bundle embedded) as typed partial settings; `where` names it in the ConfigError of its first
 * problem. Relative paths are resolved against its folder.
 */
export function fileInputFromDocument(document: unknown, where: string, env: Env): FileInput {
  const slash = where.lastIndexOf('/');
  const result = validateConfigDocument(document, {
    baseDir: slash > 0 ? where.slice(0, slash) : '.',
    env,
  });
  if (result.ok) return fileInput(result.config, env);
  const first = result.errors[0]!;
  const more =
    result.errors.length > 1
      ? ` (and ${result.errors.length - 1} more; run tollgate config check)`
      : '';
  throw new ConfigError(
    'TOLLGATE_CONFIG',
    `${where}: ${formatKeyPath(first.path)} ${first.message}${more}`,
  );
}
