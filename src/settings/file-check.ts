// The checks a config document's values go through, each with its one wording: a mapping with
// known keys (an unknown key gets a suggestion), text, a choice, a whole number in bounds, a list
// of text; `setting` checks a value by its row of the settings table. Problems are collected,
// each with the path of the key it concerns; config-file.ts gives them a line and column.
import type { KeyPath } from '../core/key-path.js';
import { PROBLEMS } from './problems.js';
import {
  boundsProblem,
  choiceProblem,
  SETTING_TABLE,
  type SettingName,
  type SettingSpec,
} from './table.js';

/** Where a problem is: keys and list indexes from the document's root. */
export type ConfigPath = KeyPath;

/** One problem in a document, without a position. */
export interface ConfigIssue {
  readonly path: ConfigPath;
  /** The problem, meant to follow the formatted path: `issuers[0].preset` + ` must be one of ...`. */
  readonly message: string;
  /** True when the problem is the key itself (an unknown key), not its value. */
  readonly atKey?: boolean;
}

export type Doc = Record<string, unknown>;

/** A pattern a text must match, and the problem when it does not. */
export interface TextPattern {
  readonly re: RegExp;
  readonly problem: string;
}

/** What a list holds, as its errors say: `must be a list of claim names`. */
function listOf(key: string): string {
  return key === 'audience' ? 'audiences' : key === 'requiredScopes' ? 'scopes' : 'claim names';
}

/** Environment variable names someone may copy into the file, and where the setting lives there. */
const ENV_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SETTING_TABLE).flatMap(([env, spec]) =>
    spec.file === undefined
      ? []
      : [[env, env === 'CONTEXT_CLAIMS' ? `${spec.file} (renames in context.rename)` : spec.file]],
  ),
);

/** A value as a message shows it: `the string "30"`, `a list`, `nothing`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  return String(value);
}

/** For a setting that wants text: numbers and booleans came from unquoted YAML scalars. */
export function quoteHint(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : '';
}

export function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function has(doc: Doc, key: string): boolean {
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

export class Checker {
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

  /** `doc[key]` by its row of the settings table: its type, bounds, choices, fewest items. */
  setting(
    doc: Doc,
    key: string,
    path: ConfigPath,
    spec: SettingSpec,
    pattern?: TextPattern,
  ): unknown {
    switch (spec.type) {
      case 'integer':
        return this.integer(doc, key, path, spec);
      case 'choice':
        return this.choice(doc, key, path, spec.values);
      case 'text':
        return this.text(doc, key, path, pattern);
      case 'list':
        return this.texts(doc, key, path, { min: spec.min, item: pattern });
    }
  }

  /** One of the values of `name` (a choice of the settings table). */
  choiceOf<T extends string>(
    doc: Doc,
    key: string,
    path: ConfigPath,
    name: SettingName,
  ): T | undefined {
    const spec: SettingSpec = SETTING_TABLE[name];
    return this.choice(doc, key, path, spec.type === 'choice' ? spec.values : []) as T | undefined;
  }

  text(doc: Doc, key: string, path: ConfigPath, pattern?: TextPattern): string | undefined {
    return this.textAt(doc[key], [...path, key], pattern);
  }

  /** A non-empty string (matching `pattern`) at `at`. */
  textAt(value: unknown, at: ConfigPath, pattern?: TextPattern): string | undefined {
    if (typeof value !== 'string')
      return this.fail(at, `must be a string, got ${describe(value)}${quoteHint(value)}`);
    if (value.length === 0) return this.fail(at, 'must not be empty');
    if (pattern && !pattern.re.test(value))
      return this.fail(at, `${JSON.stringify(value)} ${pattern.problem}`);
    return value;
  }

  choice(doc: Doc, key: string, path: ConfigPath, values: readonly string[]): string | undefined {
    const value = doc[key];
    if (typeof value === 'string' && values.includes(value)) return value;
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
      return this.fail(at, `${PROBLEMS.wholeNumber}, got ${describe(value)}`);
    const problem = boundsProblem(value, bounds);
    return problem ? this.fail(at, problem) : value;
  }

  /** A list of non-empty strings, at least `min`; each item refused on its own. */
  texts(
    doc: Doc,
    key: string,
    path: ConfigPath,
    options: { readonly min: number; readonly item?: TextPattern | undefined },
  ): string[] | undefined {
    const value = doc[key];
    const at = [...path, key];
    if (!Array.isArray(value))
      return this.fail(at, `must be a list of ${listOf(key)}, got ${describe(value)}`);
    if (value.length < options.min) return this.fail(at, PROBLEMS.emptyList);
    const before = this.issues.length;
    value.forEach((item: unknown, i) => this.textAt(item, [...at, i], options.item));
    return this.issues.length === before ? (value as string[]) : undefined;
  }
}
