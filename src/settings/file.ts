// tollgate.config.yaml / tollgate.config.json: read, parse and validate, with every problem at its
// line and column. JSON files go through the same YAML 1.2 parser (JSON is YAML 1.2), so positions
// work alike for both. The validation itself is file-validate.ts, which the Lambda can use on a
// parsed JSON document without this module's YAML parser.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isScalar, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { offsetOf } from './yaml-position.js';
import {
  formatConfigPath,
  validateConfigDocument,
  type ConfigIssue,
  type ConfigPath,
  type FileConfig,
} from './file-validate.js';

export {
  formatConfigPath,
  validateConfigDocument,
  VALIDATOR_ONLY_CHECKS,
  type ConfigIssue,
  type ConfigPath,
  type FileConfig,
  type FileIssuer,
  type Preset,
  type RulesSource,
  type SecretSource,
  type TokenSource,
  type TokenUse,
  type ValidateOptions,
  type ValidateResult,
} from './file-validate.js';

/** A problem in a config file, at a position (1-based; 0 when there is none, as for a missing file). */
export interface ConfigFileError {
  /** The path as given to loadConfigFile. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: ConfigPath;
  readonly message: string;
}

export type LoadConfigResult =
  | {
      ok: true;
      config: FileConfig;
      /**
       * A positioned error for a path of this file, e.g. for the rules engine's errors on inline
       * rules: `errorAt(['rules', ...e.path], e.message, e.atKey)`. `atKey`: at the key, not its value.
       */
      errorAt(path: ConfigPath, message: string, atKey?: boolean): ConfigFileError;
    }
  | { ok: false; errors: ConfigFileError[] };

export interface LoadConfigOptions {
  /** Consulted only for TOKEN_ISSUER (`issuers` may then be left out). Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** `FILE:LINE:COL: <key path> <problem>`, or `FILE: <problem>` when there is no position. */
export function formatConfigError(e: ConfigFileError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file;
  const key = formatConfigPath(e.path);
  return `${where}: ${key ? `${key} ` : ''}${e.message}`;
}

/**
 * Reads, parses and validates a config file (YAML or JSON, by content, whatever its extension).
 * Relative paths in it are resolved against its folder. Never reads the secrets it names.
 */
export function loadConfigFile(path: string, options: LoadConfigOptions = {}): LoadConfigResult {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : (code ?? String(error));
    const where = resolve(path) === path ? '' : ` (${resolve(path)})`;
    return {
      ok: false,
      errors: [
        {
          file: path,
          line: 0,
          column: 0,
          path: [],
          message: `cannot read the config file: ${why}${where}`,
        },
      ],
    };
  }
  return loadConfigSource(source, path, {
    env: options.env ?? process.env,
    baseDir: dirname(resolve(path)),
  });
}

/**
 * Parses and validates config text as if read from `file` (named in errors). `baseDir` resolves
 * relative paths (default: the folder of `file`).
 */
export function loadConfigSource(
  source: string,
  file: string,
  options: LoadConfigOptions & { readonly baseDir?: string } = {},
): LoadConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const at = (offset: number, path: ConfigPath, message: string): ConfigFileError => ({
    file,
    ...position(offset),
    path,
    message,
  });

  // YAML syntax: the first problem only; later ones are usually its echoes.
  const syntax = doc.errors[0] ?? doc.warnings[0];
  if (syntax)
    return {
      ok: false,
      errors: [at(syntax.pos[0], [], `is not valid YAML: ${syntax.message.split('\n')[0]}`)],
    };

  // Keys must be plain scalars: a list or a mapping used as a key has no setting name.
  let complexKey: ConfigFileError | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        complexKey = at(
          (pair.key as Node).range?.[0] ?? 0,
          [],
          'a key must be a plain name, not a list or a mapping',
        );
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (complexKey) return { ok: false, errors: [complexKey] };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, errors: [at(0, [], `cannot be read: ${(error as Error).message}`)] };
  }

  const result = validateConfigDocument(value, {
    env: options.env ?? process.env,
    baseDir: options.baseDir ?? dirname(resolve(file)),
  });
  const locate = (issue: Pick<ConfigIssue, 'path' | 'atKey'>): number =>
    offsetOf(doc, issue.path, issue.atKey === true);
  if (result.ok) {
    return {
      ok: true,
      config: result.config,
      errorAt: (path, message, atKey) => at(locate({ path, atKey }), path, message),
    };
  }
  const errors = result.errors.map((issue, index) => ({ index, offset: locate(issue), issue }));
  errors.sort((a, b) => a.offset - b.offset || a.index - b.index);
  return {
    ok: false,
    errors: errors.map(({ offset, issue }) => at(offset, issue.path, issue.message)),
  };
}
