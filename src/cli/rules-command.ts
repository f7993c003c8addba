// `tollgate rules check FILE`, and loading a rules file with every problem at its line and column.
// YAML is parsed here, never in the Lambda: the deployed handler gets the rules as JSON.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LineCounter, parseDocument } from 'yaml';
import { offsetOf } from '../settings/yaml-position.js';
import { formatRulePath, validateRules, type CompiledRules, type RulePath } from '../core/rules.js';
import { EXIT, UsageError } from '../core/errors.js';

export const RULES_HELP = `Usage: tollgate rules check FILE

Checks a route rules file (YAML or JSON). When it is valid, prints one line,
"FILE: N routes, default deny", and exits 0; otherwise prints each problem as
FILE:LINE:COLUMN: where and what, and exits 2. examples/petstore.rules.yaml shows the format.`;

/** A problem in a rules file, at a position (1-based; 0 when there is none, as for a missing file). */
export interface RulesFileError {
  /** The path as given to loadRulesFile. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: RulePath;
  readonly message: string;
}

export type LoadRulesResult =
  /** `document` is the plain data (JSON-compatible), e.g. to bundle for the Lambda. */
  { ok: true; rules: CompiledRules; document: unknown } | { ok: false; errors: RulesFileError[] };

/** `FILE:LINE:COL: routes[3].scopes must be ...`, or `FILE: ...` when there is no position. */
export function formatRulesError(e: RulesFileError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file;
  return `${where}: ${formatRulePath(e.path) || 'the rules document'} ${e.message}`;
}

/** Reads, parses (YAML 1.2, so JSON too) and validates a rules file. */
export function loadRulesFile(file: string): LoadRulesResult {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : (code ?? String(error));
    return {
      ok: false,
      errors: [{ file, line: 0, column: 0, path: [], message: `cannot be read: ${why}` }],
    };
  }
  return loadRulesSource(source, file);
}

/** Parses and validates rules text as if read from `file` (named in errors). */
export function loadRulesSource(source: string, file: string): LoadRulesResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, path: RulePath, message: string): RulesFileError => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, path, message };
  };
  // YAML syntax: the first problem only; later ones are usually its echoes.
  const syntax = doc.errors[0] ?? doc.warnings[0];
  if (syntax)
    return {
      ok: false,
      errors: [at(syntax.pos[0], [], `is not valid YAML: ${syntax.message.split('\n')[0]}`)],
    };
  let document: unknown;
  try {
    document = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, errors: [at(0, [], `cannot be read: ${(error as Error).message}`)] };
  }
  const result = validateRules(document);
  if (result.ok) return { ok: true, rules: result.rules, document };
  const located = result.errors.map((e, index) => ({
    index,
    offset: offsetOf(doc, e.path, e.atKey === true),
    e,
  }));
  located.sort((a, b) => a.offset - b.offset || a.index - b.index);
  return { ok: false, errors: located.map(({ offset, e }) => at(offset, e.path, e.message)) };
}

/** `tollgate rules ...`: returns the exit code. */
export function rulesCommand(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
  const [sub, ...files] = parsed.positionals;
  if (parsed.values.help) return (out(RULES_HELP), EXIT.allow);
  if (sub === undefined) return (err(RULES_HELP), EXIT.usage);
  if (sub !== 'check')
    throw new UsageError(
      `unknown rules command ${JSON.stringify(sub)}; run 'tollgate rules --help'`,
    );
  if (files.length !== 1)
    throw new UsageError('rules check takes one file: tollgate rules check FILE');
  const file = files[0]!;
  const result = loadRulesFile(file);
  if (!result.ok) {
    for (const e of result.errors) err(formatRulesError(e));
    return EXIT.usage;
  }
  const n = result.rules.routes.length;
  out(`${file}: ${n} ${n === 1 ? 'route' : 'routes'}, default ${result.rules.default}`);
  return EXIT.allow;
}
