// Validation of a tollgate.config document that is already parsed (from YAML or JSON): pure, no
// I/O and no YAML parser, so the Lambda can check a bundled JSON document with it. file.ts parses
// files and turns each issue's path into a line and column.
//
// schema/tollgate.config.schema.json describes the same shape for editors; test/config-file.test.ts
// checks that the two agree. Every constraint of the schema is enforced here; the few checks a
// JSON Schema cannot express are listed in VALIDATOR_ONLY_CHECKS.
import { resolve } from 'node:path';
import { ALGORITHMS, HMAC_ALGORITHMS, type Algorithm } from '../core/algorithms.js';
import type { ScopeMatch } from '../core/scopes.js';
import { checkKeyUrl } from '../keys/key-url.js';
import { PATTERNS, PRESET_ISSUER_PATTERNS, RESERVED_CONTEXT_NAMES } from './file-forms.js';
import { checkPresetIssuer, PRESETS, type PresetName } from './presets.js';
import {
  boundsProblem,
  choiceProblem,
  integerSettings,
  SETTING_TABLE,
  type SettingName,
  type SettingSpec,
} from './table.js';

/** Where a problem is: keys and list indexes from the document's root. */
export type ConfigPath = readonly (string | number)[];

/** One problem in a document, without a position. */
export interface ConfigIssue {
  readonly path: ConfigPath;
  /** The problem, meant to follow the formatted path: `issuers[0].preset` + ` must be one of ...`. */
  readonly message: string;
  /** True when the problem is the key itself (an unknown key), not its value. */
  readonly atKey?: boolean;
}

export { PATTERNS, PRESET_ISSUER_PATTERNS, PRESETS, RESERVED_CONTEXT_NAMES };
export type Preset = PresetName;

/** Algorithms for issuers whose keys come from a JWKS, and for issuers with a shared secret. */
export const KEY_ALGORITHMS: readonly Algorithm[] = ALGORITHMS;
export const SECRET_ALGORITHMS: readonly Algorithm[] = HMAC_ALGORITHMS;

export type TokenUse = 'access' | 'id';

/** Where an HMAC issuer's secret is read from; the config never holds the secret itself. */
export type SecretSource =
  | { readonly kind: 'env'; readonly name: string }
  /** `path` is absolute (resolved against the config file's folder). */
  | { readonly kind: 'file'; readonly path: string };

/** Route rules: a file to load (absolute path), or a mapping written in the config file. */
export type RulesSource =
  | { readonly kind: 'file'; readonly path: string }
  /** Not validated here: the rules engine validates it. */
  | { readonly kind: 'inline'; readonly document: Readonly<Record<string, unknown>> };

/**
 * Where REQUEST, HTTP API and WebSocket events carry the token (`header:Authorization`): the same
 * shape as TokenSource in src/lambda/token-source.ts. The name is as written.
 */
export interface TokenSource {
  readonly kind: 'header' | 'query' | 'cookie';
  readonly name: string;
}

/** One trusted issuer, complete: its defaults are applied. */
export interface FileIssuer {
  /** The exact `iss`. */
  readonly issuer: string;
  readonly preset: Preset;
  /** `audience` as a list, even when the file gives one string; never empty. */
  readonly audience: readonly string[];
  /** Default `[RS256]`, or `[HS256]` for an issuer with a secret (as `ALGORITHMS` with `TOKEN_SECRET`). */
  readonly algorithms: readonly Algorithm[];
  /** Absent: OpenID discovery from the issuer (or none at all for an issuer with a secret). */
  readonly jwksUri: URL | undefined;
  readonly secret: SecretSource | undefined;
  /** `access` (the default) or `id` for preset cognito; undefined for every other preset. */
  readonly tokenUse: TokenUse | undefined;
  /** Undefined: the preset's defaults. */
  readonly scopeClaims: readonly string[] | undefined;
  /** Undefined: the preset's defaults. */
  readonly groupClaims: readonly string[] | undefined;
  /** Default none. */
  readonly requiredScopes: readonly string[];
  /** Default `all`. */
  readonly scopeMatch: ScopeMatch;
  /**
   * This issuer's own route rules (the same forms as the top-level `rules`): for its tokens they
   * replace the top-level rules. Undefined: the top-level rules apply.
   */
  readonly rules: RulesSource | undefined;
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

const TOP_KEYS = [
  '$schema',
  'issuers',
  'rules',
  'tokenSource',
  'v2Response',
  'context',
  'usageIdentifierClaim',
  'policyResource',
  'clockTolerance',
  'tokenMaxLength',
  'tokenCacheSize',
  'logDecisions',
  'jwks',
  'serve',
] as const;
const ISSUER_KEYS = [
  'issuer',
  'preset',
  'audience',
  'algorithms',
  'jwksUri',
  'secret',
  'tokenUse',
  'scopeClaims',
  'groupClaims',
  'requiredScopes',
  'scopeMatch',
  'rules',
] as const;
const CONTEXT_KEYS = ['claims', 'rename'] as const;
const SECRET_KEYS = ['env', 'file'] as const;

/** Environment variable names someone may copy into the file, and where the setting lives there. */
const ENV_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SETTING_TABLE).flatMap(([env, spec]) =>
    spec.file === undefined
      ? []
      : [[env, env === 'CONTEXT_CLAIMS' ? `${spec.file} (renames in context.rename)` : spec.file]],
  ),
);

/** The values of a choice setting, from the table. */
function values<T extends string>(name: SettingName): readonly T[] {
  const spec: SettingSpec = SETTING_TABLE[name];
  return (spec.type === 'choice' ? spec.values : []) as readonly T[];
}

const regex = (pattern: string): RegExp => new RegExp(pattern, 'u');
const KEY_URL = regex(PATTERNS.keyUrl);
const ENV_NAME = regex(PATTERNS.envName);
const SCOPE = regex(PATTERNS.scope);
const TOKEN_SOURCE = regex(PATTERNS.tokenSource);

type Doc = Record<string, unknown>;

export { formatKeyPath as formatConfigPath } from '../core/key-path.js';

/** A value as a message shows it: `the string "30"`, `a list`, `nothing`. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  return String(value);
}

/** For a setting that wants text: numbers and booleans came from unquoted YAML scalars. */
function quoteHint(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : '';
}

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(doc: Doc, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(doc, key);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string, known: readonly string[], top: boolean): string {
  if (top && has(ENV_NAMES, key))
    return `; ${key} is an environment variable: in the file it is ${ENV_NAMES[key]!}`;
  const plain = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  const close =
    known.find((k) => plain(k) === plain(key)) ??
    known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2);
  return close ? `; did you mean ${close}?` : ` (known keys: ${known.join(', ')})`;
}

class Checker {
  readonly issues: ConfigIssue[] = [];

  fail(path: ConfigPath, message: string, atKey = false): undefined {
    this.issues.push(atKey ? { path, message, atKey } : { path, message });
    return undefined;
  }

  /** A mapping with only `known` keys; unknown keys are reported and the mapping still checked. */
  mapping(
    value: unknown,
    path: ConfigPath,
    known: readonly string[],
    what = 'a mapping',
  ): Doc | undefined {
    if (!isDoc(value)) return this.fail(path, `must be ${what}, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!known.includes(key))
        this.fail(
          [...path, key],
          `is not a known key${suggestion(key, known, path.length === 0)}`,
          true,
        );
    }
    return value;
  }

  text(
    doc: Doc,
    key: string,
    path: ConfigPath,
    pattern?: { re: RegExp; problem: string },
  ): string | undefined {
    const value = doc[key];
    const at = [...path, key];
    if (typeof value !== 'string')
      return this.fail(at, `must be a string, got ${describe(value)}${quoteHint(value)}`);
    if (value.length === 0) return this.fail(at, 'must not be empty');
    if (pattern && !pattern.re.test(value))
      return this.fail(at, `${JSON.stringify(value)} ${pattern.problem}`);
    return value;
  }

  choice<T extends string>(
    doc: Doc,
    key: string,
    path: ConfigPath,
    values: readonly T[],
  ): T | undefined {
    const value = doc[key];
    if (typeof value === 'string' && (values as readonly string[]).includes(value))
      return value as T;
    return this.fail([...path, key], choiceProblem(values, describe(value)));
  }

  integer(
    doc: Doc,
    key: string,
    path: ConfigPath,
    bounds: { readonly min: number; readonly max: number },
  ): number | undefined {
    const value = doc[key];
    const at = [...path, key];
    if (typeof value !== 'number' || !Number.isInteger(value))
      return this.fail(at, `must be a whole number, got ${describe(value)}`);
    const problem = boundsProblem(value, bounds);
    return problem ? this.fail(at, problem) : value;
  }

  /** A list of non-empty strings; each item refused on its own. */
  texts(
    doc: Doc,
    key: string,
    path: ConfigPath,
    options: { min: number; what: string; item?: { re: RegExp; problem: string } },
  ): string[] | undefined {
    const value = doc[key];
    const at = [...path, key];
    if (!Array.isArray(value))
      return this.fail(at, `must be a list of ${options.what}, got ${describe(value)}`);
    if (value.length < options.min) return this.fail(at, 'must not be an empty list');
    let ok = true;
    value.forEach((item: unknown, i) => {
      if (typeof item !== 'string')
        ok = !!this.fail([...at, i], `must be a string, got ${describe(item)}${quoteHint(item)}`);
      else if (item.length === 0) ok = !!this.fail([...at, i], 'must not be empty');
      else if (options.item && !options.item.re.test(item))
        ok = !!this.fail([...at, i], `${JSON.stringify(item)} ${options.item.problem}`);
    });
    return ok ? (value as string[]) : undefined;
  }
}

// eslint-disable-next-line max-lines-per-function -- being split (issue 11)
function checkIssuer(
  c: Checker,
  raw: unknown,
  path: ConfigPath,
  baseDir: string,
): FileIssuer | undefined {
  const doc = c.mapping(raw, path, ISSUER_KEYS, 'a mapping (issuer, audience, ...)');
  if (!doc) return undefined;
  const before = c.issues.length;

  const preset = has(doc, 'preset')
    ? c.choice(doc, 'preset', path, values<PresetName>('PRESET'))
    : 'oidc';

  // secret: where an HMAC secret is read from, never the secret itself.
  let secret: SecretSource | undefined;
  const hasSecret = has(doc, 'secret');
  if (hasSecret) {
    const at = [...path, 'secret'];
    const value = doc.secret;
    if (!isDoc(value)) {
      // The value is not echoed: it may be the secret itself, and errors end up in logs.
      const got = typeof value === 'string' ? 'a string (not shown)' : describe(value);
      c.fail(
        at,
        `must be { env: NAME } or { file: PATH }, got ${got}: the config names where the secret is, never the secret itself`,
      );
    } else {
      const s = c.mapping(value, at, SECRET_KEYS)!;
      if (has(s, 'env') && has(s, 'file')) c.fail(at, 'must give env or file, not both');
      else if (has(s, 'env')) {
        const name =
          typeof s.env === 'string' && s.env && !ENV_NAME.test(s.env)
            ? c.fail(
                [...at, 'env'],
                'must be the name of an environment variable (letters, digits and _), not the secret (the value is not shown)',
              )
            : c.text(s, 'env', at);
        if (name) secret = { kind: 'env', name };
      } else if (has(s, 'file')) {
        const file = c.text(s, 'file', at);
        if (file) secret = { kind: 'file', path: resolve(baseDir, file) };
      } else c.fail(at, 'must give env (a variable name) or file (a path)');
    }
  }

  let jwksUri: URL | undefined;
  if (has(doc, 'jwksUri')) {
    const uri = c.text(doc, 'jwksUri', path, {
      re: KEY_URL,
      problem:
        'must use https (plain http only for localhost, 127.0.0.1 and [::1]) and carry no credentials',
    });
    if (uri !== undefined) {
      const checked = checkKeyUrl(uri);
      if (typeof checked === 'string') c.fail([...path, 'jwksUri'], checked);
      else jwksUri = checked;
    }
    if (hasSecret)
      c.fail(
        [...path, 'jwksUri'],
        'cannot be used with secret: an issuer signs with a shared secret or with published keys, never both',
      );
  }

  let issuer: string | undefined;
  if (!has(doc, 'issuer')) c.fail([...path, 'issuer'], 'is required (the exact iss of the tokens)');
  else {
    issuer = c.text(doc, 'issuer', path);
    const at = [...path, 'issuer'];
    if (issuer !== undefined && !has(doc, 'jwksUri') && !hasSecret) {
      // Keys come from OpenID discovery at {issuer}/.well-known/openid-configuration.
      const checked = KEY_URL.test(issuer)
        ? checkKeyUrl(issuer)
        : `"${issuer}" must use https (plain http only for localhost, 127.0.0.1 and [::1]) and carry no credentials`;
      if (typeof checked === 'string')
        issuer = c.fail(
          at,
          `cannot be used for OpenID discovery (set jwksUri, or fix the issuer): ${checked}`,
        );
    }
    // The provider's issuer form, as PRESET checks TOKEN_ISSUER: a near miss fails here, not on every token.
    const problem =
      issuer !== undefined && preset !== undefined ? checkPresetIssuer(preset, issuer) : undefined;
    if (problem)
      issuer = c.fail(at, `${JSON.stringify(issuer)} does not fit preset ${preset}: ${problem}`);
  }

  let audience: string[] | undefined;
  if (!has(doc, 'audience'))
    c.fail(
      [...path, 'audience'],
      'is required (the aud values accepted, or the app client ids for Cognito)',
    );
  else if (Array.isArray(doc.audience))
    audience = c.texts(doc, 'audience', path, { min: 1, what: 'audiences' });
  else if (typeof doc.audience === 'string') {
    const one = c.text(doc, 'audience', path);
    if (one !== undefined) audience = [one];
  } else
    c.fail(
      [...path, 'audience'],
      `must be a string or a list of strings, got ${describe(doc.audience)}${quoteHint(doc.audience)}`,
    );

  let algorithms: Algorithm[] | undefined = [hasSecret ? 'HS256' : 'RS256'];
  if (has(doc, 'algorithms')) {
    const at = [...path, 'algorithms'];
    const list = doc.algorithms;
    algorithms = undefined;
    if (!Array.isArray(list)) c.fail(at, `must be a list of algorithms, got ${describe(list)}`);
    else if (list.length === 0) c.fail(at, 'must list at least one algorithm');
    else {
      let ok = true;
      list.forEach((alg: unknown, i) => {
        const why = algorithmProblem(alg, hasSecret);
        if (why) ok = !!c.fail([...at, i], why);
      });
      if (ok) algorithms = list as Algorithm[];
    }
  }

  let tokenUse: TokenUse | undefined = preset === 'cognito' ? 'access' : undefined;
  if (has(doc, 'tokenUse')) {
    tokenUse = c.choice(doc, 'tokenUse', path, values<TokenUse>('TOKEN_USE'));
    if (preset !== 'cognito')
      tokenUse = c.fail(
        [...path, 'tokenUse'],
        `applies only to preset cognito (this issuer's preset is ${String(doc.preset ?? 'oidc (the default)')})`,
      );
  }

  const claimList = { min: 1, what: 'claim names' };
  const scopeClaims = has(doc, 'scopeClaims')
    ? c.texts(doc, 'scopeClaims', path, claimList)
    : undefined;
  const groupClaims = has(doc, 'groupClaims')
    ? c.texts(doc, 'groupClaims', path, claimList)
    : undefined;
  const requiredScopes = has(doc, 'requiredScopes')
    ? c.texts(doc, 'requiredScopes', path, {
        min: 0,
        what: 'scopes',
        item: {
          re: SCOPE,
          problem: 'must be one scope, without spaces (list each scope on its own)',
        },
      })
    : [];
  const scopeMatch = has(doc, 'scopeMatch')
    ? c.choice(doc, 'scopeMatch', path, values<ScopeMatch>('SCOPE_MATCH'))
    : 'all';
  const rules = has(doc, 'rules')
    ? checkRules(c, doc.rules, [...path, 'rules'], baseDir)
    : undefined;

  if (c.issues.length > before) return undefined;
  return {
    issuer: issuer!,
    preset: preset!,
    audience: audience!,
    algorithms: algorithms!,
    jwksUri,
    secret,
    tokenUse,
    scopeClaims,
    groupClaims,
    requiredScopes: requiredScopes!,
    scopeMatch: scopeMatch!,
    rules,
  };
}

/** `rules`, at the top level or in an issuer: a path (resolved against baseDir) or an inline mapping. */
function checkRules(
  c: Checker,
  value: unknown,
  path: ConfigPath,
  baseDir: string,
): RulesSource | undefined {
  if (typeof value === 'string' && value.length > 0)
    return { kind: 'file', path: resolve(baseDir, value) };
  if (isDoc(value)) return { kind: 'inline', document: value };
  return c.fail(
    path,
    `must be the path of a rules file or a rules mapping, got ${describe(value)}`,
  );
}

function algorithmProblem(alg: unknown, hasSecret: boolean): string | undefined {
  if (typeof alg !== 'string') return `must be an algorithm name, got ${describe(alg)}`;
  const name = JSON.stringify(alg);
  if ((SECRET_ALGORITHMS as readonly string[]).includes(alg)) {
    return hasSecret
      ? undefined
      : `${name} needs a secret: HMAC cannot be used with keys from a JWKS (add secret: { env: NAME } for an HMAC issuer)`;
  }
  if ((KEY_ALGORITHMS as readonly string[]).includes(alg)) {
    return hasSecret
      ? `${name} cannot be used with secret: an issuer with a secret verifies only ${SECRET_ALGORITHMS.join(', ')}`
      : undefined;
  }
  if (/^none$/i.test(alg))
    return `${name} is not a supported algorithm: unsigned tokens are never accepted`;
  return `${name} is not a supported algorithm (supported: ${(hasSecret ? SECRET_ALGORITHMS : KEY_ALGORITHMS).join(', ')})`;
}

function checkContext(c: Checker, raw: unknown): FileConfig['context'] {
  const path = ['context'];
  const doc = c.mapping(raw, path, CONTEXT_KEYS, 'a mapping (claims, rename)');
  if (!doc) return undefined;
  const before = c.issues.length;
  const reserved = {
    re: regex(`^(?!(${RESERVED_CONTEXT_NAMES.join('|')})$)`),
    problem: 'is a name API Gateway reserves',
  };
  let claims: string[] | undefined;
  if (!has(doc, 'claims'))
    c.fail(
      [...path, 'claims'],
      'is required (the claims copied into the authorizer context; [] for none)',
    );
  else claims = c.texts(doc, 'claims', path, { min: 0, what: 'claim names' });

  const rename: Record<string, string> = {};
  if (has(doc, 'rename')) {
    const at = [...path, 'rename'];
    const map = isDoc(doc.rename)
      ? doc.rename
      : c.fail(at, `must be a mapping of claim: newName, got ${describe(doc.rename)}`);
    const used = new Map<string, string>();
    // Checked against the names listed, even when one of them was refused above.
    const listed = Array.isArray(doc.claims)
      ? doc.claims.filter((n): n is string => typeof n === 'string')
      : undefined;
    for (const claim of Object.keys(map ?? {})) {
      const target = c.text(map!, claim, at, reserved);
      if (target === undefined) continue;
      if (listed && !listed.includes(claim))
        c.fail(
          [...at, claim],
          `renames ${JSON.stringify(claim)}, which context.claims does not list`,
          true,
        );
      else if (used.has(target))
        c.fail(
          [...at, claim],
          `${JSON.stringify(target)} is also the new name of ${JSON.stringify(used.get(target))}`,
        );
      else if (listed && listed.includes(target) && !has(map!, target))
        c.fail([...at, claim], `${JSON.stringify(target)} is already the name of a copied claim`);
      used.set(target, claim);
      rename[claim] = target;
    }
  }
  // As CONTEXT_CLAIMS: the name a claim gets in the context must not be one API Gateway reserves.
  claims?.forEach((claim, i) => {
    if (!has(rename, claim) && !reserved.re.test(claim))
      c.fail(
        [...path, 'claims', i],
        `${JSON.stringify(claim)} ${reserved.problem}: copy it under another name (context.rename)`,
      );
  });
  if (c.issues.length > before) return undefined;
  return { claims: claims!, rename: Object.fromEntries(Object.entries(rename)) };
}

/**
 * Validates a parsed tollgate.config document (YAML or JSON). Collects every problem, each with
 * the path of the key it concerns; never reads a secret, a file or the network.
 */
// eslint-disable-next-line max-lines-per-function -- being split (issue 11)
export function validateConfigDocument(
  doc: unknown,
  options: ValidateOptions = {},
): ValidateResult {
  const baseDir = options.baseDir ?? process.cwd();
  const env = options.env ?? {};
  const c = new Checker();
  const root = c.mapping(doc, [], TOP_KEYS, 'a mapping of settings');
  if (!root) return { ok: false, errors: c.issues };

  if (has(root, '$schema') && typeof root.$schema !== 'string')
    c.fail(['$schema'], `must be a string, got ${describe(root.$schema)}`);

  let issuers: FileIssuer[] | undefined;
  if (!has(root, 'issuers')) {
    if (!env.TOKEN_ISSUER?.trim())
      c.fail(['issuers'], 'is required (or set TOKEN_ISSUER in the environment)');
  } else if (!Array.isArray(root.issuers)) {
    c.fail(['issuers'], `must be a list of issuers, got ${describe(root.issuers)}`);
  } else if (root.issuers.length === 0) {
    c.fail(['issuers'], 'must list at least one issuer');
  } else {
    const seen = new Map<string, number>();
    const list = root.issuers.map((item: unknown, i) => {
      const issuer = checkIssuer(c, item, ['issuers', i], baseDir);
      const iss = isDoc(item) ? item.issuer : undefined;
      if (typeof iss === 'string' && iss) {
        const first = seen.get(iss);
        if (first !== undefined)
          c.fail(
            ['issuers', i, 'issuer'],
            `${JSON.stringify(iss)} is already configured by issuers[${first}]: the token's iss must choose one issuer`,
          );
        else seen.set(iss, i);
      }
      return issuer;
    });
    if (list.every((i) => i !== undefined)) issuers = list as FileIssuer[];
  }

  let rules: RulesSource | undefined;
  if (has(root, 'rules')) rules = checkRules(c, root.rules, ['rules'], baseDir);

  let tokenSource: TokenSource | undefined;
  if (has(root, 'tokenSource')) {
    const value = c.text(root, 'tokenSource', [], {
      re: TOKEN_SOURCE,
      problem: 'must be header:NAME, query:NAME or cookie:NAME',
    });
    if (value !== undefined) {
      const colon = value.indexOf(':');
      tokenSource = {
        kind: value.slice(0, colon) as TokenSource['kind'],
        name: value.slice(colon + 1),
      };
    }
  }

  const optional = <T>(key: string, check: () => T): T | undefined =>
    has(root, key) ? check() : undefined;
  const v2Response = optional('v2Response', () =>
    c.choice(root, 'v2Response', [], values<'simple' | 'iam'>('V2_RESPONSE')),
  );
  const context = optional('context', () => checkContext(c, root.context));
  const usageIdentifierClaim = optional('usageIdentifierClaim', () =>
    c.text(root, 'usageIdentifierClaim', []),
  );
  const policyResource = optional('policyResource', () =>
    c.choice(root, 'policyResource', [], values<'stage' | 'api'>('POLICY_RESOURCE')),
  );
  const logDecisions = optional('logDecisions', () =>
    c.choice(root, 'logDecisions', [], values<'all' | 'refusals'>('LOG_DECISIONS')),
  );
  const clockTolerance = optional('clockTolerance', () =>
    c.integer(root, 'clockTolerance', [], INTEGER_SETTINGS.clockTolerance),
  );
  const tokenMaxLength = optional('tokenMaxLength', () =>
    c.integer(root, 'tokenMaxLength', [], INTEGER_SETTINGS.tokenMaxLength),
  );
  const tokenCacheSize = optional('tokenCacheSize', () =>
    c.integer(root, 'tokenCacheSize', [], INTEGER_SETTINGS.tokenCacheSize),
  );

  const jwks: FileConfig['jwks'] = {
    timeoutMs: undefined,
    maxAge: undefined,
    minAge: undefined,
    cooldown: undefined,
    staleIfError: undefined,
  };
  if (has(root, 'jwks')) {
    const doc = c.mapping(
      root.jwks,
      ['jwks'],
      Object.keys(JWKS_SETTINGS),
      'a mapping (timeoutMs, maxAge, minAge, cooldown, staleIfError)',
    );
    if (doc) {
      const values = jwks as { -readonly [K in keyof FileConfig['jwks']]: number | undefined };
      for (const [key, bounds] of Object.entries(JWKS_SETTINGS) as [
        keyof FileConfig['jwks'],
        { min: number; max: number },
      ][]) {
        if (has(doc, key)) values[key] = c.integer(doc, key, ['jwks'], bounds);
      }
      if (
        values.minAge !== undefined &&
        values.maxAge !== undefined &&
        values.minAge > values.maxAge
      ) {
        c.fail(
          ['jwks', 'minAge'],
          `(${values.minAge}) must not exceed jwks.maxAge (${values.maxAge})`,
        );
      }
    }
  }

  const serve = optional('serve', () =>
    isDoc(root.serve)
      ? root.serve
      : c.fail(
          ['serve'],
          `must be a mapping of tollgate serve settings, got ${describe(root.serve)}`,
        ),
  );

  if (c.issues.length > 0) return { ok: false, errors: c.issues };
  return {
    ok: true,
    config: {
      issuers,
      rules,
      tokenSource,
      v2Response,
      context,
      usageIdentifierClaim,
      policyResource,
      clockTolerance,
      tokenMaxLength,
      tokenCacheSize,
      logDecisions,
      jwks,
      serve,
    },
  };
}
export { fileInput } from './file-input.js';
