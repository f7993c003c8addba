// One `issuers[]` item of a config document: each key checked by its row of the settings table,
// the keys an issuer decides together (secret or JWKS, discovery, the preset's issuer form, the
// algorithms) with the rules of problems.ts, worded as the environment's are.
import type { Algorithm } from '../core/algorithms.js';
import type { ScopeMatch } from '../core/scopes.js';
import { checkKeyUrl } from '../keys/key-url.js';
import type { Checker } from './file-check.js';
import {
  describe,
  has,
  isDoc,
  quoteHint,
  type ConfigPath,
  type Doc,
  type TextPattern,
} from './file-check.js';
import {
  knownKeys,
  PATTERN_PROBLEMS,
  PATTERNS,
  SETTING_PATTERNS,
  settingsAt,
} from './file-forms.js';
import { checkPresetIssuer, type PresetName } from './presets.js';
import { fileKey } from './file-forms.js';
import { algorithmProblem, PROBLEMS } from './problems.js';
import { SETTING_TABLE, type SettingName } from './table.js';

// Not an ESM import: the deployed bundle validates its config file at cold start with this module
// (lambda/log-line.ts says why).
const { resolve } = process.getBuiltinModule('node:path');

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

/** One trusted issuer, complete: its defaults (the settings table's) are applied. */
export interface FileIssuer {
  /** The exact `iss`. */
  readonly issuer: string;
  readonly preset: PresetName;
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

const regex = (pattern: string): RegExp => new RegExp(pattern, 'u');
const KEY_URL = { re: regex(PATTERNS.keyUrl), problem: PATTERN_PROBLEMS.keyUrl };
const ENV_NAME = regex(PATTERNS.envName);

/** What the checks of one issuer share: where it is, and what its keys decide together. */
interface IssuerCheck {
  readonly c: Checker;
  readonly doc: Doc;
  readonly path: ConfigPath;
  readonly baseDir: string;
  /** Undefined when `preset` is refused (checks that need it then say nothing more). */
  readonly preset: PresetName | undefined;
  /** The setting the issuer's secret stands for, when it has one. */
  readonly secret: SettingName | undefined;
}

/** The checks of keys whose rules go beyond their row of the table. */
const OWN_CHECKS: Readonly<Record<string, (i: IssuerCheck, key: string) => unknown>> = {
  issuer: checkIssuerName,
  audience: checkAudience,
  jwksUri: checkJwksUri,
  algorithms: checkAlgorithms,
  secret: checkSecret,
  preset: (i) => i.preset,
  tokenUse: checkTokenUse,
};

/** One issuer, complete with the table's defaults, or undefined after reporting its problems. */
export function checkIssuer(
  c: Checker,
  raw: unknown,
  path: ConfigPath,
  baseDir: string,
): FileIssuer | undefined {
  const doc = c.mapping(raw, path, knownKeys('issuers[].'), 'a mapping (issuer, audience, ...)');
  if (!doc) return undefined;
  const before = c.issues.length;
  const preset = has(doc, 'preset')
    ? c.choiceOf<PresetName>(doc, 'preset', path, 'PRESET')
    : (SETTING_TABLE.PRESET.default as PresetName);
  const secret = has(doc, 'secret') ? 'TOKEN_SECRET' : undefined;
  const i: IssuerCheck = { c, doc, path, baseDir, preset, secret };
  const values: Record<string, unknown> = {};
  for (const [key, name] of settingsAt('issuers[].')) {
    const own = OWN_CHECKS[key];
    if (own) values[key] = own(i, key);
    else if (has(doc, key))
      values[key] = c.setting(doc, key, path, SETTING_TABLE[name], SETTING_RES[name]);
    else values[key] = SETTING_TABLE[name].default;
  }
  values.rules = has(doc, 'rules')
    ? checkRules(c, doc.rules, [...path, 'rules'], baseDir)
    : undefined;
  return c.issues.length > before ? undefined : (values as unknown as FileIssuer);
}

/** The patterns of settings (SETTING_PATTERNS), compiled once. */
export const SETTING_RES: { readonly [K in SettingName]?: TextPattern } = Object.fromEntries(
  Object.entries(SETTING_PATTERNS).map(([name, key]) => [
    name,
    { re: regex(PATTERNS[key]), problem: PATTERN_PROBLEMS[key] },
  ]),
);

/** `rules`, at the top level or in an issuer: a path (resolved against baseDir) or an inline mapping. */
export function checkRules(
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

/** The exact iss: required; a URL for discovery without keys of its own; in the preset's form. */
function checkIssuerName({ c, doc, path, preset, secret }: IssuerCheck, key: string): unknown {
  const at = [...path, key];
  if (!has(doc, key)) return c.fail(at, PROBLEMS.issuerRequired);
  const issuer = c.text(doc, key, path);
  if (issuer === undefined) return undefined;
  if (!has(doc, 'jwksUri') && !secret) {
    // Keys come from OpenID discovery at {issuer}/.well-known/openid-configuration.
    const url = keyUrl(issuer);
    if (typeof url === 'string') return c.fail(at, PROBLEMS.discovery(fileKey, url));
  }
  // The provider's issuer form, as PRESET checks TOKEN_ISSUER: a near miss fails here, not on every token.
  const why = preset && checkPresetIssuer(preset, issuer);
  return why ? c.fail(at, PROBLEMS.presetIssuer(fileKey, issuer, preset!, why)) : issuer;
}

/** A URL keys may be fetched from, or what is wrong with it (checkKeyUrl's words, as for JWKS_URI). */
function keyUrl(value: string): URL | string {
  const checked = checkKeyUrl(value);
  if (typeof checked === 'string' || KEY_URL.re.test(value)) return checked;
  return `${JSON.stringify(value)} ${KEY_URL.problem}`;
}

/** One audience or a list of them; required. */
function checkAudience({ c, doc, path }: IssuerCheck, key: string): unknown {
  const value = doc[key];
  if (!has(doc, key)) return c.fail([...path, key], PROBLEMS.audienceRequired);
  if (Array.isArray(value)) return c.setting(doc, key, path, SETTING_TABLE.AUDIENCE);
  if (typeof value === 'string') {
    const one = c.text(doc, key, path);
    return one === undefined ? undefined : [one];
  }
  return c.fail(
    [...path, key],
    `must be a string or a list of strings, got ${describe(value)}${quoteHint(value)}`,
  );
}

function checkJwksUri({ c, doc, path, secret }: IssuerCheck, key: string): unknown {
  if (!has(doc, key)) return undefined;
  const at = [...path, key];
  if (secret) return c.fail(at, PROBLEMS.keysAndSecret(fileKey, secret));
  const uri = c.text(doc, key, path);
  const url = uri === undefined ? undefined : keyUrl(uri);
  return typeof url === 'string' ? c.fail(at, url) : url;
}

/** The table's list check, then each name against the issuer's keys; default RS256, or HS256 with a secret. */
function checkAlgorithms({ c, doc, path, secret }: IssuerCheck, key: string): unknown {
  if (!has(doc, key)) return secret ? ['HS256'] : SETTING_TABLE.ALGORITHMS.default;
  const at = [...path, key];
  const list = doc[key];
  if (!Array.isArray(list))
    return c.fail(at, `must be a list of algorithms, got ${describe(list)}`);
  if (list.length === 0) return c.fail(at, PROBLEMS.emptyList);
  const before = c.issues.length;
  list.forEach((alg: unknown, n) => {
    const why =
      typeof alg === 'string'
        ? algorithmProblem(alg, secret, fileKey)
        : `must be an algorithm name, got ${describe(alg)}`;
    if (why) c.fail([...at, n], why);
  });
  return c.issues.length > before ? undefined : list;
}

/** Where an HMAC secret is read from, never the secret itself. */
function checkSecret({ c, doc, path, baseDir }: IssuerCheck, key: string): unknown {
  if (!has(doc, key)) return undefined;
  const at = [...path, key];
  const value = doc[key];
  if (!isDoc(value)) {
    // The value is not echoed: it may be the secret itself, and errors end up in logs.
    const got = typeof value === 'string' ? 'a string (not shown)' : describe(value);
    return c.fail(
      at,
      `must be { env: NAME } or { file: PATH }, got ${got}: the config names where the secret is, never the secret itself`,
    );
  }
  const s = c.mapping(value, at, ['env', 'file'])!;
  if (has(s, 'env') && has(s, 'file')) return c.fail(at, 'must give env or file, not both');
  if (has(s, 'file')) {
    const file = c.text(s, 'file', at);
    return file && { kind: 'file', path: resolve(baseDir, file) };
  }
  if (!has(s, 'env')) return c.fail(at, 'must give env (a variable name) or file (a path)');
  if (typeof s.env === 'string' && s.env && !ENV_NAME.test(s.env))
    return c.fail(
      [...at, 'env'],
      `${PATTERN_PROBLEMS.envName}, not the secret (the value is not shown)`,
    );
  const name = c.text(s, 'env', at);
  return name && { kind: 'env', name };
}

/** Cognito's token_use: `access` by default for preset cognito; refused for every other preset. */
function checkTokenUse({ c, doc, path, preset }: IssuerCheck, key: string): unknown {
  const cognito = preset === 'cognito';
  if (!has(doc, key)) return cognito ? SETTING_TABLE.TOKEN_USE.default : undefined;
  const value = c.choiceOf<TokenUse>(doc, key, path, 'TOKEN_USE');
  if (cognito) return value;
  const shown = String(doc.preset ?? `${SETTING_TABLE.PRESET.default!} (the default)`);
  return c.fail([...path, key], PROBLEMS.tokenUseNotCognito(fileKey, shown));
}
